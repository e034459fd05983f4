import { Partitioners, type PartitionMetadata } from 'kafkajs';

// kafkajs 2.x's DefaultPartitioner is the Java client's: toPositive(murmur2(key)) % partitions for a keyed
// record (Utils.murmur2 and BuiltInPartitioner.partitionForKey); only its keyless branch (round-robin) differs.
const javaCompatible = Partitioners.DefaultPartitioner();
const metadataFor = new Map<number, PartitionMetadata[]>();

function partitionMetadata(partitions: number): PartitionMetadata[] {
  let m = metadataFor.get(partitions);
  if (!m) {
    m = Array.from({ length: partitions }, (_, partitionId) => ({ partitionErrorCode: 0, partitionId, leader: 0, replicas: [0], isr: [0] }));
    metadataFor.set(partitions, m);
  }
  return m;
}

/**
 * The target partition of a record under key-based repartitioning: for a key, the partition Kafka's default
 * partitioner (Java client and kafkajs alike) picks, `toPositive(murmur2(key)) % targetPartitions`, so keyed
 * data lands where a Java producer would put it; for a record without a key, `sourcePartition %
 * targetPartitions`, which is deterministic (a redelivered record goes where its first attempt went) and keeps
 * the keyless records of one source partition in their order.
 *
 * @example
 * ```ts
 * targetPartitionFor(Buffer.from('foobar'), 5, 3); // 2 (murmur2("foobar") = -790332482)
 * targetPartitionFor(null, 5, 3); // 2
 * ```
 */
export function targetPartitionFor(key: Buffer | null, sourcePartition: number, targetPartitions: number): number {
  if (!Number.isInteger(targetPartitions) || targetPartitions < 1) {
    throw new RangeError(`targetPartitions must be a positive integer, got ${targetPartitions}`);
  }
  if (key === null) return sourcePartition % targetPartitions;
  return javaCompatible({ topic: '', partitionMetadata: partitionMetadata(targetPartitions), message: { key, value: null } });
}
