import type { KafkaAdmin, KafkaClient } from '../kafka/port';
import { DEFAULT_OFFSET_MAP_TOPIC, decodeOffsetMapEntry, type OffsetMapEntry } from './offsetMap';
import { partitionEnds } from './read';

/** How long a read waits for transactions open at its start to end (the bridge's default transaction timeout is 60 s). */
export const OFFSET_MAP_READ_TIMEOUT_MS = 90_000;

/**
 * Read every committed offset-map entry (of one bridge, if `bridgeId` is given) from the target cluster.
 * Reads the compacted topic to its high watermark at the call, at read_committed: every entry committed before the
 * call is seen, and aborted entries (failed transactions) never are. An entry committed after a transaction that is
 * still open (another partition's batch in flight, or an instance that died mid-batch, which the coordinator
 * aborts after the transaction timeout) lies beyond the last stable offset, so the read waits for that transaction
 * to end, and fails after `timeoutMs` naming the partition and position where it waited.
 *
 * @example
 * ```ts
 * const entries = await readOffsetMap(target, targetAdmin, { bridgeId: 'dr' });
 * translateOffset(entries, 'orders', 0, 42n);
 * ```
 */
export async function readOffsetMap(
  kafka: KafkaClient,
  admin: KafkaAdmin,
  options: { topic?: string; bridgeId?: string; timeoutMs?: number } = {},
): Promise<OffsetMapEntry[]> {
  const topic = options.topic ?? DEFAULT_OFFSET_MAP_TOPIC;
  if ((await admin.describeTopics([topic])).length === 0) return [];
  // Not the last stable offset: reading to it would silently miss what was committed after an open transaction.
  const ends = await partitionEnds(admin, topic, { readUncommitted: true });
  const ranges = new Map([...ends].map(([p, e]) => [p, { from: e.low, to: e.high }]));
  const entries: OffsetMapEntry[] = [];
  await kafka.readRanges(
    topic,
    ranges,
    (record) => {
      if (record.value === null) return;
      const entry = decodeOffsetMapEntry(record.value);
      if (options.bridgeId === undefined || entry.bridgeId === options.bridgeId) entries.push(entry);
    },
    { timeoutMs: options.timeoutMs ?? OFFSET_MAP_READ_TIMEOUT_MS },
  );
  return entries;
}
