import { inject } from 'vitest';
import { partitionEnds } from '../../../src/bridge/read';
import type { KafkaBatch, SourceRecord } from '../../../src/event/types';
import { withKafkaProducer, type ConsumedRecord, type KafkaAdmin, type KafkaClient, type KafkaHeader, type OutgoingRecord } from '../../../src/kafka';
import { localKafkaClient, waitFor } from '../../support/helpers';

/** A client for one of the shared local clusters (PLAINTEXT listener), on the adapter `KAFKA_CLIENT` names. */
export function localKafka(which: 'source' | 'target'): Promise<KafkaClient> {
  return localKafkaClient(which, { retries: 8 });
}

export interface SampleRecord {
  partition: number;
  key: string | null;
  value: string | Buffer | null;
  /** In order; a repeated name is a repeated header. */
  headers?: Record<string, string | string[]>;
  timestamp?: number;
}

/** Produce sample records (keys `k-<p>-<i>`, a header, explicit CreateTime) so every field can be compared. */
export function sampleRecords(partitions: number, perPartition: number, baseTimestamp = Date.now() - 60_000): SampleRecord[] {
  const out: SampleRecord[] = [];
  for (let p = 0; p < partitions; p++) {
    for (let i = 0; i < perPartition; i++) {
      out.push({
        partition: p,
        key: `k-${p}-${i}`,
        value: `v-${p}-${i}-${'x'.repeat(i % 7)}`,
        headers: { trace: `t-${p}-${i}`, multi: ['a', 'b'] },
        timestamp: baseTimestamp + p * 1000 + i,
      });
    }
  }
  return out;
}

function headersOf(headers: SampleRecord['headers']): KafkaHeader[] {
  return Object.entries(headers ?? {}).flatMap(([key, v]) => (Array.isArray(v) ? v : [v]).map((value) => ({ key, value: Buffer.from(value) })));
}

/** Write the records with an idempotent producer (acks all): exactly one copy each, also across client retries. */
export async function produce(kafka: KafkaClient, topic: string, records: SampleRecord[]): Promise<void> {
  await withKafkaProducer(kafka, (producer) =>
    producer.send(
      topic,
      records.map(
        (r): OutgoingRecord => ({
          partition: r.partition,
          key: r.key,
          value: r.value,
          headers: headersOf(r.headers),
          ...(r.timestamp === undefined ? {} : { timestamp: String(r.timestamp) }),
        }),
      ),
    ),
  );
}

/** Everything committed in `[0, end)` of each partition, as decoded source records. */
export async function readAll(
  kafka: KafkaClient,
  topic: string,
  ends: Map<number, bigint>,
  options: { readUncommitted?: boolean } = {},
): Promise<Map<number, SourceRecord[]>> {
  const out = new Map<number, SourceRecord[]>([...ends.keys()].map((p) => [p, []]));
  await kafka.readRanges(
    topic,
    new Map([...ends].map(([p, to]) => [p, { from: 0n, to }])),
    (r) => out.get(r.partition)?.push(toSourceRecord(r)),
    { readUncommitted: options.readUncommitted ?? false, timeoutMs: 30_000 },
  );
  return out;
}

/** A consumed record as the Lambda event decoder would give it. */
export function toSourceRecord(r: ConsumedRecord): SourceRecord {
  return {
    topic: r.topic,
    partition: r.partition,
    offset: r.offset,
    timestamp: r.timestamp,
    timestampType: r.timestampType,
    key: r.key,
    value: r.value,
    headers: r.headers.map((h) => ({ key: h.key, value: h.value })),
  };
}

/** A decoded Lambda batch of the given records, grouped per partition in offset order. */
export function batchOf(records: SourceRecord[], bootstrapServers = inject('clusters').source.bootstrapServers): KafkaBatch {
  const byPartition = new Map<string, SourceRecord[]>();
  for (const r of records) {
    const key = `${r.topic}\u0000${r.partition}`;
    const list = byPartition.get(key);
    if (list) list.push(r);
    else byPartition.set(key, [r]);
  }
  return {
    eventSource: 'SelfManagedKafka',
    bootstrapServers: bootstrapServers.split(','),
    partitions: [...byPartition.values()].map((rs) => ({
      topic: (rs[0] as SourceRecord).topic,
      partition: (rs[0] as SourceRecord).partition,
      records: [...rs].sort((a, b) => (a.offset < b.offset ? -1 : 1)),
    })),
  };
}

/** A comparable view of a record (bytes as base64, headers in order, the bridge's own left out). */
export function view(r: SourceRecord): Record<string, unknown> {
  return {
    partition: r.partition,
    key: r.key === null ? null : Buffer.from(r.key).toString('base64'),
    value: r.value === null ? null : Buffer.from(r.value).toString('base64'),
    timestamp: r.timestamp,
    headers: r.headers.filter((h) => !h.key.startsWith('kbridge.')).map((h) => `${h.key}=${Buffer.from(h.value).toString('base64')}`),
  };
}

export interface TestClusters {
  source: KafkaClient;
  target: KafkaClient;
  sourceAdmin: KafkaAdmin;
  targetAdmin: KafkaAdmin;
}

/** Clients for both local clusters with connected admins; call `disconnectClusters` in afterAll. */
export async function connectClusters(): Promise<TestClusters> {
  const [source, target] = await Promise.all([localKafka('source'), localKafka('target')]);
  const [sourceAdmin, targetAdmin] = await Promise.all([source.admin(), target.admin()]);
  return { source, target, sourceAdmin, targetAdmin };
}

export async function disconnectClusters(c: TestClusters | undefined): Promise<void> {
  if (c) await Promise.allSettled([c.sourceAdmin.close(), c.targetAdmin.close()]);
}

/** Create a topic on one cluster (every partition led before it returns). */
export async function createTopic(admin: KafkaAdmin, topic: string, numPartitions: number, configs?: Record<string, string>): Promise<void> {
  await admin.createTopics([{ topic, numPartitions, ...(configs ? { configs } : {}) }]);
}

/** A producer writing `seq` 0,1,2… per partition until stopped. */
export interface SequencedLoad {
  /** Stop producing; resolves with the number of records written per partition. */
  stop(): Promise<number[]>;
}

/**
 * Produce `{ partition, seq }` records (key `k-<p>-<seq>`, a `seq` header) to every partition, `perTick` per
 * partition every `tickMs`, until stopped. Idempotent and non-transactional, so on the source offset = seq.
 */
export function startSequencedLoad(kafka: KafkaClient, topic: string, partitions: number, perTick: number, tickMs: number): SequencedLoad {
  const next = Array.from({ length: partitions }, () => 0);
  let stopped = false;
  const loop = withKafkaProducer(kafka, async (producer) => {
    while (!stopped) {
      const records = next.flatMap((_, partition) =>
        Array.from({ length: perTick }, (): OutgoingRecord => {
          const seq = next[partition] ?? 0;
          next[partition] = seq + 1;
          return { partition, key: `k-${partition}-${seq}`, value: JSON.stringify({ partition, seq, pad: 'x'.repeat(seq % 50) }), headers: [{ key: 'seq', value: Buffer.from(String(seq)) }] };
        }),
      );
      await producer.send(topic, records);
      await new Promise((r) => setTimeout(r, tickMs));
    }
  });
  return {
    async stop() {
      stopped = true;
      await loop;
      return next;
    },
  };
}

/** The `seq` of every committed record on the target topic, per partition, in offset order. */
export async function readSequences(kafka: KafkaClient, admin: KafkaAdmin, topic: string): Promise<Map<number, number[]>> {
  const ends = await partitionEnds(admin, topic);
  const seqs = new Map<number, number[]>([...ends.keys()].map((p) => [p, []]));
  await kafka.readRanges(topic, new Map([...ends].map(([p, e]) => [p, { from: 0n, to: e.high }])), (r) => {
    seqs.get(r.partition)?.push(Number((JSON.parse(String(r.value)) as { seq: number }).seq));
  });
  return seqs;
}

/** The offsets a group has committed on a topic, by partition (null: none). */
export async function committedOffsets(admin: KafkaAdmin, groupId: string, topic: string): Promise<Map<number, string | null>> {
  return new Map((await admin.fetchCommittedOffsets(groupId, [topic])).filter((c) => c.topic === topic).map((c) => [c.partition, c.offset]));
}

/** Wait until the bridge's checkpoint on the target covers `produced[p]` records of every source partition. */
export async function waitForCheckpoint(targetAdmin: KafkaAdmin, groupId: string, topic: string, produced: readonly number[], timeoutMs: number): Promise<void> {
  await waitFor(
    'the bridge checkpoint reaches the end of every source partition',
    async () => {
      const committed = await committedOffsets(targetAdmin, groupId, topic);
      return produced.every((n, p) => committed.get(p) === String(n));
    },
    { timeoutMs },
  );
}
