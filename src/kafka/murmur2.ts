/**
 * Kafka's murmur2 (`org.apache.kafka.common.utils.Utils.murmur2`), the hash of the Java client's default
 * partitioner for keyed records, on 32-bit signed integers as Java computes it. The one copy in the project:
 * the @platformatic/kafka adapter partitions keyed records with it (the library's own default partitioner
 * differs from Java's for partition counts that are not powers of two) and the bridge repartitions with it.
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
 * The partition the Java client's default partitioner (and kafkajs') picks for a key: `toPositive(murmur2(key)) % partitions`.
 *
 * @example
 * ```ts
 * javaPartitionForKey(Buffer.from('foobar'), 3); // 2
 * ```
 */
export function javaPartitionForKey(key: Uint8Array, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}
