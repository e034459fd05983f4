import type { Admin, Kafka } from 'kafkajs';
import { DEFAULT_OFFSET_MAP_TOPIC, decodeOffsetMapEntry, type OffsetMapEntry } from './offsetMap';
import { partitionEnds, readRanges } from './read';
import { describeTopic } from './topics';

/**
 * Read every committed offset-map entry (of one bridge, if `bridgeId` is given) from the target cluster.
 * Reads the compacted topic to its current end; aborted entries (failed transactions) are never seen.
 *
 * @example
 * ```ts
 * const entries = await readOffsetMap(targetKafka, targetAdmin, { bridgeId: 'dr' });
 * translateOffset(entries, 'orders', 0, 42n);
 * ```
 */
export async function readOffsetMap(
  kafka: Kafka,
  admin: Admin,
  options: { topic?: string; bridgeId?: string; timeoutMs?: number } = {},
): Promise<OffsetMapEntry[]> {
  const topic = options.topic ?? DEFAULT_OFFSET_MAP_TOPIC;
  if (!(await describeTopic(admin, topic))) return [];
  const ends = await partitionEnds(admin, topic);
  const ranges = new Map([...ends].map(([p, e]) => [p, { from: e.low, to: e.high }]));
  const entries: OffsetMapEntry[] = [];
  await readRanges(
    kafka,
    topic,
    ranges,
    (_p, m) => {
      if (m.value === null) return;
      const entry = decodeOffsetMapEntry(m.value);
      if (options.bridgeId === undefined || entry.bridgeId === options.bridgeId) entries.push(entry);
    },
    { timeoutMs: options.timeoutMs },
  );
  return entries;
}
