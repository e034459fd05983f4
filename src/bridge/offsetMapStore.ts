import type { KafkaAdmin, KafkaClient } from '../kafka/port';
import { DEFAULT_OFFSET_MAP_TOPIC, decodeOffsetMapEntry, type OffsetMapEntry } from './offsetMap';
import { partitionEnds } from './read';

/**
 * Read every committed offset-map entry (of one bridge, if `bridgeId` is given) from the target cluster.
 * Reads the compacted topic to its current end; aborted entries (failed transactions) are never seen.
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
  const ends = await partitionEnds(admin, topic);
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
    options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs },
  );
  return entries;
}
