import type { Admin, Kafka, Producer, ProducerConfig } from 'kafkajs';
import { Partitioners } from 'kafkajs';
import { describeKafka } from './factory';
import { isKafkaClientError, toKBridgeError } from './errors';

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
    throw toKBridgeError(err, { cluster, mechanism, operation: `connect ${kind}` });
  }
  try {
    return await fn(client);
  } catch (err) {
    // Only kafkajs errors are ours to translate; the caller's own errors (and programmer errors) pass through.
    throw isKafkaClientError(err) ? toKBridgeError(err, { cluster, mechanism, operation: kind }) : err;
  } finally {
    await client.disconnect().catch(() => undefined);
  }
}

/**
 * Connect an admin client, run `fn`, and always disconnect. kafkajs errors (connect or inside `fn`)
 * come out as our taxonomy ({@link toKBridgeError}) naming the cluster and mechanism.
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
 * Connect a producer, run `fn`, and always disconnect. Uses kafkajs' default (Java-compatible murmur2)
 * partitioner unless `config` says otherwise, so keyed records land where Java clients would put them.
 *
 * @example
 * ```ts
 * await withProducer(kafka, (p) => p.send({ topic, messages: [{ key: 'k', value: 'v' }] }));
 * ```
 */
export function withProducer<T>(kafka: Kafka, fn: (producer: Producer) => Promise<T>, config: ProducerConfig = {}): Promise<T> {
  return withClient(kafka, 'producer', kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, ...config }), fn);
}
