import { Kafka, logLevel, type Admin, type KafkaMessage } from 'kafkajs';
import { inject } from 'vitest';
import type { KafkaBatch, SourceRecord } from '../../../src/event/types';
import { partitionEnds, readRanges } from '../../../src/bridge/read';
import { waitFor } from '../../support/helpers';

/** kafkajs clients for the shared local clusters (PLAINTEXT listeners). */
export function localKafka(which: 'source' | 'target'): Kafka {
  const clusters = inject('clusters');
  return new Kafka({
    clientId: `kbridge-test-${which}`,
    brokers: clusters[which].bootstrapServers.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 2000 },
  });
}

export interface SampleRecord {
  partition: number;
  key: string | null;
  value: string | Buffer | null;
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

export async function produce(kafka: Kafka, topic: string, records: SampleRecord[]): Promise<void> {
  // Idempotent: kafkajs retries a whole produce request when one partition answers NOT_LEADER, re-writing the others.
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    await producer.send({
      topic,
      acks: -1,
      messages: records.map((r) => ({
        partition: r.partition,
        key: r.key,
        value: r.value,
        headers: r.headers,
        timestamp: r.timestamp === undefined ? undefined : String(r.timestamp),
      })),
    });
  } finally {
    await producer.disconnect();
  }
}

/** Everything committed in `[0, end)` of each partition, as decoded source records. */
export async function readAll(
  kafka: Kafka,
  topic: string,
  ends: Map<number, bigint>,
  options: { readUncommitted?: boolean } = {},
): Promise<Map<number, SourceRecord[]>> {
  const out = new Map<number, SourceRecord[]>([...ends.keys()].map((p) => [p, []]));
  await readRanges(
    kafka,
    topic,
    new Map([...ends].map(([p, to]) => [p, { from: 0n, to }])),
    (p, m) => out.get(p)?.push(toSourceRecord(topic, p, m)),
    { readUncommitted: options.readUncommitted, timeoutMs: 30_000 },
  );
  return out;
}

export function toSourceRecord(topic: string, partition: number, m: KafkaMessage): SourceRecord {
  const headers: SourceRecord['headers'] = [];
  for (const [key, value] of Object.entries(m.headers ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (v !== undefined) headers.push({ key, value: new Uint8Array(Buffer.from(v)) });
    }
  }
  return {
    topic,
    partition,
    offset: BigInt(m.offset),
    timestamp: Number(m.timestamp),
    timestampType: 'CREATE_TIME',
    key: m.key === null ? null : new Uint8Array(m.key),
    value: m.value === null ? null : new Uint8Array(m.value),
    headers,
  };
}

/** A decoded Lambda batch of the given records, grouped per partition in offset order. */
export function batchOf(records: SourceRecord[], bootstrapServers = inject('clusters').source.bootstrapServers): KafkaBatch {
  const byPartition = new Map<string, SourceRecord[]>();
  for (const r of records) {
    const key = `${r.topic}\u0000${r.partition}`;
    byPartition.set(key, [...(byPartition.get(key) ?? []), r]);
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

/** A comparable view of a record (bytes as base64/strings, headers in kafkajs order). */
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
  source: Kafka;
  target: Kafka;
  sourceAdmin: Admin;
  targetAdmin: Admin;
}

/** Clients for both local clusters with connected admins; call `disconnectClusters` in afterAll. */
export async function connectClusters(): Promise<TestClusters> {
  const source = localKafka('source');
  const target = localKafka('target');
  const sourceAdmin = source.admin();
  const targetAdmin = target.admin();
  await Promise.all([sourceAdmin.connect(), targetAdmin.connect()]);
  return { source, target, sourceAdmin, targetAdmin };
}

export async function disconnectClusters(c: TestClusters | undefined): Promise<void> {
  if (c) await Promise.allSettled([c.sourceAdmin.disconnect(), c.targetAdmin.disconnect()]);
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
export function startSequencedLoad(kafka: Kafka, topic: string, partitions: number, perTick: number, tickMs: number): SequencedLoad {
  const next = Array.from({ length: partitions }, () => 0);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  let stopped = false;
  const loop = (async () => {
    await producer.connect();
    try {
      while (!stopped) {
        const messages = next.flatMap((_, partition) =>
          Array.from({ length: perTick }, () => {
            const seq = next[partition] ?? 0;
            next[partition] = seq + 1;
            return { partition, key: `k-${partition}-${seq}`, value: JSON.stringify({ partition, seq, pad: 'x'.repeat(seq % 50) }), headers: { seq: String(seq) } };
          }),
        );
        await producer.send({ topic, acks: -1, messages });
        await new Promise((r) => setTimeout(r, tickMs));
      }
    } finally {
      await producer.disconnect();
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return next;
    },
  };
}

/** The `seq` of every committed record on the target topic, per partition, in offset order. */
export async function readSequences(kafka: Kafka, admin: Admin, topic: string): Promise<Map<number, number[]>> {
  const ends = await partitionEnds(admin, topic);
  const seqs = new Map<number, number[]>([...ends.keys()].map((p) => [p, []]));
  await readRanges(kafka, topic, new Map([...ends].map(([p, e]) => [p, { from: 0n, to: e.high }])), (p, m) => {
    seqs.get(p)?.push(Number((JSON.parse(String(m.value)) as { seq: number }).seq));
  });
  return seqs;
}

/** Wait until the bridge's checkpoint on the target covers `produced[p]` records of every source partition. */
export async function waitForCheckpoint(targetAdmin: Admin, groupId: string, topic: string, produced: readonly number[], timeoutMs: number): Promise<void> {
  await waitFor(
    'the bridge checkpoint reaches the end of every source partition',
    async () => {
      const [committed] = await targetAdmin.fetchOffsets({ groupId, topics: [topic] });
      return produced.every((n, p) => committed?.partitions.find((x) => x.partition === p)?.offset === String(n));
    },
    { timeoutMs },
  );
}
