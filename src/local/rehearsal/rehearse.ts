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
import { buildFailbackPlan, forwardFactsFromAudit, reportMskOnly } from '../../cutover/failback';
import { parsePlan, type CutoverPlan, type CutoverPlanInput, type CutoverStepName, type ReverseBridgePlan } from '../../cutover/plan';
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
import { readBackReplicas, type ReadBackResult } from './readBack';
import {
  countsFrom,
  cutoverWindow,
  evaluateRehearsal,
  fencedWindowMs,
  stepDurationMs,
  type CutoverDirection,
  type CutoverOutcome,
  type PhaseTiming,
  type RehearsalReport,
  type RehearsalSample,
} from './report';
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
  /**
   * Rehearse a failure: this cutover step fails after it acted (the plan's `failAt`), so the rollback runs. With
   * `failback`, the step of the failback (the forward cutover then runs clean).
   */
  failAt?: CutoverStepName;
  /**
   * Rehearse a failback (issue 14): the forward cutover enables the reverse bridge at the switch, the load runs on
   * the target for `dwellSeconds`, then the reversed plan moves everything back to the source through the same state
   * machine, and the load runs there again.
   */
  failback?: { dwellSeconds: number };
  /** Lag/throughput sampling interval. */
  sampleIntervalMs?: number;
}

/** What the rehearsal reports while it runs (the CLI prints it; `--json` prints each as one line). */
export type RehearsalEvent =
  | { type: 'phase'; phase: string; atMs: number }
  | { type: 'sample'; sample: RehearsalSample; produced: number; consumed: number; buffered: number; producerCluster: ClusterSide | null }
  | { type: 'cutover-step'; step: string; atMs: number; direction?: CutoverDirection }
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
  kept: {
    source: string;
    target: string;
    topics: string[];
    groups: string[];
    bridgeGroups: string[];
    offsetMapTopic: string;
    /** With `--failback`: the reverse bridge's groups (on the target) and offset map (on the source). */
    reverseBridgeGroups?: string[];
    reverseOffsetMapTopic?: string;
  } | null;
}

const FUNCTION_DIR = fileURLToPath(new URL('../../../functions/', import.meta.url));
const CONSUMER_TUNING = { sessionTimeoutMs: 6000, heartbeatIntervalMs: 500, rebalanceTimeoutMs: 5000, maxWaitTimeMs: 100 };

/**
 * A whole migration rehearsed on this machine: the two local clusters, a sequenced producer and a consumer group
 * on the source ("the legacy microservice"), the bridge through the ESM emulator, lag sampling, the cutover under
 * continuous load, the migrated consumer caught up on the target, and an independent count of what was lost or
 * duplicated. Writes `report.json` and `index.html` to `options.outDir` whatever happens after the clusters are up.
 * With `failback`, the reverse bridge runs too (through the emulator, enabled by the forward cutover at the switch),
 * and after a dwell on the target the reversed plan moves the clients back to the source under the same load; the
 * counts then cover both moves.
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
  // The reverse bridge (target → source; --failback): its own id, offset map (on the source) and one trigger group
  // per topic on the target. The plan names each with its trigger (consumerGroupId), so the failback's report of
  // groups that exist only on MSK leaves them out (reportMskOnly).
  const failback = options.failback;
  const reverseBridgeId = `${runId}-rev`;
  const reverseOffsetMapTopic = `${runId}.offset-map-rev`;
  const reverseBridgeGroups = failback ? topics.map((_, i) => `${runId}-bridge-reverse-${i}`) : [];
  const configStorePath = join(outDir, 'client-config.json');
  const auditPath = join(outDir, 'cutover-audit.jsonl');
  // The lag monitor's metrics (MSK names and dimensions), one JSON line each: the local stand-in for CloudWatch.
  const metricsPath = join(outDir, 'lag-metrics.jsonl');
  const kafkaDeps = { logger: fileLogger, logLevel: 'error' as const };
  const kafkaFor = (servers: string): Promise<KafkaClient> => createKafkaClient({ name: clusterOf(servers), bootstrapServers: servers.split(','), auth: { type: 'none' } }, kafkaDeps);

  const ledger = new DeliveryLedger();
  // Source-written records as the bridge should have copied them: read back from the target at the end.
  const replicaLedger = new DeliveryLedger();
  // Target-written records as the reverse bridge should have copied them (--failback): read back from the source.
  const reverseReplicaLedger = new DeliveryLedger();
  const producerEvents: ProducerEvent[] = [];
  const foreign: string[] = [];
  const cleanups: Array<() => Promise<unknown>> = [];
  const skipped = (direction: CutoverDirection): CutoverOutcome => ({ direction, status: 'skipped', startedAtMs: null, endedAtMs: null, steps: [], runner: deps.runner.name });
  let cutover: CutoverOutcome = skipped('forward');
  let failbackOutcome: CutoverOutcome | undefined = failback ? skipped('failback') : undefined;
  let producer: LegacyProducer | undefined;
  let sampler: LagSampler | undefined;
  let unsent = 0;
  let loadStoppedAtMs: number | null = null;
  let readBack: ReadBackResult = { replicated: 0, replicatedDuplicates: 0, replicationMissing: 0 };
  let reverseReadBack: ReadBackResult | undefined;
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
    // The loop rule tells the two bridges' records apart by these names; both bridges use them, the other way round.
    const clusterNames = (from: ClusterSide, to: ClusterSide): Record<string, string> => (failback ? { SOURCE_CLUSTER_NAME: from, TARGET_CLUSTER_NAME: to } : {});
    const configStore = createFileConfigStore(configStorePath);
    const producerEntry = { store: 'local' as const, id: `${runId}-producer` };
    await writeFile(configStorePath, '{}\n');
    await writeFile(metricsPath, '');
    await configStore.write(producerEntry, { bootstrapServers: sourceServers, cluster: 'source' });

    // The bridge Lambda, built from its environment as deployed; its logs and EMF metrics go to the log file.
    const bridge = createBridgeLambda(
      { BRIDGE_ID: bridgeId, TARGET_BOOTSTRAP_SERVERS: targetServers, TARGET_AUTH: 'none', SOURCE_BOOTSTRAP_SERVERS: sourceServers, SOURCE_AUTH: 'none', PARTITION_CONCURRENCY: '4', OFFSET_MAP_TOPIC: offsetMapTopic, ...clusterNames('source', 'target') },
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
    const triggers = createEmulatorTriggerControl({ defaultControlUrl: controlUrl });
    let reverseBridge: ReverseBridgePlan | undefined;
    if (failback) {
      // The same bridge function deployed the other way: trigger on the target topics (disabled until the forward
      // cutover's switch enables it), writing into the source, its offset map on the source.
      const reverse = createBridgeLambda(
        {
          BRIDGE_ID: reverseBridgeId,
          BRIDGE_DIRECTION: 'reverse',
          TARGET_BOOTSTRAP_SERVERS: sourceServers,
          TARGET_AUTH: 'none',
          SOURCE_BOOTSTRAP_SERVERS: targetServers,
          SOURCE_AUTH: 'none',
          PARTITION_CONCURRENCY: '4',
          OFFSET_MAP_TOPIC: reverseOffsetMapTopic,
          ...clusterNames('target', 'source'),
        },
        { logger: quietPowertools(new Logger({ serviceName: 'bridge-reverse', logLevel: 'WARN' }), logStream), metrics: quietPowertools(new Metrics({ serviceName: 'bridge-reverse', namespace: 'KafkaMskBridgeRehearsal' }), logStream), kafkaDeps },
      );
      cleanups.push(() => reverse.close());
      const reverseEmulator = new EsmEmulator(
        topics.map((topic, i) => mappingConfig({ id: `reverse-bridge-${i}`, functionName: `${runId}-bridge-reverse`, handler: 'bridge/handler.bridge', topic, group: reverseBridgeGroups[i] as string, servers: targetServers, enabled: false, batchSize: 500 })),
        { handler: reverse.bridgeHandler as never, logger: fileLogger as StructuredLogger, kafkaDeps, consumer: CONSUMER_TUNING, retryBackoff: { initialMs: 200, maxMs: 2000 } },
      );
      cleanups.push(() => reverseEmulator.stop(5000));
      await reverseEmulator.start();
      const reverseControlUrl = `http://127.0.0.1:${await reverseEmulator.listen(0)}`;
      // One mapping per topic (a Kafka trigger reads one topic); the cutover enables and disables them together.
      reverseBridge = {
        bridgeId: reverseBridgeId,
        offsetMapTopic: reverseOffsetMapTopic,
        triggers: topics.map((_, i) => ({ id: `reverse-bridge-${i}`, controlUrl: reverseControlUrl, consumerGroupId: reverseBridgeGroups[i] as string })),
      };
      info(`reverse bridge ${reverseBridgeId}: ${topics.length} mapping(s) on the target, disabled until the switch; control API ${reverseControlUrl}`);
    }
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
          else if (failback) reverseReplicaLedger.produced(r);
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
      ...(failback ? { reverseBridgeId } : {}),
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
        if (cutoverId && (phase === 'cutover' || phase === 'failback')) {
          const direction: CutoverDirection = phase === 'failback' ? 'failback' : 'forward';
          void audit.list(cutoverId).then((records) => {
            const step = currentStep(records);
            if (step && step !== cutoverStep) {
              cutoverStep = step;
              deps.onEvent({ type: 'cutover-step', step, atMs: now(), ...(failback ? { direction } : {}) });
            }
          }, () => undefined);
        }
      },
      now,
    });

    // Preflight needs every source partition replicated at least once; give the bridge a head start.
    const warmupUntil = loadStartedAtMs + Math.max(3000, options.durationSeconds * 250);
    await waitUntil('the bridge replicated every partition', 90_000, async () => now() >= warmupUntil && (await bridgeCoversAll(source, target, bridgeId, topics)), signal);

    // One cutover through the state machine, as a timeline from its audit trail. Interrupting the state machine
    // half-way would strand the consumers; it runs to its end (or rollback).
    const runCutover = async (plan: CutoverPlan, direction: CutoverDirection, clusters: { source: KafkaClient; target: KafkaClient }): Promise<CutoverOutcome> => {
      const label = direction === 'forward' ? 'cutover' : 'failback';
      const onAbort = (): void => info(`interrupted: the ${label} finishes (or rolls back) first`);
      signal.addEventListener('abort', onAbort, { once: true });
      cutoverId = plan.cutoverId;
      await writeFile(join(outDir, direction === 'forward' ? 'plan.json' : 'failback-plan.json'), `${JSON.stringify(plan, null, 2)}\n`);
      const startedAtMs = now();
      const result = await deps.runner
        .run({ plan, configStore, triggers, audit, kafka: clusters }, (line) => info(`${label}: ${line}`))
        .catch((err: unknown) => ({ status: 'failed' as const, error: describeError(err) }));
      const endedAtMs = now();
      const auditRecords = await audit.list(plan.cutoverId);
      cutoverStep = null;
      signal.removeEventListener('abort', onAbort);
      info(`${label} ${result.status}${result.error ? `: ${result.error}` : ''} in ${((endedAtMs - startedAtMs) / 1000).toFixed(1)} s`);
      return {
        direction,
        cutoverId: plan.cutoverId,
        status: result.status,
        startedAtMs,
        endedAtMs,
        steps: timelineFromAudit(auditRecords, startedAtMs, {
          failed: result.status === 'failed',
          ...(result.error ? { error: result.error } : {}),
          ...('failedStep' in result && result.failedStep ? { failedStep: result.failedStep } : {}),
        }),
        runner: deps.runner.name,
        ...(result.error ? { error: result.error } : {}),
      };
    };

    checkAborted();
    enterPhase('cutover');
    const forwardFailAt = failback ? undefined : options.failAt;
    const plan = buildPlan({
      runId,
      pattern: options.pattern,
      sourceServers,
      targetServers,
      bridgeId,
      offsetMapTopic,
      topics,
      groups,
      controlUrl,
      producerEntryId: producerEntry.id,
      ...(forwardFailAt ? { failAt: forwardFailAt } : {}),
      ...(reverseBridge ? { reverseBridge } : {}),
    });
    cutover = await runCutover(plan, 'forward', { source, target });

    enterPhase('load-after-cutover');
    if (failback) {
      if (cutover.status === 'succeeded') {
        // Dwell on the target; the failback's preflight needs the reverse bridge to have processed every partition.
        const dwellUntil = now() + failback.dwellSeconds * 1000;
        await waitUntil('the reverse bridge processed every target partition', failback.dwellSeconds * 1000 + 90_000, async () => now() >= dwellUntil && (await bridgeCoversAll(target, source, reverseBridgeId, topics)), signal);
        checkAborted();
        enterPhase('failback');
        // The reversed plan, from the forward plan and what the forward cutover's audit recorded (the producer entry's
        // source value): what `kbridge cutover failback` builds.
        const facts = forwardFactsFromAudit(await audit.list(plan.cutoverId));
        const failbackPlan = parsePlan(buildFailbackPlan(plan, { facts, ...(options.failAt ? { failAt: options.failAt } : {}) }), 'rehearsal failback plan');
        const mskOnly = await reportMskOnly(target, failbackPlan);
        for (const g of mskOnly.groups) info(`failback: group ${g.groupId} consumes ${g.topics.join(', ')} on the target and is not in the plan: it stays there`);
        for (const t of mskOnly.topics) info(`failback: topic ${t.topic} (consumed by ${t.groups.join(', ')}) is not in the plan: it is not failed back`);
        // The reversed plan's source is the target cluster.
        failbackOutcome = await runCutover(failbackPlan, 'failback', { source: target, target: source });
      } else {
        info('failback skipped: the forward cutover did not succeed');
      }
      enterPhase('load-after-failback');
    }
    const settle = failback ? failback.dwellSeconds * 1000 : 5000;
    const loadUntil = Math.max(loadStartedAtMs + options.durationSeconds * 1000, now() + settle);
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
    readBack = await readBackReplicas({ kafka: target, topics, runId, ledger: replicaLedger, groupId: `${runId}-readback`, now });
    if (failback) reverseReadBack = await readBackReplicas({ kafka: source, topics, runId, ledger: reverseReplicaLedger, groupId: `${runId}-readback-reverse`, writtenOn: 'target', now });
  } catch (err) {
    extraFailures.push(`rehearsal stopped in phase ${phase}: ${describeError(err)}`);
  } finally {
    await producer?.stop(0).catch(() => undefined);
    await sampler?.stop().catch(() => undefined);
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }

  if (signal.aborted && !extraFailures.some((f) => f.includes('interrupted'))) extraFailures.push(`interrupted by the user in phase ${phase}`);
  const summary = ledger.summarize();
  const reverseCounts = failback
    ? {
        reverseReplicated: reverseReadBack?.replicated ?? 0,
        reverseReplicatedDuplicates: reverseReadBack?.replicatedDuplicates ?? 0,
        reverseReplicationMissing: reverseReadBack?.replicationMissing ?? reverseReplicaLedger.producedCount,
      }
    : {};
  const counts = countsFrom(summary, { ...readBack, ...reverseCounts, foreign: foreign.length, unsent });
  const failures = evaluateRehearsal(counts, cutover, extraFailures, failbackOutcome);
  const windows = [cutover, ...(failbackOutcome ? [failbackOutcome] : [])].map((c) =>
    cutoverWindow(c, c.startedAtMs === null ? { writeGap: null, readGap: null } : ledger.gapsStartingIn(c.startedAtMs, c.endedAtMs ?? Number.POSITIVE_INFINITY), producerEvents),
  );
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
    settings: {
      pattern: options.pattern,
      ratePerSecond: options.ratePerSecond,
      durationSeconds: options.durationSeconds,
      topics: options.topics,
      partitions: options.partitions,
      kafkaVersion: up.info.kafkaVersion,
      ...(failback ? { failback: { dwellSeconds: failback.dwellSeconds } } : {}),
      ...(options.failAt ? { failAt: { direction: failback ? ('failback' as const) : ('forward' as const), step: options.failAt } } : {}),
    },
    environment: {
      source: sourceServers,
      target: targetServers,
      topics,
      consumerGroups: groups,
      bridgeId,
      bridgeGroups,
      configStore: configStorePath,
      auditLog: auditPath,
      controlUrl: emulatorControlUrl,
      ...(failback ? { reverseBridge: { bridgeId: reverseBridgeId, bridgeGroups: reverseBridgeGroups, offsetMapTopic: reverseOffsetMapTopic } } : {}),
    },
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
      windows,
    },
    phases,
    cutover,
    ...(failbackOutcome ? { failback: failbackOutcome } : {}),
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
          await admin.deleteTopics(kafka === target ? [...topics, offsetMapTopic] : [...topics, ...(failback ? [reverseOffsetMapTopic] : [])]);
          // Groups left behind slow down every later group listing (lag monitors) on these shared clusters.
          await admin.deleteGroups(
            kafka === target ? [...groups, bridgeGroupId(bridgeId), ...reverseBridgeGroups] : [...groups, ...bridgeGroups, ...(failback ? [bridgeGroupId(reverseBridgeId)] : [])],
          );
        }).catch((err: unknown) => fileLogger.warn('topic cleanup failed', { error: describeError(err) })),
      ),
    );
    // Only clusters this run started itself are stopped: running ones may serve other work.
    if (up.started.length === 2) await localDown(settings).catch(() => undefined);
  }
  await new Promise<void>((r) => logStream.end(() => r()));
  const kept = { source: sourceServers, target: targetServers, topics, groups, bridgeGroups, offsetMapTopic, ...(failback ? { reverseBridgeGroups, reverseOffsetMapTopic } : {}) };
  return { report, reportJson, reportHtml, kept: options.keep ? kept : null };
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
  /** Keep the source current after the switch (`--failback`): the cutover enables it at switchProducerConfig. */
  reverseBridge?: ReverseBridgePlan;
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
    ...(p.reverseBridge ? { reverseBridge: p.reverseBridge } : {}),
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
