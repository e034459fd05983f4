import { murmur2 } from '../kafka/murmur2';

// Kafka's murmur2 lives with the Kafka layer (the @platformatic/kafka adapter partitions keyed records with it).
export { murmur2 };

/**
 * The target partition of a record under key-based repartitioning: for a key, the partition Kafka's default
 * partitioner (Java client, kafkajs and @platformatic/kafka alike) picks, `toPositive(murmur2(key)) %
 * targetPartitions`, so keyed data lands where a Java producer would put it; for a record without a key,
 * `sourcePartition % targetPartitions`, which is deterministic (a redelivered record goes where its first attempt
 * went) and keeps the keyless records of one source partition in their order.
 *
 * @example
 * ```ts
 * targetPartitionFor(Buffer.from('foobar'), 5, 3); // 2 (murmur2("foobar") = -790332482)
 * targetPartitionFor(null, 5, 3); // 2
 * ```
 */
export function targetPartitionFor(key: Uint8Array | null, sourcePartition: number, targetPartitions: number): number {
  if (!Number.isInteger(targetPartitions) || targetPartitions < 1) {
    throw new RangeError(`targetPartitions must be a positive integer, got ${targetPartitions}`);
  }
  if (key === null) return sourcePartition % targetPartitions;
  return (murmur2(key) & 0x7fffffff) % targetPartitions;
}
