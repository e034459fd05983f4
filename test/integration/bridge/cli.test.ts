import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Bridge } from '../../../src/bridge/replicate';
import { partitionEnds, readRanges } from '../../../src/bridge/read';
import { runKbridge as kbridge } from '../../support/cli';
import { uniqueName, waitFor } from '../../support/helpers';
import { batchOf, produce, readAll, sampleRecords } from './support';
import { connectClusters, disconnectClusters, type TestClusters } from './support';
import { createTopicsAndWait } from '../../../src/kafka/clients';

let source: Kafka;
let target: Kafka;
let sourceAdmin: Admin;
let targetAdmin: Admin;
let bridge: Bridge | undefined;

let connected: TestClusters | undefined;

beforeAll(async () => {
  connected = await connectClusters();
  ({ source, target, sourceAdmin, targetAdmin } = connected);
});

afterAll(async () => {
  await bridge?.close();
  await disconnectClusters(connected);
});

describe('kbridge verify / offsets translate / topics sync (CLI, real brokers)', () => {
  it('verifies a replicated topic, translates and applies a group\'s offsets, and flags a tampered target', async () => {
    // Prepare
    const clusters = inject('clusters');
    const topic = uniqueName('cli');
    const bridgeId = uniqueName('cb');
    const group = uniqueName('g');
    await createTopicsAndWait(sourceAdmin, [{ topic, numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '86400000' }] }]);
    const sync = await kbridge(['topics', 'sync', '--source', clusters.source.bootstrapServers, '--target', clusters.target.bootstrapServers, '--topics', topic, '--json']);
    await produce(source, topic, sampleRecords(2, 15));
    const ends = await partitionEnds(sourceAdmin, topic);
    const records = [...(await readAll(source, topic, new Map([...ends].map(([p, e]) => [p, e.high])))).values()].flat();
    bridge = new Bridge({ bridgeId, topicMapping: { kind: 'identity' }, provenanceHeaders: true }, { target });
    await bridge.replicateBatch(batchOf(records.filter((r) => r.offset < 8n)));
    await bridge.replicateBatch(batchOf(records.filter((r) => r.offset >= 8n)));
    await sourceAdmin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: '5' }, { partition: 1, offset: '15' }] });
    const common = ['--source', clusters.source.bootstrapServers, '--target', clusters.target.bootstrapServers, '--bridge-id', bridgeId];
    await waitFor('commit markers written', async () => [...(await partitionEnds(targetAdmin, topic)).values()].every((e) => e.high === 17n));

    // Act
    const verified = await kbridge(['verify', ...common, '--topics', topic, '--json']);
    const translated = await kbridge(['offsets', 'translate', '--group', group, ...common, '--apply', '--json']);
    // Someone else writes into the target partition between two bridge batches.
    await produce(target, topic, [{ partition: 1, key: 'intruder', value: 'x' }]);
    await produce(source, topic, [{ partition: 1, key: 'late', value: 'y' }]);
    const late = await readAll(source, topic, new Map([[1, 16n]]));
    await bridge.replicateBatch(batchOf((late.get(1) ?? []).filter((r) => r.offset === 15n)));
    await waitFor('third commit marker', async () => (await partitionEnds(targetAdmin, topic)).get(1)?.high === 20n);
    const tampered = await kbridge(['verify', ...common, '--topics', topic]);

    // Assess
    expect(sync.code).toBe(0);
    expect(JSON.parse(sync.stdout).topics[0]).toMatchObject({ action: 'created', partitions: 2, configs: { 'retention.ms': '86400000' } });
    expect(verified.code).toBe(0);
    const report = JSON.parse(verified.stdout);
    expect(report.ok).toBe(true);
    expect(report.partitions.map((p: { sourceCount: number; targetCount: number }) => [p.sourceCount, p.targetCount])).toEqual([[15, 15], [15, 15]]);
    expect(translated.code).toBe(0);
    const rows = JSON.parse(translated.stdout).partitions as Array<{ partition: number; targetOffset: string }>;
    // p0: source 5 → target 5 (first batch 0..7); p1: fully caught up → after the last record (16: 8 + marker + 7)
    expect(rows.sort((a, b) => a.partition - b.partition).map((r) => r.targetOffset)).toEqual(['5', '16']);
    const applied = await targetAdmin.fetchOffsets({ groupId: group, topics: [topic] });
    expect(applied[0]?.partitions.sort((a, b) => a.partition - b.partition).map((p) => p.offset)).toEqual(['5', '16']);
    const atFive: string[] = [];
    await readRanges(target, topic, new Map([[0, { from: 5n, to: 6n }]]), (_p, m) => atFive.push(String(m.key)));
    expect(atFive).toEqual(['k-0-5']);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toMatch(/DIFFERENT/);
  });
});
