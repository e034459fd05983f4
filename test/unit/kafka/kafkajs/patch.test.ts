import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

// patches/kafkajs+2.2.4.patch (applied by `npm ci` through patch-package): kafkajs grouped a send's messages per
// partition by copying the partition's array for every message, O(n²) for a batch of n records to one partition.
// The grouping module is loaded the way kafkajs itself loads it; only its behaviour is checked here (speed is
// measured in bench/, not asserted).
const require = createRequire(import.meta.url);
const group = require('kafkajs/src/producer/groupMessagesPerPartition') as (args: {
  topic: string;
  partitionMetadata: unknown[];
  messages: Array<{ id: number; p: number }>;
  partitioner: (args: { message: { id: number; p: number } }) => number;
}) => Record<number, Array<{ id: number; p: number }>>;

describe('kafkajs groupMessagesPerPartition (patched)', () => {
  it('is the patched linear version', () => {
    expect(group.toString()).toContain('kafka-msk-bridge patch');
  });

  it('groups messages per partition in their order, and nothing when the topic has no partitions', () => {
    const messages = Array.from({ length: 10 }, (_, id) => ({ id, p: id % 3 }));
    const grouped = group({ topic: 't', partitionMetadata: [{}, {}, {}], messages, partitioner: ({ message }) => message.p });
    expect(Object.keys(grouped).sort()).toEqual(['0', '1', '2']);
    expect(grouped[0]?.map((m) => m.id)).toEqual([0, 3, 6, 9]);
    expect(grouped[1]?.map((m) => m.id)).toEqual([1, 4, 7]);
    expect(grouped[2]?.map((m) => m.id)).toEqual([2, 5, 8]);
    expect(group({ topic: 't', partitionMetadata: [], messages, partitioner: () => 0 })).toEqual({});
  });
});
