import { Kafka, Partitioners, type Admin, type ITopicConfig, type KafkaConfig, type Producer, type ProducerConfig } from 'kafkajs';
import { WaitTimeoutError } from '../../errors';
import { isKafkajsError, toKafkajsKBridgeError } from './errors';
import { mechanismLabel, resolveConnection, type CreateKafkaDeps } from '../factory';
import type { KafkaConnectionConfig, KafkaConnectionInfo } from '../types';
import { toKafkajsConfig } from './config';

// The kafkajs-typed API from before the port. It goes away once no caller outside src/kafka/ uses it:
// use createKafkaClient, withKafkaAdmin and withKafkaProducer instead.

const connectionInfo = new WeakMap<Kafka, KafkaConnectionInfo>();

/** @deprecated kafkajs options for a connection config; use {@link resolveConnection} and the port. */
export async function buildKafkaConfig(config: KafkaConnectionConfig, deps: CreateKafkaDeps = {}): Promise<KafkaConfig> {
  return toKafkajsConfig(await resolveConnection(config, deps));
}

/** @deprecated a bare kafkajs client; use `createKafkaClient`. */
export async function createKafka(config: KafkaConnectionConfig, deps: CreateKafkaDeps = {}): Promise<Kafka> {
  const connection = await resolveConnection(config, deps);
  const kafka = new Kafka(toKafkajsConfig(connection));
  connectionInfo.set(kafka, { ...connection.info, mechanism: mechanismLabel(config.auth) });
  return kafka;
}

/** @deprecated The connection a client from {@link createKafka} was built for (a bare `Kafka` gets a generic answer). */
export function describeKafka(kafka: Kafka): KafkaConnectionInfo {
  return connectionInfo.get(kafka) ?? { cluster: 'kafka', mechanism: 'unknown', bootstrapServers: [], tls: false };
}

async function withClient<C extends { connect(): Promise<void>; disconnect(): Promise<void> }, T>(
  kafka: Kafka,
  kind: string,
  client: C,
  fn: (client: C) => Promise<T>,
): Promise<T> {
  const { cluster, mechanism } = describeKafka(kafka);
  try {
    await client.connect();
  } catch (err) {
    // A half-open client keeps sockets and timers alive; close it before reporting.
    await client.disconnect().catch(() => undefined);
    throw toKafkajsKBridgeError(err, { cluster, mechanism, operation: `connect ${kind}` });
  }
  try {
    return await fn(client);
  } catch (err) {
    // Only kafkajs errors are ours to translate; the caller's own errors (and programmer errors) pass through.
    throw isKafkajsError(err) ? toKafkajsKBridgeError(err, { cluster, mechanism, operation: kind }) : err;
  } finally {
    await client.disconnect().catch(() => undefined);
  }
}

/**
 * @deprecated use `withKafkaAdmin`.
 * Connect an admin client, run `fn`, and always disconnect. kafkajs errors (connect or inside `fn`)
 * come out as our taxonomy ({@link toKafkajsKBridgeError}) naming the cluster and mechanism.
 *
 * @example
 * ```ts
 * const topics = await withAdmin(kafka, (admin) => admin.listTopics());
 * ```
 */
export function withAdmin<T>(kafka: Kafka, fn: (admin: Admin) => Promise<T>): Promise<T> {
  return withClient(kafka, 'admin', kafka.admin(), fn);
}

/**
 * @deprecated use `withKafkaProducer`.
 * Connect a producer, run `fn`, and always disconnect. Uses kafkajs' default (Java-compatible murmur2)
 * partitioner unless `config` says otherwise, so keyed records land where Java clients would put them.
 * Idempotent by default (sends need `acks: -1`): kafkajs retries a whole produce request when one partition
 * answers NOT_LEADER, and a non-idempotent producer would then write the other partitions' records twice.
 *
 * @example
 * ```ts
 * await withProducer(kafka, (p) => p.send({ topic, messages: [{ key: 'k', value: 'v' }] }));
 * ```
 */
export function withProducer<T>(kafka: Kafka, fn: (producer: Producer) => Promise<T>, config: ProducerConfig = {}): Promise<T> {
  return withClient(kafka, 'producer', kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1, ...config }), fn);
}

/** Metadata answers that only mean "the new topic has not reached this broker's metadata cache yet". */
const NOT_YET = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE']);

/**
 * @deprecated use `KafkaAdmin.createTopics`.
 * Create topics and wait until every partition has a leader. Use instead of kafkajs'
 * `createTopics({ waitForLeaders: true })`, which gives up with UNKNOWN_TOPIC_OR_PARTITION when a KRaft
 * broker's metadata cache has not caught up with the controller yet (it only retries LEADER_NOT_AVAILABLE).
 * Resolves `false` when every topic already existed (like kafkajs); a wait past `timeoutMs` is a
 * {@link WaitTimeoutError}.
 *
 * @example
 * ```ts
 * await withAdmin(kafka, (admin) => createTopicsAndWait(admin, [{ topic, numPartitions: 3 }]));
 * ```
 */
export async function createTopicsAndWait(admin: Admin, topics: ITopicConfig[], { timeoutMs = 30_000 }: { timeoutMs?: number } = {}): Promise<boolean> {
  const created = await admin.createTopics({ topics, waitForLeaders: false });
  const names = topics.map((t) => t.topic);
  const deadline = Date.now() + timeoutMs;
  let last = 'no metadata yet';
  for (;;) {
    try {
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics: names });
      const pending = metadata.filter((t) => {
        const wanted = topics.find((c) => c.topic === t.name)?.numPartitions ?? 1;
        return t.partitions.length < Math.max(wanted, 1) || t.partitions.some((p) => p.leader < 0);
      });
      if (pending.length === 0) return created;
      last = `no leader yet for ${pending.map((t) => t.name).join(', ')}`;
    } catch (err) {
      if (!NOT_YET.has((err as { type?: string }).type ?? '')) throw err;
      last = (err as Error).message;
    }
    if (Date.now() > deadline) {
      throw new WaitTimeoutError(`Topics ${names.join(', ')} have no partition leaders after ${timeoutMs} ms (${last})`, { topic: names[0] });
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}


