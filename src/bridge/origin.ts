import type { SourceRecord } from '../event/types';

/**
 * Loop prevention for a forward and a reverse bridge running at once (issue 14).
 *
 * Every record a bridge writes carries {@link ORIGIN_HEADER}: the name of the cluster the record was first
 * produced on. A bridge keeps a value that is already there (the record came from a third cluster earlier)
 * and otherwise adds the name of the cluster it reads. A bridge never writes a record whose origin is the
 * cluster it writes to: that record was put on its source by the peer bridge, and its original is already
 * on the target. Such records are skipped — counted and logged, never dead-lettered — and the checkpoint
 * still moves past them, so the partition never stalls.
 *
 * The header name starts with the provenance prefix (`kbridge.source.`), so `kbridge verify` ignores it as
 * it ignores the other provenance headers.
 */

/** The origin header: UTF-8 name of the cluster the record was first produced on. */
export const ORIGIN_HEADER = 'kbridge.source.origin';

/** The cluster names one bridge needs for the loop rule. */
export interface OriginNames {
  /** The cluster the bridge reads (its trigger's cluster): stamped as the origin of records that have none. */
  sourceCluster: string;
  /** The cluster the bridge writes to: records whose origin is this one are skipped. */
  targetCluster: string;
  /**
   * The reverse bridge's stricter rule: copy only records first produced on `sourceCluster` (no origin header, or
   * this name) and skip every record another bridge brought there, whatever origin it names. A record forwarded
   * from the old cluster under another name (a cluster-name mismatch, or a record that reached the old cluster
   * from a third one) would otherwise go back and forth between the two bridges.
   */
  onlyOwn?: boolean;
}

/**
 * The origin of a record: the value of its first {@link ORIGIN_HEADER} (UTF-8), or `undefined`.
 *
 * @example
 * ```ts
 * originOf({ headers: [{ key: 'kbridge.source.origin', value: Buffer.from('onprem') }] }); // 'onprem'
 * ```
 */
export function originOf(record: Pick<SourceRecord, 'headers'>): string | undefined {
  const header = record.headers.find((h) => h.key === ORIGIN_HEADER);
  return header === undefined ? undefined : Buffer.from(header.value.buffer, header.value.byteOffset, header.value.byteLength).toString('utf8');
}

/**
 * Whether the peer bridge wrote this record onto the bridge's source: its origin is the cluster the bridge
 * writes to.
 *
 * @example
 * ```ts
 * isLoopedBack(recordFromReverseBridge, { sourceCluster: 'onprem', targetCluster: 'msk' }); // true: origin 'msk'
 * isLoopedBack(recordFromDcWest, { sourceCluster: 'msk', targetCluster: 'onprem', onlyOwn: true }); // true: origin 'dc-west'
 * ```
 */
export function isLoopedBack(record: Pick<SourceRecord, 'headers'>, names: OriginNames): boolean {
  const origin = originOf(record);
  return origin === names.targetCluster || (names.onlyOwn === true && origin !== undefined && origin !== names.sourceCluster);
}

/**
 * Split a partition batch into the records to replicate and the ones the peer bridge wrote (skipped), keeping
 * the order of each.
 *
 * @example
 * ```ts
 * const { replicate, loopedBack } = splitLoopedBack(pb.records, { sourceCluster: 'msk', targetCluster: 'onprem' });
 * ```
 */
export function splitLoopedBack<T extends Pick<SourceRecord, 'headers'>>(records: readonly T[], names: OriginNames): { replicate: T[]; loopedBack: T[] } {
  const replicate: T[] = [];
  const loopedBack: T[] = [];
  for (const r of records) (isLoopedBack(r, names) ? loopedBack : replicate).push(r);
  return { replicate, loopedBack };
}

/**
 * The headers to write for a record: its own, plus {@link ORIGIN_HEADER} naming `sourceCluster` when it has
 * none (an existing origin is kept: it names where the record was first produced).
 *
 * @example
 * ```ts
 * withOriginHeader([], 'onprem'); // [{ key: 'kbridge.source.origin', value: <'onprem'> }]
 * ```
 */
export function withOriginHeader<H extends { key: string; value: Uint8Array }>(headers: readonly H[], sourceCluster: string): Array<H | { key: string; value: Buffer }> {
  if (headers.some((h) => h.key === ORIGIN_HEADER)) return [...headers];
  return [...headers, { key: ORIGIN_HEADER, value: originValue(sourceCluster) }];
}

// One Buffer per cluster name, shared by every record (the clients only read header values).
const originValues = new Map<string, Buffer>();
function originValue(sourceCluster: string): Buffer {
  let value = originValues.get(sourceCluster);
  if (value === undefined) {
    value = Buffer.from(sourceCluster, 'utf8');
    originValues.set(sourceCluster, value);
  }
  return value;
}
