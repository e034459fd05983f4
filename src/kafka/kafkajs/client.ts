import { Kafka } from 'kafkajs';
import type { KafkaAdapter, ResolvedConnection } from '../connection';
import type { KafkaClient } from '../port';
import { openAdmin } from './admin';
import { toKafkajsConfig } from './config';
import { createGroupConsumer } from './consumer';
import { createGuard } from './guard';
import { openProducer, openTransactionalProducer } from './producer';
import { readRanges } from './readRanges';

/**
 * The kafkajs 2.2 adapter of the Kafka port: one kafkajs `Kafka` per client, each method opening its own
 * connections. Every error it lets out is a KBridgeError naming the cluster, mechanism and operation.
 *
 * @example
 * ```ts
 * const kafka = createKafkajsClient(await resolveConnection(config, { secrets }));
 * const topics = await withKafkaAdmin(kafka, (admin) => admin.listTopics());
 * ```
 */
export const createKafkajsClient: KafkaAdapter = (connection: ResolvedConnection): KafkaClient => {
  const kafka = new Kafka(toKafkajsConfig(connection));
  const { info } = connection;
  const guard = createGuard(info);
  return {
    kind: 'kafkajs',
    info,
    admin: () => openAdmin(kafka, info, guard),
    producer: (options) => openProducer(kafka, guard, options),
    transactionalProducer: (options) => openTransactionalProducer(kafka, guard, options),
    consumer: (options) => createGroupConsumer(kafka, info, guard, options),
    readRanges: (topic, ranges, onRecord, options) => readRanges(kafka, info, guard, topic, ranges, onRecord, options),
  };
};
