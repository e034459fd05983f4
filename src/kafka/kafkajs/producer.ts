import { Partitioners, type Kafka, type Message, type Producer, type Transaction } from 'kafkajs';
import { ConfigError } from '../../errors';
import type {
  KafkaProducer,
  KafkaTransaction,
  OutgoingRecord,
  PartitionWrite,
  ProducerOptions,
  TransactionalProducer,
  TransactionalProducerOptions,
  TransactionOffset,
} from '../port';
import type { Guard } from './guard';
import { PartitionChoices, toKafkajsMessage } from './records';

/**
 * kafkajs' default partitioner (Java-compatible murmur2 of the key), recording which partition each message
 * went to so a send can report where its records are.
 */
function recordingPartitioner(choices: PartitionChoices): () => ReturnType<typeof Partitioners.DefaultPartitioner> {
  return () => {
    const inner = Partitioners.DefaultPartitioner();
    return (args) => {
      const partition = inner(args);
      choices.record(args.message, partition);
      return partition;
    };
  };
}

async function connected(producer: Producer, guard: Guard, operation: string): Promise<Producer> {
  try {
    await guard(operation, () => producer.connect());
  } catch (err) {
    // A half-open client keeps sockets and timers alive; close it before reporting.
    await producer.disconnect().catch(() => undefined);
    throw err;
  }
  return producer;
}

/**
 * A connected producer: idempotent unless asked otherwise (kafkajs retries a whole produce request when one
 * partition answers NOT_LEADER; without idempotence the other partitions' records would be written twice).
 */
export async function openProducer(kafka: Kafka, guard: Guard, options: ProducerOptions = {}): Promise<KafkaProducer> {
  const idempotent = options.idempotent ?? true;
  const acks = options.acks ?? -1;
  if (idempotent && acks !== -1) {
    throw new ConfigError(`An idempotent producer needs acks -1 (all in-sync replicas), got acks ${acks}; pass idempotent: false for acks ${acks}`, { field: 'acks' });
  }
  const choices = new PartitionChoices();
  const producer = kafka.producer({
    createPartitioner: recordingPartitioner(choices),
    idempotent,
    maxInFlightRequests: idempotent ? 1 : undefined,
    allowAutoTopicCreation: false,
  });
  await connected(producer, guard, 'connect producer');
  return {
    async send(topic: string, records: readonly OutgoingRecord[]): Promise<PartitionWrite[]> {
      if (records.length === 0) return [];
      const messages = records.map(toKafkajsMessage);
      const metadata = await guard(`send to ${topic}`, () => producer.send({ topic, acks, messages }));
      return acks === 0 ? [] : choices.writes(topic, messages, metadata);
    },
    async close(): Promise<void> {
      await producer.disconnect().catch(() => undefined);
    },
  };
}

/** A connected transactional producer; InitProducerId runs on the first `begin()` (kafkajs' `transaction()`). */
export async function openTransactionalProducer(kafka: Kafka, guard: Guard, options: TransactionalProducerOptions): Promise<TransactionalProducer> {
  const { transactionalId } = options;
  const choices = new PartitionChoices();
  const producer = kafka.producer({
    createPartitioner: recordingPartitioner(choices),
    transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    transactionTimeout: options.transactionTimeoutMs ?? 60_000,
    allowAutoTopicCreation: false,
  });
  await connected(producer, guard, `connect transactional producer ${transactionalId}`);
  return {
    transactionalId,
    async begin(): Promise<KafkaTransaction> {
      const txn = await guard(`begin transaction ${transactionalId}`, () => producer.transaction());
      return wrapTransaction(txn, transactionalId, choices, guard);
    },
    async close(): Promise<void> {
      await producer.disconnect().catch(() => undefined);
    },
  };
}

function wrapTransaction(txn: Transaction, transactionalId: string, choices: PartitionChoices, guard: Guard): KafkaTransaction {
  return {
    async send(topic: string, records: readonly OutgoingRecord[]): Promise<PartitionWrite[]> {
      if (records.length === 0) return [];
      const messages: Message[] = records.map(toKafkajsMessage);
      const metadata = await guard(`send to ${topic} in transaction ${transactionalId}`, () => txn.send({ topic, acks: -1, messages }));
      return choices.writes(topic, messages, metadata);
    },
    async commitOffsets(groupId: string, offsets: readonly TransactionOffset[]): Promise<void> {
      if (offsets.length === 0) return;
      const byTopic = new Map<string, Array<{ partition: number; offset: string; metadata?: string | null }>>();
      for (const o of offsets) {
        const list = byTopic.get(o.topic) ?? [];
        // kafkajs passes `metadata` through to TxnOffsetCommit (it is not in its type definitions).
        list.push({ partition: o.partition, offset: o.offset, metadata: o.metadata ?? null });
        byTopic.set(o.topic, list);
      }
      // sendOffsets runs AddOffsetsToTxn and TxnOffsetCommit (generation -1, no member) on the group's
      // coordinator: the group need not have consumed through this client.
      await guard(`commit offsets of group ${groupId} in transaction ${transactionalId}`, () =>
        txn.sendOffsets({
          consumerGroupId: groupId,
          topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions: partitions as Array<{ partition: number; offset: string }> })),
        }),
      );
    },
    async commit(): Promise<void> {
      await guard(`commit transaction ${transactionalId}`, () => txn.commit());
    },
    async abort(): Promise<void> {
      await guard(`abort transaction ${transactionalId}`, () => txn.abort());
    },
    get active(): boolean {
      return txn.isActive();
    },
  };
}
