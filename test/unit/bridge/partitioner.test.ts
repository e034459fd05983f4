import { describe, expect, it } from 'vitest';
import { targetPartitionFor } from '../../../src/bridge/partitioner';

// The murmur2 values of Apache Kafka's own UtilsTest.testMurmur2 (clients/src/test/.../utils/UtilsTest.java);
// the Java client's partition for a key is toPositive(murmur2(key)) % partitions.
const KAFKA_MURMUR2: Array<[string, number]> = [
  ['21', -973932308],
  ['foobar', -790332482],
  ['a-little-bit-long-string', -985981536],
  ['a-little-bit-longer-string', -1486304829],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  ['abc', 479470107],
];

describe('targetPartitionFor', () => {
  it('picks the Java client partition for a key: toPositive(murmur2(key)) % partitions', () => {
    for (const partitions of [1, 3, 7, 1009]) {
      for (const [key, murmur2] of KAFKA_MURMUR2) {
        expect(targetPartitionFor(Buffer.from(key), 0, partitions), `${key} onto ${partitions}`).toBe((murmur2 & 0x7fffffff) % partitions);
      }
    }
  });

  it('ignores the source partition for a keyed record and uses it (mod target count) for a keyless one', () => {
    expect(targetPartitionFor(Buffer.from('foobar'), 0, 3)).toBe(targetPartitionFor(Buffer.from('foobar'), 7, 3));
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((p) => targetPartitionFor(null, p, 3))).toEqual([0, 1, 2, 0, 1, 2, 0, 1]);
  });

  it('hashes an empty key (not null) like any other key', () => {
    expect(targetPartitionFor(Buffer.alloc(0), 5, 3)).toBe(targetPartitionFor(Buffer.alloc(0), 0, 3));
  });

  it('rejects a partition count that is not a positive integer', () => {
    expect(() => targetPartitionFor(Buffer.from('k'), 0, 0)).toThrow(RangeError);
  });
});
