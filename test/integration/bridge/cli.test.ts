import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Bridge } from '../../../src/bridge/replicate';
import { partitionEnds } from '../../../src/bridge/read';
import type { KafkaAdmin, KafkaClient } from '../../../src/kafka';
import { runKbridge as kbridge } from '../../support/cli';
import { uniqueName, waitFor } from '../../support/helpers';
import { batchOf, committedOffsets, createTopic, produce, readAll, sampleRecords } from './support';
import { connectClusters, disconnectClusters, type TestClusters } from './support';

let source: KafkaClient;
let target: KafkaClient;
let sourceAdmin: KafkaAdmin;
let targetAdmin: KafkaAdmin;
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
    await createTopic(sourceAdmin, topic, 2, { 'retention.ms': '86400000' });
    const sync = await kbridge(['topics', 'sync', '--source', clusters.source.bootstrapServers, '--target', clusters.target.bootstrapServers, '--topics', topic, '--json']);
    await produce(source, topic, sampleRecords(2, 15));
    const ends = await partitionEnds(sourceAdmin, topic);
    const records = [...(await readAll(source, topic, new Map([...ends].map(([p, e]) => [p, e.high])))).values()].flat();
    bridge = new Bridge({ bridgeId, topicMapping: { kind: 'identity' }, provenanceHeaders: true }, { target });
    await bridge.replicateBatch(batchOf(records.filter((r) => r.offset < 8n)));
    await bridge.replicateBatch(batchOf(records.filter((r) => r.offset >= 8n)));
    await sourceAdmin.commitGroupOffsets(group, [{ topic, partitions: [{ partition: 0, offset: '5' }, { partition: 1, offset: '15' }] }]);
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
    expect(JSON.parse(sync.stdout).topics[0]).toMatchObject({ action: 'created', partitions: 2 });
    // Only what was set on the source topic is copied, not the source broker's defaults.
    expect(JSON.parse(sync.stdout).topics[0].configs).toEqual({ 'retention.ms': '86400000' });
    expect(verified.code, `kbridge verify said: ${verified.stdout}${verified.stderr}`).toBe(0);
    const report = JSON.parse(verified.stdout);
    expect(report.ok).toBe(true);
    expect(report.partitions.map((p: { sourceCount: number; targetCount: number }) => [p.sourceCount, p.targetCount])).toEqual([[15, 15], [15, 15]]);
    expect(translated.code).toBe(0);
    const rows = JSON.parse(translated.stdout).partitions as Array<{ partition: number; targetOffset: string }>;
    // p0: source 5 → target 5 (first batch 0..7); p1: fully caught up → after the last record (16: 8 + marker + 7)
    expect(rows.sort((a, b) => a.partition - b.partition).map((r) => r.targetOffset)).toEqual(['5', '16']);
    const applied = await committedOffsets(targetAdmin, group, topic);
    expect([applied.get(0), applied.get(1)]).toEqual(['5', '16']);
    const atFive: string[] = [];
    await target.readRanges(topic, new Map([[0, { from: 5n, to: 6n }]]), (r) => atFive.push(String(r.key)));
    expect(atFive).toEqual(['k-0-5']);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toMatch(/DIFFERENT/);
  });
});
