import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { toKafkajsKBridgeError } from './errors';
import type { FetchedBatch, GroupConsumer, GroupConsumerHandlers, GroupConsumerOptions, TopicPartition } from '../port';
import type { KafkaConnectionInfo } from '../types';
import type { Guard } from './guard';
import { toConsumedRecord } from './records';

/** Fetch long-poll: kafkajs' disconnect waits for the fetch in progress (5 s by default on a caught-up topic). */
const DEFAULT_MAX_WAIT_MS = 500;

/**
 * A consumer-group member over a kafkajs consumer with autoCommit and auto-resolve off: each fetched batch goes
 * to `onBatch` with the position after it, offsets are committed only by {@link GroupConsumer.commit}.
 *
 * @example
 * ```ts
 * const consumer = createGroupConsumer(kafka, info, guard, { groupId, topics: ['orders'], fromBeginning: true });
 * await consumer.start({ onBatch: (b) => queue(b) });
 * ```
 */
export function createGroupConsumer(kafka: Kafka, info: KafkaConnectionInfo, guard: Guard, options: GroupConsumerOptions): GroupConsumer {
  let consumer: Consumer | undefined;
  const where = { cluster: info.cluster, mechanism: info.mechanism, group: options.groupId };
  const running = (): Consumer => {
    if (!consumer) throw new TypeError(`Consumer of group ${options.groupId} is not started; call start() first`);
    return consumer;
  };

  return {
    async start(handlers: GroupConsumerHandlers): Promise<void> {
      if (consumer) throw new TypeError(`Consumer of group ${options.groupId} is already started`);
      const c = kafka.consumer({
        groupId: options.groupId,
        readUncommitted: options.readUncommitted ?? false,
        allowAutoTopicCreation: false,
        maxWaitTimeInMs: options.maxWaitTimeMs ?? DEFAULT_MAX_WAIT_MS,
        ...(options.sessionTimeoutMs !== undefined ? { sessionTimeout: options.sessionTimeoutMs } : {}),
        ...(options.heartbeatIntervalMs !== undefined ? { heartbeatInterval: options.heartbeatIntervalMs } : {}),
        ...(options.rebalanceTimeoutMs !== undefined ? { rebalanceTimeout: options.rebalanceTimeoutMs } : {}),
      });
      consumer = c;
      // A partition's batches reach onBatch one at a time, in fetch order: empty ones (below) are queued too.
      const lanes = new Map<string, Promise<void>>();
      const inLane = (topic: string, partition: number, work: () => Promise<void> | void): Promise<void> => {
        const key = `${topic}\u0000${partition}`;
        const next = (lanes.get(key) ?? Promise.resolve()).then(work);
        lanes.set(
          key,
          next.catch(() => undefined),
        );
        return next;
      };

      c.on(c.events.GROUP_JOIN, ({ payload }) => {
        const assignment: TopicPartition[] = Object.entries(payload.memberAssignment).flatMap(([topic, partitions]) => (partitions as number[]).map((partition) => ({ topic, partition })));
        handlers.onAssigned?.(assignment);
      });
      // kafkajs never calls eachBatch for a fetch of only control records or aborted data; it resolves it itself
      // and reports its last offset here. The position moved: tell the handler with an empty batch.
      c.on(c.events.END_BATCH_PROCESS, ({ payload }) => {
        const { topic, partition, batchSize, firstOffset, lastOffset } = payload as { topic: string; partition: number; batchSize: number; firstOffset: string | null; lastOffset: string };
        if (batchSize !== 0 || firstOffset === null) return;
        const batch: FetchedBatch = { topic, partition, records: [], nextOffset: BigInt(lastOffset) + 1n };
        void inLane(topic, partition, () => handlers.onBatch(batch)).catch((err: unknown) => handlers.onCrash?.(err as Error, true));
      });
      c.on(c.events.FETCH, () => handlers.onFetch?.());
      c.on(c.events.CRASH, ({ payload }) => {
        handlers.onCrash?.(toKafkajsKBridgeError(payload.error, { ...where, operation: `consume ${options.topics.join(', ')}` }), payload.restart);
      });

      try {
        await guard(`connect consumer of group ${options.groupId}`, () => c.connect());
        await guard(`subscribe group ${options.groupId}`, () => c.subscribe({ topics: [...options.topics], fromBeginning: options.fromBeginning }));
        await guard(`run consumer of group ${options.groupId}`, () =>
          c.run({
            autoCommit: false,
            eachBatchAutoResolve: false,
            partitionsConsumedConcurrently: 1,
            eachBatch: async ({ batch, resolveOffset, isStale, isRunning }: EachBatchPayload) => {
              // A batch fetched before a seek is stale: the next fetch starts where the seek said.
              if (!isRunning() || isStale()) return;
              const records = batch.messages.map((m) => toConsumedRecord(batch.topic, batch.partition, m));
              const lastOffset = batch.lastOffset();
              await inLane(batch.topic, batch.partition, () => handlers.onBatch({ topic: batch.topic, partition: batch.partition, records, nextOffset: BigInt(lastOffset) + 1n }));
              resolveOffset(lastOffset);
            },
          }),
        );
      } catch (err) {
        consumer = undefined;
        await c.disconnect().catch(() => undefined);
        throw err;
      }
    },
    pause(topic: string, partitions: readonly number[]): void {
      running().pause([{ topic, partitions: [...partitions] }]);
    },
    resume(topic: string, partitions: readonly number[]): void {
      running().resume([{ topic, partitions: [...partitions] }]);
    },
    seek(topic: string, partition: number, offset: bigint): void {
      running().seek({ topic, partition, offset: offset.toString() });
    },
    async commit(offsets: ReadonlyArray<TopicPartition & { offset: string }>): Promise<void> {
      if (offsets.length === 0) return;
      const c = running();
      await guard(`commit offsets of group ${options.groupId}`, () => c.commitOffsets(offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset }))));
    },
    async close(): Promise<void> {
      const c = consumer;
      consumer = undefined;
      if (c) await c.disconnect().catch(() => undefined);
    },
  };
}
