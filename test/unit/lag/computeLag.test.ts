import { describe, expect, it } from 'vitest';
import { clampPosition, computeLag, selectGroups } from '../../../src/lag/computeLag';
import { PartitionFlag } from '../../../src/lag/types';
import { fakeReader, offsets, records } from './fakeReader';

const NOW = 1_700_000_000_000;
const now = (): number => NOW;

describe('clampPosition', () => {
  it('clamps a committed offset below the log start and flags data loss', () => {
    // Act
    const result = clampPosition(5n, offsets('t', 0, 10n, 20n));
    // Assess
    expect(result).toEqual({ position: 10n, flags: [PartitionFlag.DataLoss] });
  });

  it('clamps a committed offset above the end to the stable end', () => {
    expect(clampPosition(30n, offsets('t', 0, 0n, 20n, 18n))).toEqual({
      position: 18n,
      flags: [PartitionFlag.AboveEnd, PartitionFlag.OpenTransaction],
    });
  });

  it('reports no commit as a null position, never 0', () => {
    expect(clampPosition(null, offsets('t', 0, 0n, 20n))).toEqual({ position: null, flags: [PartitionFlag.NoCommit] });
  });

  it('reports a deleted topic as a null position', () => {
    expect(clampPosition(3n, undefined)).toEqual({ position: null, flags: [PartitionFlag.TopicDeleted] });
  });
});

describe('computeLag', () => {
  it('measures exact offset lag and time lag from the next unconsumed record', async () => {
    // Prepare
    const reader = fakeReader({
      committed: { g: [{ topic: 't', partition: 0, offset: 40n }, { topic: 't', partition: 1, offset: 100n }] },
      offsets: [offsets('t', 0, 0n, 100n), offsets('t', 1, 0n, 100n)],
      records: { 't:0': records(0n, 100n, NOW - 60_000) },
    });
    // Act
    const snapshot = await computeLag(reader, { groups: ['g'] }, { now });
    // Assess
    const g = snapshot.groups[0]!;
    expect(g.partitions.map((p) => [p.partition, p.committedOffset, p.endOffset, p.offsetLag, p.timeLagMs])).toEqual([
      [0, 40n, 100n, 60n, 60_000 - 40],
      [1, 100n, 100n, 0n, 0],
    ]);
    expect([g.sumOffsetLag, g.maxOffsetLag, g.maxTimeLagMs]).toEqual([60n, 60n, 59_960]);
    // Only the lagging partition needed a fetch.
    expect(reader.nextRequests.flat().map((r) => [r.partition, r.offset, r.endOffset])).toEqual([[0, 40n, 100n]]);
  });

  it('measures against the last stable offset, so an open transaction is not lag', async () => {
    const reader = fakeReader({
      committed: { g: [{ topic: 't', partition: 0, offset: 50n }] },
      offsets: [offsets('t', 0, 0n, 80n, 50n)],
    });
    const g = (await computeLag(reader, { groups: ['g'] }, { now })).groups[0]!;
    expect(g.partitions[0]).toMatchObject({ highWatermark: 80n, endOffset: 50n, offsetLag: 0n, flags: [PartitionFlag.OpenTransaction] });
  });

  it('counts only control markers between position and end as zero lag', async () => {
    // Prepare: records 0..9 then a commit marker at 10; the consumer committed 10 (after its last record).
    const reader = fakeReader({
      committed: { g: [{ topic: 'tx', partition: 0, offset: 10n }] },
      offsets: [offsets('tx', 0, 0n, 11n)],
      records: { 'tx:0': records(0n, 10n, NOW - 1000) },
    });
    // Act
    const p = (await computeLag(reader, { groups: ['g'] }, { now })).groups[0]!.partitions[0]!;
    // Assess
    expect(p).toMatchObject({ offsetLag: 0n, timeLagMs: 0, flags: [PartitionFlag.OnlyControlRecords] });
  });

  it('reports every partition of a topic, a partition without commit as noCommit with null lag', async () => {
    const reader = fakeReader({
      committed: { g: [{ topic: 't', partition: 0, offset: 5n }] },
      offsets: [offsets('t', 0, 0n, 5n), offsets('t', 1, 0n, 7n)],
    });
    const g = (await computeLag(reader, { groups: ['g'] }, { now })).groups[0]!;
    expect(g.partitions[1]).toMatchObject({ partition: 1, committedOffset: null, offsetLag: null, timeLagMs: null, flags: [PartitionFlag.NoCommit] });
    expect(g.topics[0]).toMatchObject({ partitions: 2, partitionsWithoutCommit: 1, sumOffsetLag: 0n });
  });

  it('reports partitions of a deleted topic with null numbers and the topicDeleted flag', async () => {
    const reader = fakeReader({ committed: { g: [{ topic: 'gone', partition: 3, offset: 5n }] }, offsets: [] });
    const g = (await computeLag(reader, { groups: ['g'] }, { now })).groups[0]!;
    expect(g.partitions).toEqual([
      expect.objectContaining({ topic: 'gone', partition: 3, committedOffset: 5n, endOffset: null, offsetLag: null, flags: [PartitionFlag.TopicDeleted] }),
    ]);
  });

  it('reports a group whose offsets cannot be read with an error instead of dropping it', async () => {
    const reader = fakeReader({ committed: { bad: new Error('COORDINATOR_NOT_AVAILABLE') } });
    const snapshot = await computeLag(reader, { groups: ['bad'] }, { now });
    expect(snapshot.groups[0]).toMatchObject({ groupId: 'bad', error: expect.stringContaining('COORDINATOR_NOT_AVAILABLE'), partitions: [] });
  });

  it('reports a named group that does not exist as an error', async () => {
    const reader = fakeReader({ descriptions: [{ groupId: 'nope', state: 'Dead', protocolType: '', members: [] }] });
    const snapshot = await computeLag(reader, { groups: ['nope'] }, { now });
    expect(snapshot.groups[0]!.error).toMatch(/does not exist/);
  });

  it('includes assigned topics without commits for a rebalancing group and names the owner', async () => {
    const reader = fakeReader({
      descriptions: [
        {
          groupId: 'g',
          state: 'PreparingRebalance',
          protocolType: 'consumer',
          members: [{ memberId: 'm1', clientId: 'c', host: '/h', assignment: [{ topic: 'a', partitions: [0] }] }],
        },
      ],
      offsets: [offsets('a', 0, 0n, 3n)],
    });
    const g = (await computeLag(reader, { groups: ['g'] }, { now })).groups[0]!;
    expect(g).toMatchObject({ state: 'PreparingRebalance', members: 1 });
    expect(g.partitions[0]).toMatchObject({ consumerId: 'm1', committedOffset: null, flags: [PartitionFlag.NoCommit] });
  });

  it('fetches one next record per partition position even when many groups share it', async () => {
    const committed = Object.fromEntries(['g1', 'g2', 'g3'].map((g) => [g, [{ topic: 't', partition: 0, offset: 1n }]]));
    const reader = fakeReader({ committed, offsets: [offsets('t', 0, 0n, 9n)], records: { 't:0': records(0n, 9n, NOW - 10) } });
    await computeLag(reader, { groups: ['g1', 'g2', 'g3'] }, { now });
    expect(reader.nextRequests.flat()).toHaveLength(1);
  });
});

describe('selectGroups', () => {
  it('filters consumer and offsets-only groups by include and exclude patterns', async () => {
    const reader = fakeReader({
      groups: [
        { groupId: 'orders-a', protocolType: 'consumer' },
        { groupId: 'orders-b', protocolType: '' },
        { groupId: 'orders-test', protocolType: 'consumer' },
        { groupId: 'connect-x', protocolType: 'connect' },
        { groupId: 'payments', protocolType: 'consumer' },
      ],
    });
    expect(await selectGroups(reader, { include: /^orders-/, exclude: /test/ })).toEqual(['orders-a', 'orders-b']);
  });
});
