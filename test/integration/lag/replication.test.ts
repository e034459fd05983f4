import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLagMonitorLambda } from '../../../functions/lag-monitor/lambda';
import { resolveAwsClientConfig } from '../../../src/adapters/aws/clientConfig';
import { partitionEnds } from '../../../src/bridge/read';
import { Bridge } from '../../../src/bridge/replicate';
import type { SourceRecord } from '../../../src/event/types';
import { KafkaLagReader } from '../../../src/lag/kafkaLagReader';
import { computeReplicationLag, type ReplicationLagRequest } from '../../../src/lag/replication';
import { PartitionFlag } from '../../../src/lag/types';
import { uniqueName, waitFor } from '../../support/helpers';
import { batchOf, connectClusters, createTopic, disconnectClusters, produce, readAll, type TestClusters } from '../bridge/support';

const SOURCE_PARTITIONS = 4;
const TARGET_PARTITIONS = 2;
const PER_PARTITION = 10;
/** Records of each source partition the first bridge run replicates (partition 2: none). */
const FIRST = [3, 10, 0, 7];

let clusters: TestClusters | undefined;
let sourceReader: KafkaLagReader;
let targetReader: KafkaLagReader;
const bridges: Bridge[] = [];
const sourceTopics: string[] = [];
const targetTopics: string[] = [];

beforeAll(async () => {
  clusters = await connectClusters();
  sourceReader = await KafkaLagReader.connect(clusters.source, { cluster: 'source' });
  targetReader = await KafkaLagReader.connect(clusters.target, { cluster: 'target' });
});

afterAll(async () => {
  await Promise.all(bridges.map((b) => b.close()));
  await Promise.allSettled([sourceReader?.close(), targetReader?.close()]);
  await clusters?.sourceAdmin.deleteTopics(sourceTopics).catch(() => undefined);
  await clusters?.targetAdmin.deleteTopics(targetTopics).catch(() => undefined);
  await disconnectClusters(clusters);
});

/** A 4-partition source topic with keyed records 1 s apart (timestamps known exactly) and a 2-partition target. */
async function repartitionedPair(t0: number): Promise<{ topic: string; targetTopic: string; records: Map<number, SourceRecord[]> }> {
  const { source, sourceAdmin, targetAdmin } = clusters!;
  const topic = uniqueName('rlag');
  const targetTopic = `${topic}-v2`;
  sourceTopics.push(topic);
  targetTopics.push(targetTopic);
  await createTopic(sourceAdmin, topic, SOURCE_PARTITIONS);
  await createTopic(targetAdmin, targetTopic, TARGET_PARTITIONS);
  await produce(
    source,
    topic,
    Array.from({ length: SOURCE_PARTITIONS * PER_PARTITION }, (_, n) => {
      const partition = Math.floor(n / PER_PARTITION);
      const i = n % PER_PARTITION;
      return { partition, key: `k-${partition}-${i}`, value: `v${i}`, timestamp: t0 + partition * 100_000 + i * 1000 };
    }),
  );
  const ends = await partitionEnds(sourceAdmin, topic);
  const records = await readAll(source, topic, new Map([...ends].map(([p, e]) => [p, e.high])));
  return { topic, targetTopic, records };
}

describe('replication lag of a topic the bridge repartitions by key (real brokers, 4 → 2 partitions)', () => {
  it('reads the per-partition checkpoints: exact lag and time lag while behind, 0 once caught up; the lag-monitor Lambda publishes it to CloudWatch', async () => {
    // Prepare
    const t0 = Date.now() - 600_000;
    const { topic, targetTopic, records } = await repartitionedPair(t0);
    const bridgeId = uniqueName('rlag');
    const topicMapping = { map: { [topic]: targetTopic }, repartition: [topic] };
    const bridge = new Bridge({ bridgeId, topicMapping: { kind: 'map', ...topicMapping }, provenanceHeaders: false }, { target: clusters!.target, sourceAdmin: clusters!.sourceAdmin });
    bridges.push(bridge);
    const request: ReplicationLagRequest = { bridgeId, sourceTopics: [topic], topicMapping: { [topic]: targetTopic }, repartitioned: [topic] };
    const namespace = uniqueName('KafkaMskBridgeReplication');
    const lambda = createLagMonitorLambda({
      ...process.env,
      LAG_MONITOR_CONFIG: JSON.stringify({
        namespace,
        // Consumer-group lag is not what this test is about: patterns that select no group.
        clusters: [{ name: 'source', include: `^${bridgeId}-none$` }, { name: 'target', include: `^${bridgeId}-none$` }],
        bridges: [{ bridgeId, sourceCluster: 'source', targetCluster: 'target', sourceTopics: [topic], bridgeTopicMappingVariable: 'TOPIC_MAPPING' }],
      }),
      TOPIC_MAPPING: JSON.stringify(topicMapping),
      SOURCE_BOOTSTRAP_SERVERS: inject('clusters').source.bootstrapServers,
      TARGET_BOOTSTRAP_SERVERS: inject('clusters').target.bootstrapServers,
    });
    const slice = (counts: number[]): SourceRecord[] => counts.flatMap((n, p) => (records.get(p) ?? []).slice(0, n));

    // Act
    const firstRun = await bridge.replicateBatch(batchOf(slice(FIRST)));
    const behind = await computeReplicationLag({ source: sourceReader, progress: targetReader }, request);
    const untold = await computeReplicationLag({ source: sourceReader, progress: targetReader }, { ...request, repartitioned: [] });
    const monitorBehind = await lambda.lagMonitor();
    const secondRun = await bridge.replicateBatch(batchOf(slice(FIRST.map(() => PER_PARTITION))));
    // EndTxn returns before the coordinator has written the commit markers, and until then a group's first
    // transactional offset commit is not visible to OffsetFetch (partition 2's checkpoint group is new here).
    const caughtUp = await waitFor('every checkpoint visible', async () => {
      const lag = await computeReplicationLag({ source: sourceReader, progress: targetReader }, request);
      return lag.partitions.every((p) => p.replicatedOffset !== null) ? lag : undefined;
    });
    const monitorCaughtUp = await lambda.lagMonitor();

    // Assess
    expect(firstRun.failed).toEqual([]);
    expect(secondRun).toMatchObject({ replicated: SOURCE_PARTITIONS * PER_PARTITION - 20, skippedDuplicate: 20, failed: [] });
    expect(behind.error).toBeUndefined();
    expect(behind.partitions.map((p) => [p.partition, p.targetTopic, p.replicatedOffset, p.sourceEndOffset, p.offsetLag])).toEqual([
      [0, targetTopic, 3n, 10n, 7n],
      [1, targetTopic, 10n, 10n, 0n],
      [2, targetTopic, null, 10n, null],
      [3, targetTopic, 7n, 10n, 3n],
    ]);
    expect(behind.partitions[2]!.flags).toContain(PartitionFlag.NoCommit);
    // Time lag: the age of the oldest unreplicated record (partition p, index i was written at t0 + p*100 s + i s).
    expect(behind.partitions.map((p) => p.timeLagMs)).toEqual([behind.atMs - (t0 + 3000), 0, null, behind.atMs - (t0 + 300_000 + 7000)]);
    expect(behind.sumOffsetLag).toBe(10n);
    // Without knowing the topic is repartitioned, nothing looks replicated: what the lag side showed before.
    expect(untold.partitions.map((p) => p.replicatedOffset)).toEqual([null, null, null, null]);
    expect(caughtUp.partitions.map((p) => [p.replicatedOffset, p.offsetLag, p.timeLagMs])).toEqual(Array.from({ length: SOURCE_PARTITIONS }, () => [10n, 0n, 0]));
    expect(monitorBehind.bridges).toEqual([{ bridgeId, sumOffsetLag: '10', maxTimeLagMs: expect.any(Number) as number }]);
    expect(monitorCaughtUp.bridges).toEqual([{ bridgeId, sumOffsetLag: '0', maxTimeLagMs: 0 }]);
    const cw = new CloudWatchClient(resolveAwsClientConfig(process.env).client);
    const dims = [
      { Name: 'Cluster Name', Value: 'source' },
      { Name: 'Bridge', Value: bridgeId },
      { Name: 'Topic', Value: topic },
    ];
    const query = (Id: string, MetricName: string, Stat: string): NonNullable<ConstructorParameters<typeof GetMetricDataCommand>[0]['MetricDataQueries']>[number] => ({
      Id,
      MetricStat: { Metric: { Namespace: namespace, MetricName, Dimensions: dims }, Period: 60, Stat },
    });
    const data = await cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(Date.now() - 3_600_000),
        EndTime: new Date(Date.now() + 60_000),
        MetricDataQueries: [query('lagmax', 'ReplicationLag', 'Maximum'), query('lagmin', 'ReplicationLag', 'Minimum'), query('time', 'ReplicationTimeLag', 'Maximum')],
      }),
    );
    const values = Object.fromEntries((data.MetricDataResults ?? []).map((r) => [r.Id, r.Values ?? []]));
    expect(values.lagmax).toContain(10);
    expect(values.lagmin).toContain(0);
    // Partition 0's record 3 is the oldest unreplicated one: about 597 s old at the first run.
    expect(Math.max(...(values.time ?? []))).toBeGreaterThanOrEqual(597);
  });
});
