import { randomBytes } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { WaitTimeoutError } from '../errors';

/** A half-open offset range `[from, to)` of one partition. */
export interface OffsetRange {
  from: bigint;
  to: bigint;
}

/**
 * Read committed records of some partitions of one topic, each within its offset range, in offset order per
 * partition. Transaction markers and aborted records are skipped by the broker/kafkajs (read_committed);
 * a partition is done once the consumer's position reaches `to` (a marker at `to - 1` counts).
 * Uses a throw-away consumer group that never commits; each record is delivered once, also when that group
 * rebalances during the read.
 *
 * @example
 * ```ts
 * await readRanges(kafka, 'orders', new Map([[0, { from: 0n, to: 100n }]]), (partition, message) => { ... });
 * ```
 */
export async function readRanges(
  kafka: Kafka,
  topic: string,
  ranges: ReadonlyMap<number, OffsetRange>,
  onMessage: (partition: number, message: KafkaMessage) => void,
  options: { timeoutMs?: number; readUncommitted?: boolean } = {},
): Promise<void> {
  // Copies: `from` advances past every delivered record, so a rejoin seeks to where the read got to.
  const pending = new Map([...ranges].filter(([, r]) => r.to > r.from).map(([p, r]) => [p, { from: r.from, to: r.to }]));
  if (pending.size === 0) return;
  const consumer = kafka.consumer({
    groupId: `kbridge-reader-${randomBytes(6).toString('hex')}`,
    readUncommitted: options.readUncommitted ?? false,
    maxWaitTimeInMs: 200,
    allowAutoTopicCreation: false,
  });
  let finish!: () => void;
  let fail!: (err: unknown) => void;
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const timeoutMs = options.timeoutMs ?? 60_000;
  const timer = setTimeout(() => {
    const left = [...pending].map(([p, r]) => `${p}:[${r.from},${r.to})`).join(', ');
    fail(new WaitTimeoutError(`Reading ${topic} did not reach the end of ${left} within ${timeoutMs} ms`, { topic }));
  }, timeoutMs);
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
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
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        const range = pending.get(batch.partition);
        if (!range) return;
        for (const m of batch.messages) {
          const offset = BigInt(m.offset);
          if (offset >= range.from && offset < range.to) {
            try {
              onMessage(batch.partition, m);
            } catch (err) {
              // A record the caller cannot use (e.g. an offset-map entry of another format) ends the read with
              // that error at once; thrown into kafkajs it would only restart the consumer until the timeout.
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
    });
    await done;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
  }
}

/**
 * High watermark (or last stable offset under read_committed) and log start offset per partition.
 *
 * @example
 * ```ts
 * const ends = await partitionEnds(admin, 'orders'); // Map { 0 => { low: 0n, high: 120n } }
 * ```
 */
export async function partitionEnds(
  admin: { fetchTopicOffsets(topic: string): Promise<Array<{ partition: number; high: string; low: string }>> },
  topic: string,
): Promise<Map<number, { low: bigint; high: bigint }>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return new Map(offsets.map((o) => [o.partition, { low: BigInt(o.low), high: BigInt(o.high) }]));
}
