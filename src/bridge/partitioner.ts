/**
 * Kafka's murmur2 (`org.apache.kafka.common.utils.Utils.murmur2`), the hash of the Java client's default
 * partitioner for keyed records, on 32-bit signed integers as Java computes it.
 *
 * @example
 * ```ts
 * murmur2(Buffer.from('foobar')); // -790332482
 * ```
 */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  const m = 0x5bd1e995;
  let h = (0x9747b28c ^ length) | 0;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = ((data[i4] as number) | ((data[i4 + 1] as number) << 8) | ((data[i4 + 2] as number) << 16) | ((data[i4 + 3] as number) << 24)) | 0;
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const tail = length & ~3;
  const rest = length % 4;
  if (rest === 3) h ^= (data[tail + 2] as number) << 16;
  if (rest >= 2) h ^= (data[tail + 1] as number) << 8;
  if (rest >= 1) {
    h ^= data[tail] as number;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

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
