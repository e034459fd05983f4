import type { KafkaAdmin } from '../kafka/port';

/**
 * High watermark (or last stable offset under read_committed) and log start offset per partition.
 *
 * @example
 * ```ts
 * const ends = await partitionEnds(admin, 'orders'); // Map { 0 => { low: 0n, high: 120n } }
 * ```
 */
export async function partitionEnds(admin: Pick<KafkaAdmin, 'fetchTopicOffsets'>, topic: string): Promise<Map<number, { low: bigint; high: bigint }>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return new Map(offsets.map((o) => [o.partition, { low: BigInt(o.low), high: BigInt(o.high) }]));
}
