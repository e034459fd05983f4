import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createBridgeLambda, type BridgeLambda } from '../../../src/bridge/lambda';
import { bridgeGroupId } from '../../../src/bridge/replicate';
import { verifyReplication } from '../../../src/bridge/verify';
import { createKafkaClient, type KafkaAdmin, type KafkaClient } from '../../../src/kafka';
import { localDown, localStatus, restartBroker, startBroker } from '../../../src/local/clusters/clusters';
import { isAlive, isPortFree } from '../../../src/local/clusters/processes';
import { resolveLocalSettings, type LocalSettings } from '../../../src/local/clusters/settings';
import { EsmEmulator } from '../../../src/local/esm/EsmEmulator';
import type { InvocationReport } from '../../../src/local/esm/EsmMapping';
import { privatePortBase, testKafkaClientKind, uniqueName, waitFor } from '../../support/helpers';
import { fastConsumer, mappingConfig, quietLogger } from '../esm/support';
import { connectClusters, createTopic, disconnectClusters, readSequences, startSequencedLoad, waitForCheckpoint, type TestClusters } from './support';

// The shared target cluster serves every other test file at the same time, so this test restarts a broker
// of its own: a single-node target in a private state dir on private ports (below the ephemeral range).
const TARGET_BASE_PORT = privatePortBase(24292);
const PARTITIONS = 3;

let home: string;
let settings: LocalSettings;
let clusters: TestClusters | undefined;
let ownTarget: KafkaClient;
let ownTargetAdmin: KafkaAdmin | undefined;
let lambda: BridgeLambda | undefined;
let emulator: EsmEmulator | undefined;
const topics: string[] = [];

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'kbridge-target-restart-'));
  settings = resolveLocalSettings({ ...process.env, KBRIDGE_HOME: home, KBRIDGE_SOURCE_PORT: String(privatePortBase(24192)), KBRIDGE_TARGET_PORT: String(TARGET_BASE_PORT), KBRIDGE_BROKER_HEAP: '256m' });
  for (const port of [TARGET_BASE_PORT, TARGET_BASE_PORT + 1, TARGET_BASE_PORT + 2]) {
    if (!(await isPortFree(port))) throw new Error(`port ${port} is busy; the throwaway target broker needs ${TARGET_BASE_PORT}-${TARGET_BASE_PORT + 2}`);
  }
  clusters = await connectClusters();
  const info = await startBroker(settings, 'target');
  ownTarget = await createKafkaClient(
    { name: 'target', bootstrapServers: [info.bootstrapServers], auth: { type: 'none' } },
    { client: testKafkaClientKind(), logger: quietLogger, logLevel: 'nothing', retries: 8 },
  );
  ownTargetAdmin = await ownTarget.admin();
}, 240_000);

afterAll(async () => {
  await emulator?.stop(0).catch(() => undefined);
  await lambda?.close();
  await ownTargetAdmin?.close().catch(() => undefined);
  await clusters?.sourceAdmin.deleteTopics(topics).catch(() => undefined);
  await disconnectClusters(clusters);
  await localDown(settings);
  await rm(home, { recursive: true, force: true });
}, 120_000);

describe('bridge while its target broker restarts (private single-node target)', () => {
  it('loses and duplicates nothing across a clean restart and a SIGKILL of the target broker', async () => {
    // Prepare
    const c = clusters as TestClusters;
    const admin = ownTargetAdmin as KafkaAdmin;
    const topic = uniqueName('tgt-restart');
    topics.push(topic);
    const bridgeId = uniqueName('tr');
    await createTopic(c.sourceAdmin, topic, PARTITIONS);
    const sourceServers = inject('clusters').source.bootstrapServers;
    const targetServers = `127.0.0.1:${TARGET_BASE_PORT}`;
    lambda = createBridgeLambda(
      { ...process.env, BRIDGE_ID: bridgeId, TARGET_BOOTSTRAP_SERVERS: targetServers, SOURCE_BOOTSTRAP_SERVERS: sourceServers, TRANSACTION_TIMEOUT_MS: '30000' },
      {
        logger: new Logger({ serviceName: 'bridge', logLevel: 'SILENT' }),
        metrics: new Metrics({ serviceName: 'bridge', namespace: 'KafkaMskBridgeTest' }),
        kafkaDeps: { logLevel: 'nothing', retries: 3 },
      },
    );
    const reports: InvocationReport[] = [];
    emulator = new EsmEmulator([mappingConfig(topic, { functionName: 'bridge', consumerGroupId: uniqueName('tr-esm'), batchSize: 200, timeoutSeconds: 60 })], {
      handler: lambda.bridgeHandler as never,
      logger: quietLogger,
      // Rebalance timeout not below the session timeout: @platformatic/kafka refuses that.
      consumer: { ...fastConsumer, rebalanceTimeoutMs: 6000 },
      retryBackoff: { initialMs: 250, maxMs: 2000 },
      onInvocation: (r) => reports.push(r),
    });
    await emulator.start();
    const load = startSequencedLoad(c.source, topic, PARTITIONS, 2, 20);
    const replicatedSoFar = async (): Promise<number> => reports.filter((r) => r.outcome === 'success').reduce((n, r) => n + r.records, 0);

    // Act
    await waitFor('some records replicated before the first restart', async () => (await replicatedSoFar()) > 200, { timeoutMs: 30_000 });
    const pidBefore = (await localStatus(settings)).target.pid;
    await restartBroker(settings, 'target');
    const afterClean = await replicatedSoFar();
    await waitFor('replication resumes after the clean restart', async () => (await replicatedSoFar()) > afterClean + 200, { timeoutMs: 60_000 });
    const pidMiddle = (await localStatus(settings)).target.pid as number;
    // A crash: no controlled shutdown, open transactions left for the coordinator to recover.
    process.kill(pidMiddle, 'SIGKILL');
    // The kernel empties /proc/<pid>/cmdline before it closes the sockets of a dying JVM: wait for the
    // listener itself to go, or startBroker would find its port still taken.
    await waitFor('the killed broker released its port', async () => !isAlive(pidMiddle) && (await isPortFree(TARGET_BASE_PORT, '127.0.0.1', 0)), { timeoutMs: 30_000 });
    await startBroker(settings, 'target');
    const afterCrash = await replicatedSoFar();
    await waitFor('replication resumes after the crash', async () => (await replicatedSoFar()) > afterCrash + 200, { timeoutMs: 60_000 });
    const produced = await load.stop();
    await waitForCheckpoint(admin, bridgeGroupId(bridgeId), topic, produced, 60_000);
    await emulator.stop(0);
    const seqs = await readSequences(ownTarget, admin, topic);
    const report = await verifyReplication({ source: c.source, target: ownTarget, targetAdmin: admin, topics: [topic], bridgeId });

    // Assess
    const failedInvocations = reports.filter((r) => r.outcome !== 'success').length;
    console.info(`target restart: ${produced.reduce((a, b) => a + b, 0)} records, ${reports.length} invocations, ${failedInvocations} failed and retried`);
    expect(pidMiddle).not.toBe(pidBefore);
    expect(failedInvocations).toBeGreaterThan(0);
    for (const [p, n] of produced.entries()) expect(seqs.get(p)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(report.ok).toBe(true);
    expect(report.partitions.map((r) => [r.partition, r.sourceCount, r.targetCount])).toEqual(produced.map((n, p) => [p, n, n]));
  }, 300_000);
});
