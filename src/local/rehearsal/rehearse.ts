import { Console } from 'node:console';
import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createJsonlAuditLog } from '../../adapters/local/audit';
import { createFileConfigStore } from '../../adapters/local/configStore';
import { createEmulatorTriggerControl } from '../../adapters/local/triggerControl';
import { createBridgeLambda, type BridgeLambda } from '../../bridge/lambda';
import { parsePlan, type CutoverPlan, type CutoverPlanInput, type CutoverStepName } from '../../cutover/plan';
import { describeError, LocalEnvironmentError } from '../../errors';
import { createJsonLineLogger, createKafkaClient, withKafkaAdmin, type KafkaClient, type StructuredLogger } from '../../kafka';
import { KafkaLagReader } from '../../lag/kafkaLagReader';
import { bridgeGroupId } from '../../bridge/replicate';
import { computeReplicationLag } from '../../lag/replication';
import { localUp, localDown } from '../clusters/clusters';
import { resolveLocalSettings } from '../clusters/settings';
import { EsmEmulator, type EsmMappingConfig } from '../esm';
import { DeliveryLedger, type ClusterSide } from './accounting';
import { createRecordingConsumer } from './consumer';
import { timelineFromAudit, currentStep, type CutoverRunner } from './cutover';
import { loadChartAssets, renderReportHtml } from './html';
import { LegacyProducer, type ProducerEvent } from './producer';
import { readBackTarget } from './readBack';
import { countsFrom, evaluateRehearsal, fencedWindowMs, stepDurationMs, type CutoverOutcome, type PhaseTiming, type RehearsalReport, type RehearsalSample } from './report';
import { LagSampler } from './sampler';

export interface RehearsalOptions {
  ratePerSecond: number;
  /** Seconds of load; the load goes on past it until the cutover has finished plus a few seconds. */
  durationSeconds: number;
  topics: number;
  partitions: number;
  pattern: 'stop-drain-switch' | 'consumers-first';
  kafkaVersion?: string;
  keep: boolean;
  outDir: string;
  /** Rehearse a failure: this cutover step fails after it acted (the plan's `failAt`), so the rollback runs. */
  failAt?: CutoverStepName;
  /** Lag/throughput sampling interval. */
  sampleIntervalMs?: number;
}

/** What the rehearsal reports while it runs (the CLI prints it; `--json` prints each as one line). */
export type RehearsalEvent =
  | { type: 'phase'; phase: string; atMs: number }
  | { type: 'sample'; sample: RehearsalSample; produced: number; consumed: number; buffered: number; producerCluster: ClusterSide | null }
  | { type: 'cutover-step'; step: string; atMs: number }
  | { type: 'info'; message: string; atMs: number };

export interface RehearsalDeps {
  /** Process environment (local settings: ports, state dir). Read here at the edge, never deeper. */
  env: Record<string, string | undefined>;
  runner: CutoverRunner;
  onEvent(event: RehearsalEvent): void;
  /** Aborted (Ctrl-C): stop the load and the waits, let a running cutover finish, write the report anyway. */
  signal?: AbortSignal;
  now?: () => number;
}

export interface RehearsalResult {
  report: RehearsalReport;
  reportJson: string;
  reportHtml: string;
  /** Addresses and names when `keep` is set (or always: cheap). */
  kept: { source: string; target: string; topics: string[]; groups: string[]; bridgeGroups: string[]; offsetMapTopic: string } | null;
}

const FUNCTION_DIR = fileURLToPath(new URL('../../../functions/', import.meta.url));
const CONSUMER_TUNING = { sessionTimeoutMs: 6000, heartbeatIntervalMs: 500, rebalanceTimeoutMs: 5000, maxWaitTimeMs: 100 };

/**
 * A whole migration rehearsed on this machine: the two local clusters, a sequenced producer and a consumer group
 * on the source ("the legacy microservice"), the bridge through the ESM emulator, lag sampling, the cutover under
 * continuous load, the migrated consumer caught up on the target, and an independent count of what was lost or
 * duplicated. Writes `report.json` and `index.html` to `options.outDir` whatever happens after the clusters are up.
 *
 * @example
 * ```ts
 * const { report } = await runRehearsal({ ratePerSecond: 100, durationSeconds: 30, topics: 2, partitions: 3,
 *   pattern: 'stop-drain-switch', keep: false, outDir: 'rehearsal-report' }, { env: process.env, runner, onEvent });
 * report.ok; // false when anything was lost or duplicated or a step failed
 * ```
 */
export async function runRehearsal(options: RehearsalOptions, deps: RehearsalDeps): Promise<RehearsalResult> {
  const now = deps.now ?? Date.now;
  const startedAtMs = now();
  const outDir = resolve(options.outDir);
  await mkdir(outDir, { recursive: true });
  const logStream = createWriteStream(join(outDir, 'rehearsal.log'), { flags: 'w' });
  const fileLogger = createJsonLineLogger({ service: 'kbridge-rehearse' }, (line) => logStream.write(`${line}\n`));
  const phases: PhaseTiming[] = [];
  let phase = 'clusters';
  let cutoverStep: string | null = null;
  const enterPhase = (name: string): void => {
    const at = now();
    const last = phases[phases.length - 1];
    if (last && last.endedAtMs === null) last.endedAtMs = at;
    phases.push({ name, startedAtMs: at, endedAtMs: null });
    phase = name;
    deps.onEvent({ type: 'phase', phase: name, atMs: at });
  };
  const info = (message: string): void => deps.onEvent({ type: 'info', message, atMs: now() });
  const signal = deps.signal ?? new AbortController().signal;
  const checkAborted = (): void => {
    if (signal.aborted) throw new LocalEnvironmentError('interrupted by the user');
  };

  enterPhase('clusters');
  const settings = resolveLocalSettings({ ...deps.env, ...(options.kafkaVersion ? { KBRIDGE_KAFKA_VERSION: options.kafkaVersion } : {}) });
  const up = await localUp(settings, (line) => info(line));
  const sourceServers = up.info.source.bootstrapServers;
  const targetServers = up.info.target.bootstrapServers;
  info(`source ${sourceServers} · target ${targetServers} · Kafka ${up.info.kafkaVersion}${up.started.length ? ` (started ${up.started.join(', ')})` : ' (reused)'}`);
  const clusterOf = (servers: string): ClusterSide => (servers === targetServers ? 'target' : 'source');

  const runId = `reh-${new Date(startedAtMs).toISOString().slice(11, 19).replace(/:/g, '')}-${randomBytes(3).toString('hex')}`;
  const topics = Array.from({ length: options.topics }, (_, i) => `${runId}.orders-${i}`);
  const groups = topics.map((_, i) => `${runId}-app-${i}`);
  const bridgeGroups = topics.map((_, i) => `${runId}-bridge-${i}`);
  const bridgeId = runId;
  // A fresh offset map per run: translation reads the whole map topic, and the shared default one grows with every run.
  const offsetMapTopic = `${runId}.offset-map`;
  const configStorePath = join(outDir, 'client-config.json');
  const auditPath = join(outDir, 'cutover-audit.jsonl');
  // The lag monitor's metrics (MSK names and dimensions), one JSON line each: the local stand-in for CloudWatch.
  const metricsPath = join(outDir, 'lag-metrics.jsonl');
  const kafkaDeps = { logger: fileLogger, logLevel: 'error' as const };
  const kafkaFor = (servers: string): Promise<KafkaClient> => createKafkaClient({ name: clusterOf(servers), bootstrapServers: servers.split(','), auth: { type: 'none' } }, kafkaDeps);

  const ledger = new DeliveryLedger();
  // Source-written records as the bridge should have copied them: read back from the target at the end.
  const replicaLedger = new DeliveryLedger();
  const producerEvents: ProducerEvent[] = [];
  const foreign: string[] = [];
  const cleanups: Array<() => Promise<unknown>> = [];
  let cutover: CutoverOutcome = { status: 'skipped', startedAtMs: null, endedAtMs: null, steps: [], runner: deps.runner.name };
  let producer: LegacyProducer | undefined;
  let sampler: LagSampler | undefined;
  let unsent = 0;
  let loadStoppedAtMs: number | null = null;
  let readBack = { replicated: 0, replicatedDuplicates: 0, replicationMissing: 0 };
  const extraFailures: string[] = [];
  let emulatorControlUrl: string | null = null;
  const [source, target] = await Promise.all([kafkaFor(sourceServers), kafkaFor(targetServers)]);

  try {
    enterPhase('setup');
    await Promise.all(
      [source, target].map((kafka) =>
        withKafkaAdmin(kafka, (admin) => admin.createTopics(topics.map((topic) => ({ topic, numPartitions: options.partitions, replicationFactor: 1 })))),
      ),
    );
    const configStore = createFileConfigStore(configStorePath);
    const producerEntry = { store: 'local' as const, id: `${runId}-producer` };
    await writeFile(configStorePath, '{}\n');
    await writeFile(metricsPath, '');
    await configStore.write(producerEntry, { bootstrapServers: sourceServers, cluster: 'source' });

    // The bridge Lambda, built from its environment as deployed; its logs and EMF metrics go to the log file.
    const bridge = createBridgeLambda(
      { BRIDGE_ID: bridgeId, TARGET_BOOTSTRAP_SERVERS: targetServers, TARGET_AUTH: 'none', SOURCE_BOOTSTRAP_SERVERS: sourceServers, SOURCE_AUTH: 'none', PARTITION_CONCURRENCY: '4', OFFSET_MAP_TOPIC: offsetMapTopic },
      { logger: quietPowertools(new Logger({ serviceName: 'bridge', logLevel: 'WARN' }), logStream), metrics: quietPowertools(new Metrics({ serviceName: 'bridge', namespace: 'KafkaMskBridgeRehearsal' }), logStream), kafkaDeps },
    );
    cleanups.push(() => bridge.close());
    const bridgeEmulator = new EsmEmulator(
      topics.map((topic, i) => mappingConfig({ id: `bridge-${i}`, functionName: `${runId}-bridge`, handler: 'bridge/handler.bridge', topic, group: bridgeGroups[i] as string, servers: sourceServers, enabled: true, batchSize: 500 })),
      { handler: bridge.bridgeHandler as never, logger: fileLogger as StructuredLogger, kafkaDeps, consumer: CONSUMER_TUNING, retryBackoff: { initialMs: 200, maxMs: 2000 } },
    );
    const consumer = createRecordingConsumer({
      runId,
      clusterOf: (servers) => clusterOf(servers.join(',')),
      onRecords: (records) => records.forEach((r) => ledger.consumed(r)),
      onForeign: (detail) => foreign.push(detail),
      now,
    });
    const appEmulator = new EsmEmulator(
      topics.flatMap((topic, i) => [
        mappingConfig({ id: `app-source-${i}`, functionName: `${runId}-app`, handler: 'app/handler.consume', topic, group: groups[i] as string, servers: sourceServers, enabled: true, batchSize: 100 }),
        mappingConfig({ id: `app-target-${i}`, functionName: `${runId}-app`, handler: 'app/handler.consume', topic, group: groups[i] as string, servers: targetServers, enabled: false, batchSize: 100 }),
      ]),
      { handler: consumer as never, logger: fileLogger, kafkaDeps, consumer: CONSUMER_TUNING, retryBackoff: { initialMs: 200, maxMs: 2000 } },
    );
    cleanups.push(() => appEmulator.stop(5000), () => bridgeEmulator.stop(5000));
    await Promise.all([bridgeEmulator.start(), appEmulator.start()]);
    const controlPort = await appEmulator.listen(0);
    const controlUrl = `http://127.0.0.1:${controlPort}`;
    emulatorControlUrl = controlUrl;
    info(`emulator: ${topics.length} bridge mapping(s), ${topics.length * 2} consumer mapping(s); control API ${controlUrl}`);

    enterPhase('load');
    producer = new LegacyProducer({
      runId,
      topics,
      partitions: options.partitions,
      ratePerSecond: options.ratePerSecond,
      configStore,
      entry: producerEntry,
      pollMs: 200,
      kafkaFor,
      clusterOf,
      onAck: (records) =>
        records.forEach((r) => {
          ledger.produced(r);
          if (r.cluster === 'source') replicaLedger.produced(r);
        }),
      onEvent: (e) => {
        producerEvents.push(e);
        info(`producer ${e.kind} on ${e.cluster}${e.detail ? `: ${e.detail}` : ''}`);
      },
      now,
    });
    await producer.start();
    const loadStartedAtMs = now();
    const audit = createJsonlAuditLog(auditPath);
    let cutoverId = '';
    const liveProducer = producer;
    sampler = await LagSampler.start({
      source,
      target,
      groups,
      bridgeId,
      topics,
      intervalMs: options.sampleIntervalMs ?? 1000,
      publish: async (metrics) => {
        await appendFile(metricsPath, metrics.map((m) => `${JSON.stringify(m)}\n`).join(''));
        return { requests: 1 };
      },
      totals: () => ({ produced: ledger.producedCount, consumed: ledger.consumedCount }),
      context: () => ({ phase, cutoverStep }),
      onSample: (sample) => {
        deps.onEvent({ type: 'sample', sample, produced: ledger.producedCount, consumed: ledger.consumedCount, buffered: liveProducer.buffered, producerCluster: liveProducer.cluster ?? null });
        if (cutoverId && phase === 'cutover') {
          void audit.list(cutoverId).then((records) => {
            const step = currentStep(records);
            if (step && step !== cutoverStep) {
              cutoverStep = step;
              deps.onEvent({ type: 'cutover-step', step, atMs: now() });
            }
          }, () => undefined);
        }
      },
      now,
    });

    // Preflight needs every source partition replicated at least once; give the bridge a head start.
    const warmupUntil = loadStartedAtMs + Math.max(3000, options.durationSeconds * 250);
    await waitUntil('the bridge replicated every partition', 90_000, async () => now() >= warmupUntil && (await bridgeCoversAll(source, target, bridgeId, topics)), signal);

    checkAborted();
    enterPhase('cutover');
    // Interrupting the state machine half-way would strand the consumers; it runs to its end (or rollback).
    const onAbort = (): void => info('interrupted: the cutover finishes (or rolls back) first');
    signal.addEventListener('abort', onAbort, { once: true });
    const plan = buildPlan({ runId, pattern: options.pattern, sourceServers, targetServers, bridgeId, offsetMapTopic, topics, groups, controlUrl, producerEntryId: producerEntry.id, ...(options.failAt ? { failAt: options.failAt } : {}) });
    cutoverId = plan.cutoverId;
    await writeFile(join(outDir, 'plan.json'), `${JSON.stringify(plan, null, 2)}\n`);
    const cutoverStartedAtMs = now();
    const result = await deps.runner
      .run({ plan, configStore, triggers: createEmulatorTriggerControl({ defaultControlUrl: controlUrl }), audit, kafka: { source, target } }, (line) => info(`cutover: ${line}`))
      .catch((err: unknown) => ({ status: 'failed' as const, error: describeError(err) }));
    const cutoverEndedAtMs = now();
    const auditRecords = await audit.list(plan.cutoverId);
    cutover = {
      status: result.status,
      startedAtMs: cutoverStartedAtMs,
      endedAtMs: cutoverEndedAtMs,
      steps: timelineFromAudit(auditRecords, cutoverStartedAtMs, { failed: result.status === 'failed', ...(result.error ? { error: result.error } : {}) }),
      runner: deps.runner.name,
      ...(result.error ? { error: result.error } : {}),
    };
    cutoverStep = null;
    signal.removeEventListener('abort', onAbort);
    info(`cutover ${result.status}${result.error ? `: ${result.error}` : ''} in ${((cutoverEndedAtMs - cutoverStartedAtMs) / 1000).toFixed(1)} s`);

    enterPhase('load-after-cutover');
    const loadUntil = Math.max(loadStartedAtMs + options.durationSeconds * 1000, now() + 5000);
    while (now() < loadUntil && !signal.aborted) await sleep(200);

    enterPhase('catch-up');
    loadStoppedAtMs = now();
    unsent = (await producer.stop(30_000)).unsent;
    // Not cut short by Ctrl-C: what was produced gets its chance to be consumed, or "lost" would be a lie.
    await waitUntil('the consumers consumed every record', signal.aborted ? 15_000 : 60_000, async () => ledger.allConsumed(), new AbortController().signal).catch(
      (err: unknown) => {
        extraFailures.push(describeError(err));
      },
    );

    enterPhase('verify');
    await sampler.stop();
    // The last consumed batch is committed after the handler returns; a short pause lets the lag points settle.
    readBack = await readBackTarget({ kafka: target, topics, runId, ledger: replicaLedger, groupId: `${runId}-readback`, now });
  } catch (err) {
    extraFailures.push(`rehearsal stopped in phase ${phase}: ${describeError(err)}`);
  } finally {
    await producer?.stop(0).catch(() => undefined);
    await sampler?.stop().catch(() => undefined);
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }

  if (signal.aborted && !extraFailures.some((f) => f.includes('interrupted'))) extraFailures.push(`interrupted by the user in phase ${phase}`);
  const summary = ledger.summarize();
  const counts = countsFrom(summary, { ...readBack, foreign: foreign.length, unsent });
  const failures = evaluateRehearsal(counts, cutover, extraFailures);
  const finishedAtMs = now();
  const last = phases[phases.length - 1];
  if (last && last.endedAtMs === null) last.endedAtMs = finishedAtMs;
  const report: RehearsalReport = {
    reportVersion: 1,
    runId,
    ok: failures.length === 0,
    failures,
    startedAt: new Date(startedAtMs).toISOString(),
    finishedAt: new Date(finishedAtMs).toISOString(),
    durationMs: finishedAtMs - startedAtMs,
    settings: { pattern: options.pattern, ratePerSecond: options.ratePerSecond, durationSeconds: options.durationSeconds, topics: options.topics, partitions: options.partitions, kafkaVersion: up.info.kafkaVersion },
    environment: { source: sourceServers, target: targetServers, topics, consumerGroups: groups, bridgeId, bridgeGroups, configStore: configStorePath, auditLog: auditPath, controlUrl: emulatorControlUrl },
    counts,
    lostRanges: summary.lostRanges,
    duplicates: summary.duplicates,
    availability: {
      writeUnavailableMs: summary.writeGap?.ms ?? null,
      writeGap: summary.writeGap,
      fencedMs: fencedWindowMs(producerEvents),
      readUnavailableMs: summary.readGap?.ms ?? null,
      readGap: summary.readGap,
      maxEndToEndMs: summary.maxEndToEndMs,
      timeToDrainMs: stepDurationMs(cutover.steps, 'waitDrained') ?? stepDurationMs(cutover.steps, 'waitDrained:bridge'),
      catchUpMs: loadStoppedAtMs !== null && summary.lastConsumedAtMs !== null ? Math.max(0, summary.lastConsumedAtMs - loadStoppedAtMs) : null,
    },
    phases,
    cutover,
    producerEvents,
    series: sampler?.samples ?? [],
  };
  if (foreign.length > 0) fileLogger.warn('records not written by this rehearsal', { samples: foreign.slice(0, 20) });
  const reportJson = `${JSON.stringify(report, null, 2)}\n`;
  const reportHtml = renderReportHtml(report, await loadChartAssets());
  await writeFile(join(outDir, 'report.json'), reportJson);
  await writeFile(join(outDir, 'index.html'), reportHtml);

  if (!options.keep) {
    await Promise.all(
      [source, target].map((kafka) =>
        withKafkaAdmin(kafka, async (admin) => {
          await admin.deleteTopics(kafka === target ? [...topics, offsetMapTopic] : topics);
          // Groups left behind slow down every later group listing (lag monitors) on these shared clusters.
          await admin.deleteGroups(kafka === target ? [...groups, bridgeGroupId(bridgeId)] : [...groups, ...bridgeGroups]);
        }).catch((err: unknown) => fileLogger.warn('topic cleanup failed', { error: describeError(err) })),
      ),
    );
    // Only clusters this run started itself are stopped: running ones may serve other work.
    if (up.started.length === 2) await localDown(settings).catch(() => undefined);
  }
  await new Promise<void>((r) => logStream.end(() => r()));
  return { report, reportJson, reportHtml, kept: options.keep ? { source: sourceServers, target: targetServers, topics, groups, bridgeGroups, offsetMapTopic } : null };
}

function mappingConfig(m: { id: string; functionName: string; handler: string; topic: string; group: string; servers: string; enabled: boolean; batchSize: number }): EsmMappingConfig {
  const [module = '', exportName = 'handler'] = m.handler.split('.');
  return {
    id: m.id,
    functionName: m.functionName,
    handler: m.handler,
    // Not loaded: the rehearsal passes the handler function in (EsmRuntimeOptions.handler).
    handlerModule: join(FUNCTION_DIR, module),
    handlerExport: exportName,
    environment: {},
    timeoutSeconds: 60,
    memorySize: 1024,
    region: 'us-east-1',
    eventSource: 'SelfManagedKafka',
    bootstrapServers: m.servers.split(','),
    auth: { type: 'none' },
    topic: m.topic,
    consumerGroupId: m.group,
    batchSize: m.batchSize,
    maximumBatchingWindowSeconds: 0.2,
    startingPosition: 'TRIM_HORIZON',
    enabled: m.enabled,
    filterPatterns: [],
    maximumRetryAttempts: -1,
  };
}

/**
 * The cutover plan of a rehearsal: one consumer group per topic (a source mapping to stop, a target mapping with
 * the same group id to start), the producer's config entry, short drain and verify windows.
 *
 * @example
 * ```ts
 * const plan = buildPlan({ runId, pattern: 'stop-drain-switch', sourceServers, targetServers, bridgeId, offsetMapTopic, topics, groups, controlUrl, producerEntryId });
 * ```
 */
export function buildPlan(p: {
  runId: string;
  pattern: 'stop-drain-switch' | 'consumers-first';
  sourceServers: string;
  targetServers: string;
  bridgeId: string;
  offsetMapTopic: string;
  topics: string[];
  groups: string[];
  controlUrl: string;
  producerEntryId: string;
  failAt?: CutoverStepName;
}): CutoverPlan {
  const input: CutoverPlanInput = {
    cutoverId: `${p.runId}-cutover`,
    pattern: p.pattern,
    source: { name: 'source', bootstrapServers: p.sourceServers },
    target: { name: 'target', bootstrapServers: p.targetServers },
    bridge: { bridgeId: p.bridgeId, offsetMapTopic: p.offsetMapTopic },
    topics: p.topics,
    consumerGroups: p.groups.map((groupId, i) => ({
      groupId,
      sourceTriggers: [{ id: `app-source-${i}`, controlUrl: p.controlUrl }],
      targetTriggers: [{ id: `app-target-${i}`, controlUrl: p.controlUrl }],
    })),
    configEntries: [
      { store: 'local', id: p.producerEntryId, name: 'legacy producer', role: 'producer', targetValue: { bootstrapServers: p.targetServers, cluster: 'target' } },
    ],
    timeouts: { drainSeconds: 120, triggerSeconds: 60, verifySeconds: 60 },
    drain: { minSamples: 2, minWindowSeconds: 2, requireBridge: true },
    verify: { minNewTargetRecords: 1, minSamples: 2 },
    ...(p.failAt ? { failAt: p.failAt } : {}),
  };
  return parsePlan(input, 'rehearsal plan');
}

/** True once the bridge has a progress commit for every source partition (what preflight checks). */
async function bridgeCoversAll(source: KafkaClient, target: KafkaClient, bridgeId: string, topics: string[]): Promise<boolean> {
  const [s, t] = await Promise.all([KafkaLagReader.connect(source, { cluster: 'source' }), KafkaLagReader.connect(target, { cluster: 'target' })]);
  try {
    const lag = await computeReplicationLag({ source: s, progress: t }, { bridgeId, sourceTopics: topics });
    return !lag.error && lag.partitions.length > 0 && lag.partitions.every((p) => p.replicatedOffset !== null);
  } finally {
    await Promise.all([s.close(), t.close()]);
  }
}

async function waitUntil(what: string, timeoutMs: number, probe: () => Promise<boolean>, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (signal.aborted) throw new LocalEnvironmentError(`interrupted by the user while waiting until ${what}`);
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new LocalEnvironmentError(`Timed out after ${Math.round(timeoutMs / 1000)} s waiting until ${what}`);
    await sleep(500);
  }
}

/**
 * Powertools Logger and Metrics write to their own stdout console; in the rehearsal that would mix JSON log
 * lines into the terminal and into `--json`, so their console is pointed at the rehearsal's log file.
 */
function quietPowertools<T extends Logger | Metrics>(tool: T, stream: WriteStream): T {
  (tool as unknown as { console: Console }).console = new Console({ stdout: stream, stderr: stream });
  return tool;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export type { BridgeLambda };
