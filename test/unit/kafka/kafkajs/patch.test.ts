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

// The same patch: kafkajs' read_committed filter entered one aborted transaction per message, in the broker's
// order (by ABORT marker), so an aborted transaction that began before the fetch offset could be entered after its
// marker had passed, hiding every later committed record of its producer (`kbridge verify` found no offset-map
// entries on the shared offset-map topic, 4 runs in 10 of the CLI test on kafkajs).
const filterAborted = require('kafkajs/src/consumer/filterAbortedMessages') as (args: {
  messages: Array<{ offset: string; key: Buffer | null; batchContext: { producerId: string; inTransaction: boolean } }>;
  abortedTransactions: Array<{ producerId: string; firstOffset: string }>;
}) => Array<{ offset: string }>;

const ABORT = Buffer.from([0, 0, 0, 0]);
const COMMIT = Buffer.from([0, 0, 0, 1]);
const msg = (offset: number, producerId: string, key: Buffer | null = null) => ({ offset: String(offset), key, batchContext: { producerId, inTransaction: true } });

describe('kafkajs filterAbortedMessages (patched)', () => {
  it('enters every aborted transaction that began before the fetch offset at once, so its marker ends it', () => {
    // Fetch from 100. X's aborted transaction began at 90, Y's at 95 (both listed); Y's ABORT marker is the first
    // message. Y's committed transaction follows.
    const messages = [msg(100, 'Y', ABORT), msg(101, 'X'), msg(102, 'X', ABORT), msg(103, 'Y'), msg(104, 'Y', COMMIT)];
    const kept = filterAborted({ messages, abortedTransactions: [{ producerId: 'X', firstOffset: '90' }, { producerId: 'Y', firstOffset: '95' }] });
    expect(kept.map((m) => m.offset)).toEqual(['100', '102', '103', '104']);
  });

  it('takes the listed transactions in first-offset order, not in the order of their markers', () => {
    // B (producer B, from 10) ends after A (producer A, from 12): the broker lists A first.
    const messages = [msg(10, 'B'), msg(11, 'C'), msg(12, 'A'), msg(13, 'A', ABORT), msg(14, 'B', ABORT), msg(15, 'C', COMMIT)];
    const kept = filterAborted({ messages, abortedTransactions: [{ producerId: 'A', firstOffset: '12' }, { producerId: 'B', firstOffset: '10' }] });
    expect(kept.map((m) => m.offset)).toEqual(['11', '13', '14', '15']);
  });
});
