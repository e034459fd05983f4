import type { KafkaAdmin, KafkaClient, KafkaProducer, ProducerOptions } from './port';

/**
 * Open an admin on `kafka`, run `fn`, and always close it.
 *
 * @example
 * ```ts
 * const topics = await withKafkaAdmin(kafka, (admin) => admin.listTopics());
 * ```
 */
export async function withKafkaAdmin<T>(kafka: KafkaClient, fn: (admin: KafkaAdmin) => Promise<T>): Promise<T> {
  const admin = await kafka.admin();
  try {
    return await fn(admin);
  } finally {
    await admin.close().catch(() => undefined);
  }
}

/**
 * Open a producer on `kafka` (idempotent, acks all, unless `options` says otherwise), run `fn`, and always close it.
 *
 * @example
 * ```ts
 * await withKafkaProducer(kafka, (p) => p.send(topic, [{ key: 'k', value: 'v' }]));
 * ```
 */
export async function withKafkaProducer<T>(kafka: KafkaClient, fn: (producer: KafkaProducer) => Promise<T>, options: ProducerOptions = {}): Promise<T> {
  const producer = await kafka.producer(options);
  try {
    return await fn(producer);
  } finally {
    await producer.close().catch(() => undefined);
  }
}
