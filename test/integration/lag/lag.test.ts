import { CloudWatchClient, GetMetricDataCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLagMonitorLambda } from '../../../functions/lag-monitor/lambda';
import { resolveAwsClientConfig } from '../../../src/adapters/aws/clientConfig';
import { withKafkaAdmin, withKafkaProducer, type KafkaAdmin, type KafkaClient } from '../../../src/kafka';
import { computeLag } from '../../../src/lag/computeLag';
import { KafkaLagReader } from '../../../src/lag/kafkaLagReader';
import { bridgeGroupId } from '../../../src/bridge/replicate';
import { computeReplicationLag } from '../../../src/lag/replication';
import { PartitionFlag, type GroupLag } from '../../../src/lag/types';
import { runKafkaTool } from '../../../src/local/clusters/kafkaDist';
import { resolveLocalSettings } from '../../../src/local/clusters/settings';
import { createTestTopic, localKafkaClient, uniqueName, waitFor } from '../../support/helpers';

const clusters = inject('clusters');
let kafka: KafkaClient;
let target: KafkaClient;
let admin: KafkaAdmin;
let reader: KafkaLagReader;
const cleanup: (() => Promise<unknown>)[] = [];
const topics: string[] = [];

beforeAll(async () => {
  kafka = await localKafkaClient('source');
  target = await localKafkaClient('target');
  admin = await kafka.admin();
  reader = await KafkaLagReader.connect(kafka, { cluster: 'source' });
});

afterEach(async () => {
  for (const fn of cleanup.splice(0)) await fn().catch(() => undefined);
});

afterAll(async () => {
  await reader?.close();
  if (topics.length > 0) await admin.deleteTopics(topics).catch(() => undefined);
  await admin?.close();
});

async function topicWith(partitions: number, perPartition: number, t0: number): Promise<string> {
  const topic = await createTestTopic(kafka, partitions, 'lag');
  topics.push(topic);
  await withKafkaProducer(kafka, async (producer) => {
    for (let p = 0; p < partitions; p++) {
      // Explicit timestamps 1 s apart, so the time lag of any offset is known exactly.
      await producer.send(topic, Array.from({ length: perPartition }, (_, i) => ({ partition: p, key: null, value: `v${i}`, timestamp: String(t0 + i * 1000) })));
    }
  });
  return topic;
}

/** Commit offsets for a group with no member (as `kafka-consumer-groups --reset-offsets`). */
async function commitFor(on: KafkaAdmin, groupId: string, topic: string, partitions: Array<{ partition: number; offset: string }>): Promise<void> {
  await on.commitGroupOffsets(groupId, [{ topic, partitions }]);
}

/** Run one of Kafka's own command-line tools against the source cluster (operations the port does not need). */
async function kafkaTool(mainClass: string, args: string[]): Promise<void> {
  const result = await runKafkaTool(resolveLocalSettings(process.env).cacheDir, clusters.kafkaVersion, mainClass, ['--bootstrap-server', clusters.source.bootstrapServers, ...args]);
  if (result.code !== 0) throw new Error(`${mainClass} ${args.join(' ')} exited ${result.code}: ${result.output}`);
}

async function lagOf(group: string): Promise<GroupLag> {
  const snapshot = await computeLag(reader, { groups: [group] });
  return snapshot.groups[0]!;
}

describe('computeLag against a real broker', () => {
  it('reports exact committed offsets, end offsets, lag and time lag, and a partition without commit', async () => {
    // Prepare
    const t0 = Date.now() - 3_600_000;
    const topic = await topicWith(3, 10, t0);
    const group = uniqueName('g');
    await commitFor(admin, group, topic, [{ partition: 0, offset: '4' }, { partition: 1, offset: '10' }]);
    // Act
    const g = await lagOf(group);
    // Assess
    expect(g.partitions.map((p) => [p.partition, p.committedOffset, p.endOffset, p.offsetLag])).toEqual([
      [0, 4n, 10n, 6n],
      [1, 10n, 10n, 0n],
      [2, null, 10n, null],
    ]);
    const expectedTimeLag = g.atMs - (t0 + 4 * 1000);
    expect(g.partitions[0]!.timeLagMs).toBe(expectedTimeLag);
    expect(g.partitions[2]!.flags).toEqual([PartitionFlag.NoCommit]);
    expect([g.sumOffsetLag, g.maxOffsetLag, g.state]).toEqual([6n, 6n, 'Empty']);
  });

  it('drains a transactional topic to 0 although the high watermark includes the commit marker', async () => {
    // Prepare
    const topic = await createTestTopic(kafka, 1, 'lag-tx');
    topics.push(topic);
    const producer = await kafka.transactionalProducer({ transactionalId: uniqueName('tx') });
    cleanup.push(() => producer.close());
    const tx = await producer.begin();
    await tx.send(topic, Array.from({ length: 5 }, (_, i) => ({ key: null, value: `v${i}` })));
    await tx.commit();
    const group = uniqueName('g-tx');
    const consumer = kafka.consumer({ groupId: group, topics: [topic], fromBeginning: true, maxWaitTimeMs: 100 });
    cleanup.push(() => consumer.close());
    let seen = 0;
    await consumer.start({
      onBatch: async (batch) => {
        seen += batch.records.length;
        await consumer.commit([{ topic: batch.topic, partition: batch.partition, offset: batch.nextOffset.toString() }]);
      },
    });
    await waitFor('5 records consumed and committed', async () => seen === 5 && ((await admin.fetchCommittedOffsets(group, [topic]))[0]?.offset ?? null) !== null);
    // Act
    const g = await waitFor('lag 0', async () => {
      const lag = await lagOf(group);
      return lag.partitions[0]!.offsetLag === 0n ? lag : undefined;
    });
    // Assess
    const p = g.partitions[0]!;
    expect(p.highWatermark).toBe(6n);
    expect(p.endOffset).toBe(6n);
    expect(p.timeLagMs).toBe(0);
    expect(g.state).toBe('Stable');
    expect(p.consumerId).not.toBeNull();
  });

  it('measures against the last stable offset while a transaction is open', async () => {
    // Prepare
    const topic = await topicWith(1, 3, Date.now());
    const producer = await kafka.transactionalProducer({ transactionalId: uniqueName('tx-open') });
    const tx = await producer.begin();
    cleanup.push(async () => {
      await tx.abort();
      await producer.close();
    });
    await tx.send(topic, [{ key: null, value: 'pending-1' }, { key: null, value: 'pending-2' }]);
    const group = uniqueName('g');
    await commitFor(admin, group, topic, [{ partition: 0, offset: '3' }]);
    // Act
    const p = (await lagOf(group)).partitions[0]!;
    // Assess
    expect([p.highWatermark, p.endOffset, p.offsetLag]).toEqual([5n, 3n, 0n]);
    expect(p.flags).toEqual([PartitionFlag.OpenTransaction]);
  });

  it('clamps a committed offset below the log start after deleteRecords and flags data loss', async () => {
    // Prepare
    const t0 = Date.now() - 100_000;
    const topic = await topicWith(1, 10, t0);
    const group = uniqueName('g');
    await commitFor(admin, group, topic, [{ partition: 0, offset: '2' }]);
    const dir = await mkdtemp(join(tmpdir(), 'lag-delete-records-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const offsets = join(dir, 'offsets.json');
    await writeFile(offsets, JSON.stringify({ version: 1, partitions: [{ topic, partition: 0, offset: 6 }] }));
    await kafkaTool('org.apache.kafka.tools.DeleteRecordsCommand', ['--offset-json-file', offsets]);
    // Act
    const g = await lagOf(group);
    // Assess
    const p = g.partitions[0]!;
    expect([p.committedOffset, p.logStartOffset, p.offsetLag]).toEqual([2n, 6n, 4n]);
    expect(p.flags).toEqual([PartitionFlag.DataLoss]);
    expect(p.timeLagMs).toBe(g.atMs - (t0 + 6000));
  });

  it('reports the partitions of a deleted topic as topicDeleted', async () => {
    const topic = await topicWith(1, 2, Date.now());
    const group = uniqueName('g');
    await commitFor(admin, group, topic, [{ partition: 0, offset: '1' }]);
    await admin.deleteTopics([topic]);
    topics.splice(topics.indexOf(topic), 1);
    // The broker also drops an empty group's offsets of a deleted topic, asynchronously (a loaded broker may do it
    // before the first read below). Until then the partition must be reported as topicDeleted with null numbers;
    // afterwards the group has no partition of it. Never a lag of 0. The flag alone is unit-tested in
    // test/unit/lag/computeLag.test.ts.
    const seen = await waitFor('topic gone', async () => {
      const parts = (await lagOf(group)).partitions.filter((x) => x.topic === topic);
      if (parts.length === 0) return { purged: true as const };
      const part = parts[0]!;
      return part.flags.includes(PartitionFlag.TopicDeleted) ? { purged: false as const, part } : undefined;
    });
    if (!seen.purged) expect([seen.part.committedOffset, seen.part.endOffset, seen.part.offsetLag]).toEqual([1n, null, null]);
  });

  it('shows partitions added later as without commit', async () => {
    const topic = await topicWith(1, 2, Date.now());
    const group = uniqueName('g');
    await commitFor(admin, group, topic, [{ partition: 0, offset: '2' }]);
    await kafkaTool('org.apache.kafka.tools.TopicCommand', ['--alter', '--topic', topic, '--partitions', '2']);
    const g = await waitFor('two partitions', async () => {
      const lag = await lagOf(group);
      return lag.partitions.length === 2 ? lag : undefined;
    });
    expect(g.partitions[1]).toMatchObject({ partition: 1, committedOffset: null, flags: [PartitionFlag.NoCommit] });
  });

  it("equals Kafka's own kafka-consumer-groups --describe where both define the numbers", async () => {
    // Prepare
    const topic = await topicWith(4, 20, Date.now() - 1000);
    const group = uniqueName('g');
    await commitFor(admin, group, topic, [0, 1, 2, 3].map((partition) => ({ partition, offset: String(partition * 5) })));
    const settings = resolveLocalSettings(process.env);
    // Act
    const [ours, tool] = await Promise.all([
      lagOf(group),
      runKafkaTool(settings.cacheDir, clusters.kafkaVersion, 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand', [
        '--bootstrap-server',
        clusters.source.bootstrapServers,
        '--describe',
        '--group',
        group,
      ]),
    ]);
    // Assess
    expect(tool.code).toBe(0);
    const rows = tool.stdout
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((cols) => cols[1] === topic)
      .map((cols) => [Number(cols[2]), BigInt(cols[3]!), BigInt(cols[4]!), BigInt(cols[5]!)])
      .sort((a, b) => (a[0] as number) - (b[0] as number));
    expect(rows).toEqual(ours.partitions.map((p) => [p.partition, p.committedOffset, p.highWatermark, p.offsetLag]));
  });
});

describe('replication lag', () => {
  it('compares the source end with the bridge progress commit on the target', async () => {
    // Prepare
    const t0 = Date.now() - 50_000;
    const topic = await topicWith(2, 10, t0);
    const bridgeId = uniqueName('b');
    const targetAdmin = await target.admin();
    cleanup.push(() => targetAdmin.close());
    const targetTopic = `${topic}-copy`;
    await targetAdmin.createTopics([{ topic: targetTopic, numPartitions: 2 }]);
    cleanup.push(() => withKafkaAdmin(target, (a) => a.deleteTopics([targetTopic])));
    await commitFor(targetAdmin, bridgeGroupId(bridgeId), targetTopic, [{ partition: 0, offset: '7' }, { partition: 1, offset: '10' }]);
    const progress = await KafkaLagReader.connect(target, { cluster: 'target' });
    cleanup.push(() => progress.close());
    // Act
    const lag = await computeReplicationLag({ source: reader, progress }, { bridgeId, sourceTopics: [topic], topicMapping: { [topic]: targetTopic } });
    // Assess
    expect(lag.error).toBeUndefined();
    expect(lag.partitions.map((p) => [p.partition, p.replicatedOffset, p.sourceEndOffset, p.offsetLag])).toEqual([
      [0, 7n, 10n, 3n],
      [1, 10n, 10n, 0n],
    ]);
    expect(lag.partitions[0]!.timeLagMs).toBe(lag.atMs - (t0 + 7000));
  });
});

describe('lag-monitor Lambda', () => {
  it('publishes MSK-named metrics to CloudWatch and keeps its window in DynamoDB', async () => {
    // Prepare
    const t0 = Date.now() - 10_000;
    const topic = await topicWith(2, 5, t0);
    const group = uniqueName('g');
    await commitFor(admin, group, topic, [{ partition: 0, offset: '1' }, { partition: 1, offset: '5' }]);
    const aws = resolveAwsClientConfig(process.env);
    const dynamo = new DynamoDBClient(aws.client);
    const table = uniqueName('lag-samples');
    await dynamo.send(new CreateTableCommand({ TableName: table, KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }));
    cleanup.push(() => dynamo.send(new DeleteTableCommand({ TableName: table })));
    const namespace = uniqueName('KafkaMskBridgeTest');
    const env = {
      ...process.env,
      LAG_MONITOR_CONFIG: JSON.stringify({ namespace, clusters: [{ name: 'source', groups: [group, uniqueName('missing')] }], perPartitionMetrics: true, sampleTable: table }),
      SOURCE_BOOTSTRAP_SERVERS: clusters.source.bootstrapServers,
    };
    const lambda = createLagMonitorLambda(env);
    // Act
    const first = await lambda.lagMonitor();
    const report = await lambda.lagMonitor();
    // Assess
    expect(first.clusters[0]!.groups.map((g) => g.status)).toEqual(['OK', 'ERR']);
    expect(report.requests).toBe(1);
    const cw = new CloudWatchClient(aws.client);
    const listed = await cw.send(new ListMetricsCommand({ Namespace: namespace }));
    const names = new Set((listed.Metrics ?? []).map((m) => m.MetricName));
    for (const name of ['MaxOffsetLag', 'SumOffsetLag', 'EstimatedMaxTimeLag', 'OffsetLag', 'EstimatedTimeLag', 'ConsumerGroupStatus', 'LagMonitorError', 'LagMonitorHeartbeat']) {
      expect(names).toContain(name);
    }
    const dims = [
      { Name: 'Cluster Name', Value: 'source' },
      { Name: 'Consumer Group', Value: group },
      { Name: 'Topic', Value: topic },
    ];
    const now = new Date();
    const data = await cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(now.getTime() - 3_600_000),
        EndTime: new Date(now.getTime() + 60_000),
        MetricDataQueries: [
          { Id: 'sum', MetricStat: { Metric: { Namespace: namespace, MetricName: 'SumOffsetLag', Dimensions: dims }, Period: 60, Stat: 'Maximum' } },
          { Id: 'max', MetricStat: { Metric: { Namespace: namespace, MetricName: 'MaxOffsetLag', Dimensions: dims }, Period: 60, Stat: 'Maximum' } },
          {
            Id: 'err',
            MetricStat: { Metric: { Namespace: namespace, MetricName: 'LagMonitorError', Dimensions: [{ Name: 'Cluster Name', Value: 'source' }] }, Period: 60, Stat: 'Maximum' },
          },
        ],
      }),
    );
    const values = Object.fromEntries((data.MetricDataResults ?? []).map((r) => [r.Id, r.Values ?? []]));
    expect(values.sum).toContain(4);
    expect(values.max).toContain(4);
    expect(values.err).toContain(1);
  });
});
