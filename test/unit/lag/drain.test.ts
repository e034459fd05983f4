import { describe, expect, it } from 'vitest';
import { isDrained, type DrainSample } from '../../../src/lag/drain';
import type { GroupLag, PartitionLag, ReplicationLag } from '../../../src/lag/types';

function partition(over: Partial<PartitionLag> = {}): PartitionLag {
  return {
    topic: 't',
    partition: 0,
    committedOffset: 100n,
    logStartOffset: 0n,
    highWatermark: 100n,
    endOffset: 100n,
    offsetLag: 0n,
    timeLagMs: 0,
    consumerId: null,
    flags: [],
    ...over,
  };
}

function group(partitions: PartitionLag[]): GroupLag {
  return { groupId: 'g', cluster: 'source', state: 'Empty', members: 0, atMs: 0, partitions, topics: [], sumOffsetLag: 0n, maxOffsetLag: 0n, maxTimeLagMs: 0 };
}

function replication(lag: bigint, hwm = 100n): ReplicationLag {
  return {
    bridgeId: 'b',
    sourceCluster: 'source',
    atMs: 0,
    partitions: [
      { sourceTopic: 't', targetTopic: 't', partition: 0, replicatedOffset: hwm - lag, sourceEndOffset: hwm, sourceHighWatermark: hwm, offsetLag: lag, timeLagMs: 0, flags: [] },
    ],
    sumOffsetLag: lag,
    maxOffsetLag: lag,
    maxTimeLagMs: 0,
  };
}

const at = (ms: number, p: PartitionLag[], r?: ReplicationLag): DrainSample => ({ atMs: ms, groups: [group(p)], ...(r ? { replication: r } : {}) });
const opts = { minSamples: 3, minWindowMs: 20_000 };

describe('isDrained', () => {
  it('is drained when every sample is at the end, stable, and replicated, over the window', () => {
    const result = isDrained([at(0, [partition()], replication(0n)), at(10_000, [partition()], replication(0n)), at(20_000, [partition()], replication(0n))], opts);
    expect(result).toEqual({ drained: true, reasons: [], samples: 3, spanMs: 20_000 });
  });

  it('is not drained with too few samples or too short a window', () => {
    const result = isDrained([at(0, [partition()]), at(5_000, [partition()])], opts);
    expect(result.drained).toBe(false);
    expect(result.reasons).toEqual(['only 2 of 3 samples', 'samples span 5000 ms, need 20000 ms']);
  });

  it('is not drained while the source end moves', () => {
    const result = isDrained([at(0, [partition()]), at(10_000, [partition()]), at(20_000, [partition({ highWatermark: 101n, endOffset: 101n, committedOffset: 101n })])], opts);
    expect(result.reasons).toEqual(['source t[0]: end offset moved from 100 to 101 (still being written)']);
  });

  it('is not drained with an open transaction', () => {
    const p = partition({ highWatermark: 105n });
    const result = isDrained([at(0, [p]), at(10_000, [p]), at(20_000, [p])], opts);
    expect(result.reasons).toEqual(['group g t[0]: open transaction (LSO 100 < HWM 105)']);
  });

  it('treats a missing commit as not drained', () => {
    const p = partition({ committedOffset: null, offsetLag: null, flags: ['noCommit'] });
    const result = isDrained([at(0, [p]), at(10_000, [p]), at(20_000, [p])], opts);
    expect(result.reasons).toEqual(['group g t[0]: no committed offset', 'group g t[0]: lag unknown']);
  });

  it('is not drained while the bridge lags or when replication data is required and absent', () => {
    const lagging = isDrained([at(0, [partition()], replication(2n)), at(10_000, [partition()], replication(0n)), at(20_000, [partition()], replication(0n))], opts);
    expect(lagging.reasons).toEqual(['bridge b t[0]: replication lag 2']);
    const absent = isDrained([at(0, [partition()]), at(10_000, [partition()]), at(20_000, [partition()])], { ...opts, requireReplication: true });
    expect(absent.reasons).toEqual(['a sample has no replication data']);
  });

  it('is not drained when a group cannot be read', () => {
    const bad: DrainSample = { atMs: 20_000, groups: [{ ...group([]), error: 'timeout' }] };
    expect(isDrained([at(0, [partition()]), at(10_000, [partition()]), bad], opts).reasons).toEqual(['group g: cannot be read (timeout)']);
  });
});
