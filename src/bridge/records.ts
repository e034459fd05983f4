import type { KafkaHeader, OutgoingRecord } from '../kafka/port';
import type { RecordHeader, SourceRecord } from '../event/types';

/** Header names the bridge adds when provenance headers are on. Verification ignores them. */
export const ProvenanceHeaders = {
  cluster: 'kbridge.source.cluster',
  topic: 'kbridge.source.topic',
  partition: 'kbridge.source.partition',
  offset: 'kbridge.source.offset',
} as const;

export const PROVENANCE_HEADER_PREFIX = 'kbridge.source.';

/** A record for the target: an {@link OutgoingRecord} whose partition is always set. */
export type TargetRecord = OutgoingRecord & { partition: number };

/**
 * The bytes as a Buffer without copying: the decoder hands out Buffers already, so this is usually the same object.
 */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Kafka headers in the port's form: the same ordered list (repeated and interleaved keys keep their order),
 * values shared with the source record, never copied.
 *
 * @example
 * ```ts
 * toKafkaHeaders([{ key: 'a', value: new Uint8Array([1]) }]); // [{ key: 'a', value: <Buffer 01> }]
 * ```
 */
export function toKafkaHeaders(headers: readonly RecordHeader[]): KafkaHeader[] {
  const out = new Array<KafkaHeader>(headers.length);
  for (let i = 0; i < headers.length; i++) {
    const h = headers[i] as RecordHeader;
    out[i] = { key: h.key, value: asBuffer(h.value) };
  }
  return out;
}

/**
 * The target record for a source record: same key, value, headers (in order), CreateTime timestamp and partition.
 * Key, value and header bytes are the source record's own (no copy).
 *
 * @example
 * ```ts
 * toTargetRecord(record, { provenance: { cluster: 'onprem' } }); // { key, value, headers, timestamp: '1718000000000', partition: 3 }
 * ```
 */
export function toTargetRecord(record: SourceRecord, options: { provenance?: { cluster: string } } = {}): TargetRecord {
  const headers = toKafkaHeaders(record.headers);
  if (options.provenance) {
    headers.push(
      { key: ProvenanceHeaders.cluster, value: Buffer.from(options.provenance.cluster) },
      { key: ProvenanceHeaders.topic, value: Buffer.from(record.topic) },
      { key: ProvenanceHeaders.partition, value: Buffer.from(String(record.partition)) },
      { key: ProvenanceHeaders.offset, value: Buffer.from(record.offset.toString()) },
    );
  }
  return {
    key: record.key === null ? null : asBuffer(record.key),
    value: record.value === null ? null : asBuffer(record.value),
    headers,
    timestamp: String(record.timestamp),
    partition: record.partition,
  };
}

/** Bytes of a record batch header (magic v2), counted once per produce batch. */
export const RECORD_BATCH_OVERHEAD = 61;

/**
 * An upper bound on the bytes one record takes inside a v2 record batch (uncompressed): payload plus the
 * varint-encoded lengths, deltas and attributes (≤ 5 bytes each, generously rounded up).
 *
 * @example
 * ```ts
 * estimateRecordSize(record) <= 1_048_588 - RECORD_BATCH_OVERHEAD; // fits a default max.message.bytes
 * ```
 */
export function estimateRecordSize(record: OutgoingRecord): number {
  let size = 32 + byteLength(record.key) + byteLength(record.value);
  for (const h of record.headers ?? []) size += 10 + Buffer.byteLength(h.key, 'utf8') + h.value.byteLength;
  return size;
}

function byteLength(v: Buffer | string | null): number {
  if (v === null) return 0;
  return typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.byteLength;
}

/**
 * Split records (already known to fit one by one) into consecutive chunks whose record batch stays under
 * `maxBatchBytes`: a client puts all records of one send for a partition into one record batch, and the
 * broker rejects a batch above the topic's `max.message.bytes` as a whole.
 *
 * @example
 * ```ts
 * chunkBySize(items, (i) => i.size, 1_000_000); // [[...], [...]] in the original order
 * ```
 */
export function chunkBySize<T>(items: readonly T[], sizeOf: (item: T) => number, maxBatchBytes: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let currentBytes = RECORD_BATCH_OVERHEAD;
  for (const item of items) {
    const size = sizeOf(item);
    if (current.length > 0 && currentBytes + size > maxBatchBytes) {
      chunks.push(current);
      current = [];
      currentBytes = RECORD_BATCH_OVERHEAD;
    }
    current.push(item);
    currentBytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
