import { createHash } from 'node:crypto';
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import type { OffsetMapEntry } from './offsetMap';
import { readOffsetMap } from './offsetMapStore';
import { PROVENANCE_HEADER_PREFIX } from './records';
import { readRanges } from './read';

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

export interface VerificationReport {
  partitions: PartitionVerification[];
  ok: boolean;
}

/**
 * An order-sensitive running checksum over (key, value, headers, timestamp). Headers are taken per key in
 * order (kafkajs groups repeated keys), sorted by key; the bridge's provenance headers are ignored.
 */
export class RecordChecksum {
  private readonly hash = createHash('sha256');
  public count = 0;

  public add(message: KafkaMessage): void {
    const headers = Object.entries(message.headers ?? {})
      .filter(([k]) => !k.startsWith(PROVENANCE_HEADER_PREFIX))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${k}=${x === undefined ? '' : Buffer.from(x).toString('base64')}`));
    const line = [
      message.key === null ? '-' : message.key.toString('base64'),
      message.value === null ? '-' : message.value.toString('base64'),
      message.timestamp,
      headers.join(','),
    ].join('|');
    this.hash.update(`${line}\n`);
    this.count++;
  }

  public digest(): string {
    return this.hash.copy().digest('hex').slice(0, 16);
  }
}

/**
 * Compare source and target per partition over the range the bridge replicated (from the offset map):
 * counts and order-sensitive checksums. Dead-lettered source records are excluded from the source side.
 * Anything missing, duplicated, reordered or altered makes `match` false.
 *
 * @example
 * ```ts
 * const report = await verifyReplication({ source, target, targetAdmin, topics: ['orders'] });
 * if (!report.ok) process.exitCode = 1;
 * ```
 */
export async function verifyReplication(options: {
  source: Kafka;
  target: Kafka;
  targetAdmin: Admin;
  topics?: string[];
  bridgeId?: string;
  offsetMapTopic?: string;
  entries?: OffsetMapEntry[];
  timeoutMs?: number;
}): Promise<VerificationReport> {
  const entries = options.entries ?? (await readOffsetMap(options.target, options.targetAdmin, { bridgeId: options.bridgeId, topic: options.offsetMapTopic }));
  const groups = new Map<string, OffsetMapEntry[]>();
  for (const e of entries) {
    if (options.topics && !options.topics.includes(e.sourceTopic)) continue;
    const key = `${e.sourceTopic}\u0000${e.sourcePartition}`;
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  const partitions: PartitionVerification[] = [];
  const bySourceTopic = new Map<string, Array<{ partition: number; targetTopic: string; es: OffsetMapEntry[] }>>();
  for (const es of groups.values()) {
    const e0 = es[0] as OffsetMapEntry;
    bySourceTopic.set(e0.sourceTopic, [...(bySourceTopic.get(e0.sourceTopic) ?? []), { partition: e0.sourcePartition, targetTopic: e0.targetTopic, es }]);
  }
  for (const [sourceTopic, parts] of bySourceTopic) {
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
    await readRanges(options.source, sourceTopic, sourceRanges, (p, m) => {
      if (!dlq.get(p)?.has(BigInt(m.offset))) sums.get(p)?.s.add(m);
    }, { timeoutMs: options.timeoutMs });
    await readRanges(options.target, targetTopic, targetRanges, (p, m) => sums.get(p)?.t.add(m), { timeoutMs: options.timeoutMs });
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
  return { partitions, ok: partitions.every((p) => p.match) };
}
