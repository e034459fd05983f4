import { createHash } from 'node:crypto';
import type { ConsumedRecord, KafkaAdmin, KafkaClient, KafkaHeader } from '../kafka/port';
import type { OffsetMapEntry, TargetSpan } from './offsetMap';
import { readOffsetMap } from './offsetMapStore';
import { targetPartitionFor } from './partitioner';
import { PROVENANCE_HEADER_PREFIX } from './records';

export interface PartitionVerification {
  sourceTopic: string;
  targetTopic: string;
  partition: number;
  /** Source range checked, `[from, to)`, decimal. */
  sourceRange: [string, string];
  targetRange: [string, string];
  sourceCount: number;
  targetCount: number;
  deadLettered: number;
  sourceChecksum: string;
  targetChecksum: string;
  match: boolean;
}

/**
 * A topic repartitioned by key, compared as a whole (per-partition checksums cannot match: one source
 * partition is scattered over the target partitions). `match` needs all of: equal counts, equal
 * order-insensitive content checksums (nothing lost, duplicated or altered), every keyed target record in the
 * partition Kafka's default partitioner picks for its key, and, for each key whose source records all sit in
 * one source partition, the same order on the target (an order-sensitive checksum per key).
 */
export interface RepartitionedVerification {
  sourceTopic: string;
  targetTopic: string;
  /** Source partitions with offset-map entries, and the target partition count the keys were hashed onto. */
  sourcePartitions: number;
  targetPartitions: number;
  sourceCount: number;
  targetCount: number;
  deadLettered: number;
  /** Order-insensitive checksums over every record. */
  sourceChecksum: string;
  targetChecksum: string;
  /** Keys whose order was compared, and how many of them differ (missing, extra, altered or reordered). */
  keysCompared: number;
  keysDifferent: number;
  /** Up to 5 differing keys, base64. */
  sampleDifferentKeys: string[];
  /** Keys found in several source partitions: their relative order was never defined, only content is compared. */
  keysInSeveralSourcePartitions: number;
  /** Records without a key (placed by source partition; content compared, not order). */
  keylessRecords: number;
  /** Keyed target records not in the partition their key hashes to. */
  misplaced: number;
  match: boolean;
}

export interface VerificationReport {
  partitions: PartitionVerification[];
  /** Topics repartitioned by key (absent from `partitions`). */
  repartitioned: RepartitionedVerification[];
  ok: boolean;
}

/**
 * The canonical text of a record for checksums: key, value, timestamp and headers (provenance ignored).
 * Headers are sorted by key with a stable sort, so each key's values keep their order while the interleaving
 * of different keys does not count: a client that groups repeated keys (kafkajs) and one that keeps their
 * interleaving read the same record to the same line.
 */
function recordLine(record: ConsumedRecord): string {
  const headers = record.headers
    .filter((h) => !h.key.startsWith(PROVENANCE_HEADER_PREFIX))
    .sort(byHeaderKey)
    .map((h) => `${h.key}=${h.value.toString('base64')}`);
  return [
    record.key === null ? '-' : record.key.toString('base64'),
    record.value === null ? '-' : record.value.toString('base64'),
    String(record.timestamp),
    headers.join(','),
  ].join('|');
}

function byHeaderKey(a: KafkaHeader, b: KafkaHeader): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/**
 * An order-sensitive running checksum over (key, value, headers, timestamp). Headers are taken per key in
 * order, sorted by key; the bridge's provenance headers are ignored.
 */
export class RecordChecksum {
  private readonly hash = createHash('sha256');
  public count = 0;

  public add(record: ConsumedRecord): void {
    this.hash.update(`${recordLine(record)}\n`);
    this.count++;
  }

  public digest(): string {
    return this.hash.copy().digest('hex').slice(0, 16);
  }
}

/**
 * Compare source and target per partition over the range the bridge replicated (from the offset map):
 * counts and order-sensitive checksums. Dead-lettered source records are excluded from the source side.
 * Anything missing, duplicated, reordered or altered makes `match` false. Topics repartitioned by key are
 * compared as a whole instead ({@link RepartitionedVerification}).
 *
 * @example
 * ```ts
 * const report = await verifyReplication({ source, target, targetAdmin, topics: ['orders'] });
 * if (!report.ok) process.exitCode = 1;
 * ```
 */
export async function verifyReplication(options: {
  source: KafkaClient;
  target: KafkaClient;
  targetAdmin: KafkaAdmin;
  topics?: string[];
  bridgeId?: string;
  offsetMapTopic?: string;
  entries?: OffsetMapEntry[];
  timeoutMs?: number;
}): Promise<VerificationReport> {
  const entries = options.entries ?? (await readOffsetMap(options.target, options.targetAdmin, { bridgeId: options.bridgeId, topic: options.offsetMapTopic }));
  // One pass over the entries: per source topic, the repartitioned ones as a whole, the others per partition.
  const repartitionedTopics = new Set<string>();
  for (const e of entries) if (e.repartitioned) repartitionedTopics.add(e.sourceTopic);
  const byRepartitionedTopic = new Map<string, OffsetMapEntry[]>();
  const bySourceTopic = new Map<string, Map<number, { partition: number; targetTopic: string; es: OffsetMapEntry[] }>>();
  const wanted = options.topics ? new Set(options.topics) : undefined;
  for (const e of entries) {
    if (wanted && !wanted.has(e.sourceTopic)) continue;
    if (repartitionedTopics.has(e.sourceTopic)) {
      pushTo(byRepartitionedTopic, e.sourceTopic, e);
      continue;
    }
    let parts = bySourceTopic.get(e.sourceTopic);
    if (!parts) bySourceTopic.set(e.sourceTopic, (parts = new Map()));
    const part = parts.get(e.sourcePartition);
    if (part) part.es.push(e);
    else parts.set(e.sourcePartition, { partition: e.sourcePartition, targetTopic: e.targetTopic, es: [e] });
  }
  const repartitioned: RepartitionedVerification[] = [];
  for (const [sourceTopic, topicEntries] of [...byRepartitionedTopic].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    repartitioned.push(await verifyRepartitionedTopic(options, sourceTopic, topicEntries));
  }
  const partitions: PartitionVerification[] = [];
  for (const [sourceTopic, partsByNumber] of bySourceTopic) {
    const parts = [...partsByNumber.values()];
    const sourceRanges = new Map<number, { from: bigint; to: bigint }>();
    const targetRanges = new Map<number, { from: bigint; to: bigint }>();
    const dlq = new Map<number, Set<bigint>>();
    for (const { partition, es } of parts) {
      es.sort((a, b) => (a.firstSourceOffset < b.firstSourceOffset ? -1 : 1));
      const from = (es[0] as OffsetMapEntry).firstSourceOffset;
      const to = es.reduce((m, e) => (e.lastSourceOffset + 1n > m ? e.lastSourceOffset + 1n : m), from);
      sourceRanges.set(partition, { from, to });
      const runs = es.flatMap((e) => e.runs);
      const firstRun = runs[0];
      const lastRun = runs[runs.length - 1];
      if (firstRun && lastRun) targetRanges.set(partition, { from: firstRun.targetStart, to: lastRun.targetStart + BigInt(lastRun.length) });
      dlq.set(partition, new Set(es.flatMap((e) => e.deadLettered.map((d) => d.offset))));
    }
    const targetTopic = (parts[0] as { targetTopic: string }).targetTopic;
    const sums = new Map<number, { s: RecordChecksum; t: RecordChecksum }>(parts.map((p) => [p.partition, { s: new RecordChecksum(), t: new RecordChecksum() }]));
    await options.source.readRanges(sourceTopic, sourceRanges, (r) => {
      if (!dlq.get(r.partition)?.has(r.offset)) sums.get(r.partition)?.s.add(r);
    }, readOptions(options));
    await options.target.readRanges(targetTopic, targetRanges, (r) => sums.get(r.partition)?.t.add(r), readOptions(options));
    for (const { partition, es } of parts.sort((a, b) => a.partition - b.partition)) {
      const sum = sums.get(partition) as { s: RecordChecksum; t: RecordChecksum };
      const sr = sourceRanges.get(partition) as { from: bigint; to: bigint };
      const tr = targetRanges.get(partition) ?? { from: 0n, to: 0n };
      partitions.push({
        sourceTopic,
        targetTopic,
        partition,
        sourceRange: [sr.from.toString(), sr.to.toString()],
        targetRange: [tr.from.toString(), tr.to.toString()],
        sourceCount: sum.s.count,
        targetCount: sum.t.count,
        deadLettered: es.reduce((n, e) => n + e.deadLettered.length, 0),
        sourceChecksum: sum.s.digest(),
        targetChecksum: sum.t.digest(),
        match: sum.s.count === sum.t.count && sum.s.digest() === sum.t.digest(),
      });
    }
  }
  return { partitions, repartitioned, ok: partitions.every((p) => p.match) && repartitioned.every((r) => r.match) };
}

/** Per-key state while reading one side of a repartitioned topic. */
interface KeyState {
  chain: string;
  sourcePartition: number;
  several: boolean;
}

/** Order-insensitive: the sum of 64-bit record hashes (mod 2^64) with the count. */
class ContentSum {
  public sum = 0n;
  public count = 0;

  public add(line: string): void {
    this.sum = (this.sum + createHash('sha256').update(line).digest().readBigUInt64BE(0)) & 0xffffffffffffffffn;
    this.count++;
  }

  public digest(): string {
    return this.sum.toString(16).padStart(16, '0');
  }
}

function chainKey(keys: Map<string, KeyState>, key: string, line: string, partition: number): void {
  const state = keys.get(key);
  const chain = createHash('sha256').update(`${state?.chain ?? ''}\n${line}`).digest('hex').slice(0, 16);
  if (state) {
    state.chain = chain;
    if (state.sourcePartition !== partition) state.several = true;
  } else keys.set(key, { chain, sourcePartition: partition, several: false });
}

async function verifyRepartitionedTopic(
  options: { source: KafkaClient; target: KafkaClient; timeoutMs?: number },
  sourceTopic: string,
  entries: OffsetMapEntry[],
): Promise<RepartitionedVerification> {
  const targetTopic = (entries[0] as OffsetMapEntry).targetTopic;
  const targetPartitions = entries.find((e) => e.repartitioned)?.repartitioned?.targetPartitions ?? 0;
  const sourceRanges = new Map<number, { from: bigint; to: bigint }>();
  const dlq = new Set<string>();
  const spans = new Map<number, TargetSpan[]>();
  for (const e of entries) {
    const r = sourceRanges.get(e.sourcePartition);
    sourceRanges.set(e.sourcePartition, {
      from: r && r.from < e.firstSourceOffset ? r.from : e.firstSourceOffset,
      to: r && r.to > e.lastSourceOffset + 1n ? r.to : e.lastSourceOffset + 1n,
    });
    for (const d of e.deadLettered) dlq.add(`${e.sourcePartition}/${d.offset}`);
    for (const s of e.repartitioned?.spans ?? []) pushTo(spans, s.partition, s);
  }
  const sourceKeys = new Map<string, KeyState>();
  const sourceSum = new ContentSum();
  let keyless = 0;
  await options.source.readRanges(sourceTopic, sourceRanges, (r) => {
    if (dlq.has(`${r.partition}/${r.offset}`)) return;
    const line = recordLine(r);
    sourceSum.add(line);
    if (r.key === null) keyless++;
    else chainKey(sourceKeys, r.key.toString('base64'), line, r.partition);
  }, readOptions(options));

  // Only the offsets the bridge wrote (its spans) count: anything else on the target is not the bridge's.
  const targetRanges = new Map<number, { from: bigint; to: bigint }>();
  for (const [p, list] of spans) {
    list.sort((a, b) => (a.targetStart < b.targetStart ? -1 : 1));
    const lastSpan = list[list.length - 1] as TargetSpan;
    targetRanges.set(p, { from: (list[0] as TargetSpan).targetStart, to: lastSpan.targetStart + BigInt(lastSpan.length) });
  }
  const cursor = new Map<number, number>();
  const inSpans = (p: number, offset: bigint): boolean => {
    const list = spans.get(p) ?? [];
    let i = cursor.get(p) ?? 0;
    while (i < list.length && offset >= (list[i] as TargetSpan).targetStart + BigInt((list[i] as TargetSpan).length)) i++;
    cursor.set(p, i);
    return i < list.length && offset >= (list[i] as TargetSpan).targetStart;
  };
  const targetKeys = new Map<string, KeyState>();
  const targetSum = new ContentSum();
  let misplaced = 0;
  await options.target.readRanges(targetTopic, targetRanges, (r) => {
    if (!inSpans(r.partition, r.offset)) return;
    const line = recordLine(r);
    targetSum.add(line);
    if (r.key === null) return;
    if (targetPartitionFor(r.key, 0, targetPartitions) !== r.partition) misplaced++;
    chainKey(targetKeys, r.key.toString('base64'), line, r.partition);
  }, readOptions(options));

  let keysCompared = 0;
  let several = 0;
  const different: string[] = [];
  for (const [key, s] of sourceKeys) {
    if (s.several) {
      several++;
      continue;
    }
    keysCompared++;
    if (targetKeys.get(key)?.chain !== s.chain) different.push(key);
  }
  // A key only on the target is a difference too (content sums also catch it).
  for (const key of targetKeys.keys()) if (!sourceKeys.has(key)) different.push(key);
  return {
    sourceTopic,
    targetTopic,
    sourcePartitions: sourceRanges.size,
    targetPartitions,
    sourceCount: sourceSum.count,
    targetCount: targetSum.count,
    deadLettered: dlq.size,
    sourceChecksum: sourceSum.digest(),
    targetChecksum: targetSum.digest(),
    keysCompared,
    keysDifferent: different.length,
    sampleDifferentKeys: different.slice(0, 5),
    keysInSeveralSourcePartitions: several,
    keylessRecords: keyless,
    misplaced,
    match: sourceSum.count === targetSum.count && sourceSum.digest() === targetSum.digest() && different.length === 0 && misplaced === 0,
  };
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function readOptions(options: { timeoutMs?: number }): { timeoutMs?: number } {
  return options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs };
}
