import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import {
  createKafkaClient,
  KafkaClientKinds,
  parseKafkaClientEnv,
  withKafkaAdmin,
  type ConsumedRecord,
  type KafkaClient,
  type KafkaClientKind,
  type KafkaConnectionConfig,
  type StructuredLogger,
} from '../../src/kafka';
import type { ClusterName } from '../../src/local/types';

/** A fresh, collision-free name for a topic or group in one test (integration tests share clusters). */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/**
 * Poll `probe` until it returns a value other than `undefined`/`false`, or fail after `timeoutMs` with
 * `what` in the message. Use instead of sleeps.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 30_000, intervalMs = 100 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const result = await probe();
      if (result !== undefined && result !== false) return result;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const suffix = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${suffix}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Drops every log line: for clients in tests that provoke errors on purpose. */
export const quietLogger: StructuredLogger = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {} };

/**
 * The Kafka client library the tests run on: `KAFKA_CLIENT` (`kafkajs` | `platformatic`), else the project
 * default. `KAFKA_CLIENT=platformatic npm test` runs the whole suite on the other adapter.
 */
export function testKafkaClientKind(): KafkaClientKind {
  return parseKafkaClientEnv(process.env);
}

/**
 * A private port base for a test that starts its own broker, distinct per vitest project: the same file runs in
 * `integration` and `integration-<other client>` at the same time, and two brokers cannot bind one port. Each
 * adapter gets its own block of 50 (a cluster uses base, base+1 and base+2).
 */
export function privatePortBase(base: number): number {
  return base + 50 * KafkaClientKinds.indexOf(testKafkaClientKind());
}

export interface LocalKafkaOptions {
  /** Default {@link testKafkaClientKind}. */
  client?: KafkaClientKind;
  /** `plaintext` (default) or the SASL/SCRAM-SHA-512 listener. */
  listener?: 'plaintext' | 'scram';
  /** Client-level retries; default the adapter's own. */
  retries?: number;
  logger?: StructuredLogger;
}

/** The connection config of a local cluster (integration tests only: it reads `inject('clusters')`). */
export function localKafkaConfig(side: ClusterName, listener: LocalKafkaOptions['listener'] = 'plaintext'): KafkaConnectionConfig {
  const info = inject('clusters')[side];
  if (listener === 'scram') {
    const { bootstrapServers, username, password } = info.saslScram512;
    return { name: side, bootstrapServers: bootstrapServers.split(','), auth: { type: 'sasl-inline', mechanism: 'scram-sha-512', username, password } };
  }
  return { name: side, bootstrapServers: info.bootstrapServers.split(','), auth: { type: 'none' } };
}

/**
 * A {@link KafkaClient} for one of the shared local clusters, on the adapter `KAFKA_CLIENT` names (or
 * `options.client`), logging nothing.
 *
 * @example
 * ```ts
 * const source = await localKafkaClient('source');
 * const topic = await createTestTopic(source, 3);
 * ```
 */
export function localKafkaClient(side: ClusterName, options: LocalKafkaOptions = {}): Promise<KafkaClient> {
  return createKafkaClient(localKafkaConfig(side, options.listener), {
    client: options.client ?? testKafkaClientKind(),
    logger: options.logger ?? quietLogger,
    logLevel: 'nothing',
    ...(options.retries !== undefined ? { retries: options.retries } : {}),
  });
}

/** Create a fresh topic (every partition led before it returns) and give its name. */
export async function createTestTopic(kafka: KafkaClient, partitions: number, prefix = 'it', configs?: Record<string, string>): Promise<string> {
  const topic = uniqueName(prefix);
  await withKafkaAdmin(kafka, (admin) => admin.createTopics([{ topic, numPartitions: partitions, replicationFactor: 1, ...(configs ? { configs } : {}) }]));
  return topic;
}

/**
 * Read `count` records of `topic` from the beginning through a fresh consumer group (read_committed) and close
 * it; fails after `timeoutMs` naming how many arrived.
 *
 * @example
 * ```ts
 * const records = await consumeRecords(kafka, topic, 3);
 * ```
 */
export async function consumeRecords(kafka: KafkaClient, topic: string, count: number, { timeoutMs = 60_000 }: { timeoutMs?: number } = {}): Promise<ConsumedRecord[]> {
  const seen: ConsumedRecord[] = [];
  const consumer = kafka.consumer({ groupId: uniqueName('it-read'), topics: [topic], fromBeginning: true, sessionTimeoutMs: 6000, heartbeatIntervalMs: 500, maxWaitTimeMs: 100 });
  try {
    await consumer.start({ onBatch: (batch) => void seen.push(...batch.records) });
    await waitFor(`${count} records on ${topic} (${seen.length} so far)`, () => seen.length >= count, { timeoutMs });
    return seen;
  } finally {
    await consumer.close().catch(() => undefined);
  }
}
