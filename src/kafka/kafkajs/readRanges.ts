import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { readRangesTimeoutError } from '../errors';
import { toKafkajsKBridgeError } from './errors';
import type { ConsumedRecord, OffsetRange, ReadRangesOptions } from '../port';
import type { KafkaConnectionInfo } from '../types';
import type { Guard } from './guard';
import { toConsumedRecord } from './records';

/**
 * Read records of some partitions of one topic, each within its offset range, in offset order per partition
 * (read_committed unless asked otherwise: transaction markers and aborted records are skipped). A partition is
 * done once the consumer's position reaches `to` (a marker at `to - 1` counts). Uses a throw-away consumer group
 * that never commits; each record is delivered once, also when that group rebalances during the read.
 *
 * @example
 * ```ts
 * await readRanges(kafka, info, guard, 'orders', new Map([[0, { from: 0n, to: 100n }]]), (record) => { ... });
 * ```
 */
export async function readRanges(
  kafka: Kafka,
  info: KafkaConnectionInfo,
  guard: Guard,
  topic: string,
  ranges: ReadonlyMap<number, OffsetRange>,
  onRecord: (record: ConsumedRecord) => void,
  options: ReadRangesOptions = {},
): Promise<void> {
  // Copies: `from` advances past every delivered record, so a rejoin seeks to where the read got to.
  const pending = new Map([...ranges].filter(([, r]) => r.to > r.from).map(([p, r]) => [p, { from: r.from, to: r.to }]));
  if (pending.size === 0) return;
  const groupId = `kbridge-reader-${randomBytes(6).toString('hex')}`;
  const consumer = kafka.consumer({ groupId, readUncommitted: options.readUncommitted ?? false, maxWaitTimeInMs: 200, allowAutoTopicCreation: false });
  let finish!: () => void;
  let fail!: (err: unknown) => void;
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const timeoutMs = options.timeoutMs ?? 60_000;
  const timer = setTimeout(() => {
    // `from` has advanced past every delivered record: it is the read's position.
    const unfinished = [...pending].map(([partition, r]) => ({ partition, at: r.from, from: ranges.get(partition)?.from ?? r.from, to: r.to }));
    fail(readRangesTimeoutError(info.cluster, topic, timeoutMs, unfinished, options.readUncommitted !== true));
  }, timeoutMs);
  try {
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const assigned = (e.payload.memberAssignment[topic] ?? []) as number[];
      for (const p of assigned) {
        const range = pending.get(p);
        if (range) consumer.seek({ topic, partition: p, offset: range.from.toString() });
        else consumer.pause([{ topic, partitions: [p] }]);
      }
    });
    // kafkajs skips eachBatch for batches of only control records or aborted data, but reports their last
    // offset in END_BATCH_PROCESS: that is where the consumer's position is known.
    consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
      const { topic: t, partition, lastOffset } = e.payload as { topic: string; partition: number; lastOffset: string | null };
      const range = pending.get(partition);
      if (t !== topic || !range || lastOffset === null) return;
      if (BigInt(lastOffset) >= range.to - 1n) {
        pending.delete(partition);
        consumer.pause([{ topic, partitions: [partition] }]);
        if (pending.size === 0) finish();
      }
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) fail(toKafkajsKBridgeError(payload.error, { cluster: info.cluster, mechanism: info.mechanism, operation: `read ${topic}` }));
    });
    await guard(`connect reader of ${topic}`, () => consumer.connect());
    await guard(`subscribe reader to ${topic}`, () => consumer.subscribe({ topics: [topic], fromBeginning: true }));
    await guard(`read ${topic}`, () =>
      consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
          const range = pending.get(batch.partition);
          if (!range) return;
          for (const m of batch.messages) {
            const offset = BigInt(m.offset);
            if (offset >= range.from && offset < range.to) {
              try {
                onRecord(toConsumedRecord(topic, batch.partition, m));
              } catch (err) {
                // A record the caller cannot use ends the read with that error at once; thrown into kafkajs it
                // would only restart the consumer until the timeout.
                fail(err);
                return;
              }
              // kafkajs hands eachBatch a batch fetched before a seek (it only offers isStale()), and every rejoin
              // seeks again: without this, records already delivered would be delivered twice.
              range.from = offset + 1n;
            }
            resolveOffset(m.offset);
          }
          await heartbeat();
        },
      }),
    );
    await done;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
  }
}
