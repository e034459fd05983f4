import type { KafkaAdmin } from '../kafka/port';

/**
 * Log start offset and end per partition: the last stable offset (what a read_committed reader can reach now), or
 * the high watermark with `readUncommitted` (the end once every transaction open now has ended).
 *
 * @example
 * ```ts
 * const ends = await partitionEnds(admin, 'orders'); // Map { 0 => { low: 0n, high: 120n } }
 * ```
 */
export async function partitionEnds(admin: Pick<KafkaAdmin, 'fetchTopicOffsets'>, topic: string, options: { readUncommitted?: boolean } = {}): Promise<Map<number, { low: bigint; high: bigint }>> {
  const offsets = await admin.fetchTopicOffsets(topic, options);
  return new Map(offsets.map((o) => [o.partition, { low: BigInt(o.low), high: BigInt(o.high) }]));
}
