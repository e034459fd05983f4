import { describe, expect, it } from 'vitest';
import { chunkMetrics } from '../../../src/adapters/aws/metricsPublisher';
import { parseLagMonitorConfig } from '../../../src/lag/config';
import { buildLagMetrics, buildReplicationMetrics, type LagMetric } from '../../../src/lag/metrics';
import { runLagMonitor } from '../../../src/lag/monitor';
import { createMemorySampleStore } from '../../../src/lag/sampleStore';
import type { LagSnapshot } from '../../../src/lag/types';
import { ConfigError } from '../../../src/errors';
import { fakeReader, offsets, records } from './fakeReader';

const snapshot: LagSnapshot = {
  cluster: 'source',
  atMs: 1_000_000,
  durationMs: 5,
  groups: [
    {
      groupId: 'orders',
      cluster: 'source',
      state: 'Stable',
      members: 1,
      atMs: 1_000_000,
      partitions: [
        { topic: 't', partition: 0, committedOffset: 5n, logStartOffset: 0n, highWatermark: 9n, endOffset: 9n, offsetLag: 4n, timeLagMs: 2500, consumerId: 'm', flags: [] },
        { topic: 't', partition: 1, committedOffset: null, logStartOffset: 0n, highWatermark: 3n, endOffset: 3n, offsetLag: null, timeLagMs: null, consumerId: null, flags: ['noCommit'] },
      ],
      topics: [{ topic: 't', sumOffsetLag: 4n, maxOffsetLag: 4n, maxTimeLagMs: 2500, partitions: 2, partitionsWithoutCommit: 1 }],
      sumOffsetLag: 4n,
      maxOffsetLag: 4n,
      maxTimeLagMs: 2500,
    },
    { groupId: 'broken', cluster: 'source', state: 'Unknown', members: 0, atMs: 1_000_000, partitions: [], topics: [], sumOffsetLag: 0n, maxOffsetLag: 0n, maxTimeLagMs: null, error: 'timeout' },
  ],
};

const find = (metrics: LagMetric[], name: string, dims: Record<string, string>): LagMetric[] =>
  metrics.filter((m) => m.name === name && m.dimensions.length === Object.keys(dims).length && m.dimensions.every((d) => dims[d.name] === d.value));

describe('buildLagMetrics', () => {
  it('publishes MSK names and dimensions per group and topic, with time lag in seconds', () => {
    // Act
    const metrics = buildLagMetrics(snapshot, new Map(), { perPartition: false });
    // Assess
    const dims = { 'Cluster Name': 'source', 'Consumer Group': 'orders', Topic: 't' };
    expect(find(metrics, 'MaxOffsetLag', dims)[0]).toMatchObject({ value: 4, unit: 'Count' });
    expect(find(metrics, 'SumOffsetLag', dims)[0]).toMatchObject({ value: 4 });
    expect(find(metrics, 'EstimatedMaxTimeLag', dims)[0]).toMatchObject({ value: 2.5, unit: 'Seconds' });
    expect(find(metrics, 'PartitionsWithoutCommit', dims)[0]).toMatchObject({ value: 1 });
    expect(metrics.some((m) => m.name === 'OffsetLag')).toBe(false);
  });

  it('publishes an explicit error metric and ERR status for a group that cannot be read', () => {
    const metrics = buildLagMetrics(snapshot, new Map(), { perPartition: false });
    expect(find(metrics, 'LagMonitorError', { 'Cluster Name': 'source', 'Consumer Group': 'broken' })[0]!.value).toBe(1);
    expect(find(metrics, 'ConsumerGroupStatus', { 'Cluster Name': 'source', 'Consumer Group': 'broken' })[0]!.value).toBe(5);
    expect(find(metrics, 'LagMonitorError', { 'Cluster Name': 'source' })[0]!.value).toBe(1);
  });

  it('publishes per-partition metrics only when switched on, and never a value for unknown lag', () => {
    const metrics = buildLagMetrics(snapshot, new Map(), { perPartition: true });
    const offsetLag = metrics.filter((m) => m.name === 'OffsetLag');
    expect(offsetLag.map((m) => [m.dimensions.find((d) => d.name === 'Partition')!.value, m.value])).toEqual([['0', 4]]);
    expect(metrics.every((m) => Number.isFinite(m.value))).toBe(true);
  });

  it('replaces non-ASCII characters in dimension values, which CloudWatch rejects', () => {
    const s = { ...snapshot, groups: [{ ...snapshot.groups[0]!, groupId: 'bestellungen-ü' }] };
    const metrics = buildLagMetrics(s, new Map(), { perPartition: false });
    expect(metrics.find((m) => m.name === 'SumOffsetLag')!.dimensions[1]!.value).toBe('bestellungen-_');
  });
});

describe('buildReplicationMetrics', () => {
  it('sums offset lag and takes the oldest record per source topic', () => {
    const metrics = buildReplicationMetrics({
      bridgeId: 'b1',
      sourceCluster: 'source',
      atMs: 1,
      sumOffsetLag: 7n,
      maxOffsetLag: 5n,
      maxTimeLagMs: 4000,
      partitions: [
        { sourceTopic: 't', targetTopic: 't', partition: 0, replicatedOffset: 1n, sourceEndOffset: 6n, sourceHighWatermark: 6n, offsetLag: 5n, timeLagMs: 4000, flags: [] },
        { sourceTopic: 't', targetTopic: 't', partition: 1, replicatedOffset: 1n, sourceEndOffset: 3n, sourceHighWatermark: 3n, offsetLag: 2n, timeLagMs: 1000, flags: [] },
      ],
    });
    const dims = { 'Cluster Name': 'source', Bridge: 'b1', Topic: 't' };
    expect(find(metrics, 'ReplicationLag', dims)[0]!.value).toBe(7);
    expect(find(metrics, 'ReplicationTimeLag', dims)[0]!.value).toBe(4);
  });
});

describe('chunkMetrics', () => {
  it('splits 2,500 metrics into requests of at most 1,000 and drops non-finite values', () => {
    // Prepare
    const metrics: LagMetric[] = Array.from({ length: 2501 }, (_, i) => ({
      name: 'OffsetLag',
      dimensions: [{ name: 'Partition', value: String(i) }],
      value: i === 7 ? Number.NaN : i,
      unit: 'Count',
      timestampMs: 0,
    }));
    // Act
    const chunks = chunkMetrics(metrics);
    // Assess
    expect(chunks.map((c) => c.length)).toEqual([1000, 1000, 500]);
  });

  it('splits by payload size before the 1 MB limit', () => {
    const long = 'x'.repeat(1000);
    const metrics: LagMetric[] = Array.from({ length: 900 }, () => ({
      name: 'OffsetLag',
      dimensions: [{ name: 'Consumer Group', value: long }],
      value: 1,
      unit: 'Count',
      timestampMs: 0,
    }));
    expect(chunkMetrics(metrics).length).toBeGreaterThan(1);
  });
});

describe('runLagMonitor', () => {
  it('keeps a sample window per group across runs and turns a stuck group into STALL', async () => {
    // Prepare
    const config = parseLagMonitorConfig({ clusters: [{ name: 'source', groups: ['g'] }], window: { samples: 5, minSamples: 3 } });
    const reader = fakeReader({
      descriptions: [{ groupId: 'g', state: 'Stable', protocolType: 'consumer', members: [{ memberId: 'm', clientId: 'c', host: 'h', assignment: [{ topic: 't', partitions: [0] }] }] }],
      committed: { g: [{ topic: 't', partition: 0, offset: 2n }] },
      offsets: [offsets('t', 0, 0n, 10n)],
      records: { 't:0': records(0n, 10n, 0) },
    });
    const store = createMemorySampleStore();
    const published: LagMetric[][] = [];
    let clock = 1_000_000;
    const deps = { readers: new Map([['source', reader]]), store, publish: async (m: LagMetric[]) => (published.push(m), { requests: 1 }), now: () => clock };
    // Act
    const statuses: string[] = [];
    for (let i = 0; i < 3; i++) {
      clock += 60_000;
      statuses.push((await runLagMonitor(config, deps)).clusters[0]!.groups[0]!.status);
    }
    // Assess
    expect(statuses).toEqual(['OK', 'OK', 'STALL']);
    expect(store.entries.get('source#g')).toHaveLength(3);
    expect(published[2]!.find((m) => m.name === 'ConsumerGroupStatus' && m.dimensions.length === 2)!.value).toBe(3);
    expect(published[2]!.some((m) => m.name === 'LagMonitorHeartbeat')).toBe(true);
  });

  it('reports an unreachable cluster as ERR under its named groups', async () => {
    const config = parseLagMonitorConfig({ clusters: [{ name: 'source', groups: ['a', 'b'] }] });
    const published: LagMetric[] = [];
    const report = await runLagMonitor(config, {
      readers: new Map([['source', new Error('connect ECONNREFUSED')]]),
      publish: async (m) => (published.push(...m), { requests: 1 }),
    });
    expect(report.clusters[0]!.groups.map((g) => [g.groupId, g.status])).toEqual([['a', 'ERR'], ['b', 'ERR']]);
    expect(published.filter((m) => m.name === 'LagMonitorError').map((m) => [m.dimensions.length, m.value])).toEqual([[2, 1], [2, 1], [1, 2]]);
  });
});

describe('parseLagMonitorConfig', () => {
  it('names every bad field', () => {
    expect(() => parseLagMonitorConfig({ clusters: [{ name: 'source', include: '(' }], bridges: [{ bridgeId: 'b', sourceCluster: 'nope', targetCluster: 'source', sourceTopics: ['t'] }] })).toThrow(
      expect.objectContaining({ name: 'ConfigError', message: expect.stringMatching(/clusters\.0\.include.*bridges\.0\.sourceCluster/s) }) as ConfigError,
    );
  });
});
