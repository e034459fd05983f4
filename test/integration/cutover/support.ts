import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, inject } from 'vitest';
import { createJsonlAuditLog } from '../../../src/adapters/local/audit';
import { createFileConfigStore } from '../../../src/adapters/local/configStore';
import { createEmulatorTriggerControl } from '../../../src/adapters/local/triggerControl';
import { parseBridgeDirection } from '../../../src/bridge/direction';
import { Bridge } from '../../../src/bridge/replicate';
import type { CutoverDeps } from '../../../src/cutover/context';
import { buildFailbackPlan, forwardFactsFromAudit, type FailbackPlanOptions } from '../../../src/cutover/failback';
import { parsePlan, type CutoverPlan, type CutoverPlanInput } from '../../../src/cutover/plan';
import { decodeKafkaEvent } from '../../../src/event/codec';
import { withKafkaAdmin, type KafkaClient, type KafkaProducer } from '../../../src/kafka';
import type { EsmMappingConfig } from '../../../src/local/esm/config';
import { EsmEmulator } from '../../../src/local/esm/EsmEmulator';
import type { LambdaHandler } from '../../../src/local/esm/handlerLoader';
import { runCutoverLocally, type LocalRunResult, type LocalRunOptions } from '../../../src/cutover/localRun';
import { localKafkaClient, quietLogger as quiet, uniqueName, waitFor } from '../../support/helpers';

// Rebalance timeout not below the session timeout: @platformatic/kafka refuses that (kafkajs accepts it).
const fastConsumer = { sessionTimeoutMs: 6000, heartbeatIntervalMs: 500, rebalanceTimeoutMs: 6000, maxWaitTimeMs: 100 };
export const PARTITIONS = 2;

/** One consumed record: where it was read, and the producer's (partition, sequence). */
export interface Consumed {
  cluster: 'source' | 'target';
  partition: number;
  seq: number;
  atMs: number;
}

/**
 * A full local migration rig: a source topic and its target twin, the bridge running under the ESM emulator,
 * the "migrated consumer" (one group, a source mapping enabled and a target mapping disabled), a producer that
 * obeys its config entry, the local config store, audit file and emulator control API.
 */
export class CutoverRig {
  public readonly consumed: Consumed[] = [];
  public readonly produced = new Map<number, number>();
  public readonly writes: Array<{ atMs: number; cluster: string }> = [];
  public plan!: CutoverPlan;
  public deps!: CutoverDeps;
  private emulator!: EsmEmulator;
  private bridge!: Bridge;
  private producers = new Map<string, KafkaProducer>();
  private stopProducer = false;
  private producerLoop: Promise<void> | undefined;
  private kafka!: { source: KafkaClient; target: KafkaClient };

  /**
   * `reverseBridge`: also run the reverse bridge (target → source, disabled until the cutover enables it) under
   * its own emulator, name the clusters for the loop rule (`source`, `target`), and put it in the plan.
   */
  public static async create(overrides: Partial<CutoverPlanInput> = {}, options: { reverseBridge?: boolean } = {}): Promise<CutoverRig> {
    const rig = new CutoverRig();
    await rig.setUp(overrides, options.reverseBridge === true);
    return rig;
  }

  private async setUp(overrides: Partial<CutoverPlanInput>, withReverse: boolean): Promise<void> {
    const clusters = inject('clusters');
    const [source, target] = await Promise.all([localKafkaClient('source'), localKafkaClient('target')]);
    this.kafka = { source, target };
    const topic = uniqueName('cut');
    for (const k of [source, target]) {
      await withKafkaAdmin(k, (a) => a.createTopics([{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }]));
    }
    const group = uniqueName('cut-app');
    const bridgeId = uniqueName('cutb');
    // The loop rule needs both bridges to name the clusters (src/bridge/origin.ts).
    const names = withReverse ? { sourceClusterName: 'source', targetClusterName: 'target' } : {};
    this.bridge = new Bridge({ bridgeId, topicMapping: { kind: 'identity' }, provenanceHeaders: false, ...names }, { target });
    const reverseId = uniqueName('cutr');
    if (withReverse) {
      const reverse = parseBridgeDirection({ BRIDGE_DIRECTION: 'reverse', SOURCE_CLUSTER_NAME: 'target', TARGET_CLUSTER_NAME: 'source' });
      this.reverseBridge = new Bridge(
        { bridgeId: reverseId, topicMapping: reverse.topicMapping, provenanceHeaders: false, sourceClusterName: 'target', targetClusterName: 'source', onlyOwnRecords: true },
        { target: source },
      );
    }
    const bridgeHandlerOf = (bridge: Bridge): LambdaHandler => async (event) => {
      const result = await bridge.replicateBatch(decodeKafkaEvent(event));
      if (result.failed.length > 0) throw new Error(`bridge failed ${result.failed.length} partitions`);
      return {};
    };
    const consumer = (cluster: 'source' | 'target'): LambdaHandler => async (event) => {
      const records = (event as { records: Record<string, Array<{ partition: number; value: string }>> }).records;
      for (const list of Object.values(records)) {
        for (const r of list) {
          const [p, s] = Buffer.from(r.value, 'base64').toString().split(':');
          this.consumed.push({ cluster, partition: Number(p), seq: Number(s), atMs: Date.now() });
        }
      }
      return {};
    };
    const base = (id: string, cluster: 'source' | 'target', groupId: string, enabled: boolean): EsmMappingConfig => ({
      id,
      functionName: id,
      handler: 'inline.handler',
      handlerModule: '/dev/null',
      handlerExport: 'handler',
      environment: {},
      timeoutSeconds: 30,
      memorySize: 1024,
      region: 'us-east-1',
      eventSource: 'SelfManagedKafka',
      bootstrapServers: clusters[cluster].bootstrapServers.split(','),
      auth: { type: 'none' },
      topic,
      consumerGroupId: groupId,
      batchSize: 100,
      maximumBatchingWindowSeconds: 0.1,
      startingPosition: 'TRIM_HORIZON',
      enabled,
      filterPatterns: [],
      maximumRetryAttempts: -1,
    });
    // The emulator takes one handler per runtime; run three single-mapping emulators behind one control API each.
    const bridgeEmu = new EsmEmulator([base('bridge-0', 'source', `bridge-esm-${bridgeId}`, true)], { logger: quiet, handler: bridgeHandlerOf(this.bridge), consumer: fastConsumer, retryBackoff: { initialMs: 200, maxMs: 1000 } });
    const sourceEmu = new EsmEmulator([base('app-source-0', 'source', group, true)], { logger: quiet, handler: consumer('source'), consumer: fastConsumer });
    const targetEmu = new EsmEmulator([base('app-target-0', 'target', group, false)], { logger: quiet, handler: consumer('target'), consumer: fastConsumer });
    await Promise.all([bridgeEmu.start(), sourceEmu.start(), targetEmu.start()]);
    const sourcePort = await sourceEmu.listen(0);
    const targetPort = await targetEmu.listen(0);
    this.emulators = [bridgeEmu, sourceEmu, targetEmu];
    this.emulator = sourceEmu;
    let reverseBridge: CutoverPlanInput['reverseBridge'];
    if (this.reverseBridge) {
      // Deployed with its trigger disabled: switchProducerConfig enables it (TRIM_HORIZON, like a new mapping).
      const reverseEmu = new EsmEmulator([base('bridge-reverse-0', 'target', `bridge-esm-${reverseId}`, false)], {
        logger: quiet,
        handler: bridgeHandlerOf(this.reverseBridge),
        consumer: fastConsumer,
        retryBackoff: { initialMs: 200, maxMs: 1000 },
      });
      await reverseEmu.start();
      const reversePort = await reverseEmu.listen(0);
      this.emulators.push(reverseEmu);
      reverseBridge = { bridgeId: reverseId, trigger: { id: 'bridge-reverse-0', controlUrl: `http://127.0.0.1:${reversePort}` } };
    }

    const dir = await mkdtemp(join(tmpdir(), 'kbridge-cutover-'));
    this.dir = dir;
    const store = createFileConfigStore(join(dir, 'client-config.json'));
    const sourceValue = { bootstrapServers: clusters.source.bootstrapServers, cluster: 'source' };
    const targetValue = { bootstrapServers: clusters.target.bootstrapServers, cluster: 'target' };
    await store.write({ store: 'local', id: 'app-consumer' }, sourceValue);
    await store.write({ store: 'local', id: 'app-producer' }, sourceValue);
    this.store = store;
    this.plan = parsePlan({
      cutoverId: uniqueName('cutover'),
      pattern: 'stop-drain-switch',
      source: { name: 'source', bootstrapServers: clusters.source.bootstrapServers },
      target: { name: 'target', bootstrapServers: clusters.target.bootstrapServers },
      bridge: { bridgeId },
      topics: [topic],
      consumerGroups: [
        { groupId: group, sourceTriggers: [{ id: 'app-source-0', controlUrl: `http://127.0.0.1:${sourcePort}` }], targetTriggers: [{ id: 'app-target-0', controlUrl: `http://127.0.0.1:${targetPort}` }] },
      ],
      configEntries: [
        { name: 'app consumer', role: 'consumer', store: 'local', id: 'app-consumer', targetValue },
        { name: 'app producer', role: 'producer', store: 'local', id: 'app-producer', targetValue },
      ],
      timeouts: { drainSeconds: 60, triggerSeconds: 30, verifySeconds: 30 },
      drain: { minSamples: 2, minWindowSeconds: 1 },
      verify: { minNewTargetRecords: 1, minSamples: 2 },
      ...(reverseBridge ? { reverseBridge } : {}),
      ...overrides,
    });
    this.deps = {
      plan: this.plan,
      configStore: store,
      triggers: createEmulatorTriggerControl(),
      audit: createJsonlAuditLog(join(dir, 'audit.jsonl')),
      kafka: this.kafka,
    };
  }

  private emulators: EsmEmulator[] = [];
  private reverseBridge: Bridge | undefined;
  /** Temp directory of this rig: `client-config.json`, `audit.jsonl`. */
  public dir!: string;
  public store!: ReturnType<typeof createFileConfigStore>;

  /** Produce `ratePerSec` records round-robin over the partitions, obeying the `app-producer` config entry. */
  public startProducer(ratePerSec: number): void {
    const topic = this.plan.topics[0] as string;
    let next = 0;
    this.producerLoop = (async () => {
      while (!this.stopProducer) {
        const entry = await this.store.read({ store: 'local', id: 'app-producer' });
        if (entry && !entry.paused) {
          const partition = next % PARTITIONS;
          const seq = this.produced.get(partition) ?? 0;
          const producer = await this.producerFor(entry.bootstrapServers);
          // Awaited: a record counts as produced only once acknowledged (the fence contract: nothing in flight).
          await producer.send(topic, [{ partition, key: null, value: `${partition}:${seq}` }]);
          this.produced.set(partition, seq + 1);
          this.writes.push({ atMs: Date.now(), cluster: String(entry.cluster) });
          next++;
        }
        await new Promise((r) => setTimeout(r, 1000 / ratePerSec));
      }
    })();
  }

  public async stopProducing(): Promise<void> {
    this.stopProducer = true;
    await this.producerLoop;
  }

  private async producerFor(bootstrap: string): Promise<KafkaProducer> {
    let p = this.producers.get(bootstrap);
    if (!p) {
      const kafka = bootstrap === this.plan.target.bootstrapServers.join(',') ? this.kafka.target : this.kafka.source;
      p = await kafka.producer();
      this.producers.set(bootstrap, p);
    }
    return p;
  }

  /**
   * Write unavailability (last acknowledged source write → first target write) and read gap (last record
   * consumed from the source → first consumed from the target), in ms.
   */
  public windows(): { produced: number; writeUnavailableMs: number; readGapMs: number } {
    const lastSource = this.writes.filter((w) => w.cluster === 'source').at(-1)?.atMs ?? 0;
    const firstTarget = this.writes.find((w) => w.cluster === 'target')?.atMs ?? 0;
    const lastSourceRead = this.consumed.filter((c) => c.cluster === 'source').at(-1)?.atMs ?? 0;
    const firstTargetRead = this.consumed.find((c) => c.cluster === 'target')?.atMs ?? 0;
    return { produced: this.totalProduced(), writeUnavailableMs: firstTarget - lastSource, readGapMs: firstTargetRead - lastSourceRead };
  }

  /** Wait until the bridge has replicated into every target partition (preflight refuses a plan before that). */
  public async waitBridged(): Promise<void> {
    const topic = this.plan.topics[0] as string;
    await waitFor(
      'the bridge replicating every partition',
      async () => (await withKafkaAdmin(this.kafka.target, (a) => a.fetchTopicOffsets(topic))).every((p) => BigInt(p.high) > 0n),
      { timeoutMs: 60_000, intervalMs: 250 },
    );
  }

  public totalProduced(): number {
    return [...this.produced.values()].reduce((a, b) => a + b, 0);
  }

  public async close(): Promise<void> {
    await this.stopProducing();
    await Promise.allSettled([...this.producers.values()].map((p) => p.close()));
    await Promise.allSettled(this.emulators.map((e) => e.stop(2000)));
    await this.bridge.close();
    await this.reverseBridge?.close();
  }

  /**
   * The failback of this rig's (forward) cutover, as `kbridge cutover failback` builds it: the reversed plan from
   * the plan and the forward audit, over the same store, mappings and audit log, with the clusters swapped.
   */
  public async failbackDeps(options: Omit<FailbackPlanOptions, 'facts'> = {}): Promise<CutoverDeps> {
    const facts = forwardFactsFromAudit(await this.deps.audit.list(this.plan.cutoverId));
    const plan = parsePlan(buildFailbackPlan(this.plan, { facts, ...options }), 'failback plan');
    return { ...this.deps, plan, kafka: { source: this.kafka.target, target: this.kafka.source } };
  }
}

/** Every produced (partition, seq) consumed exactly once, in order per partition. Returns problems. */
export function checkExactlyOnceInOrder(rig: CutoverRig): string[] {
  const problems: string[] = [];
  for (let p = 0; p < PARTITIONS; p++) {
    const seqs = rig.consumed.filter((c) => c.partition === p).map((c) => c.seq);
    const expected = rig.produced.get(p) ?? 0;
    if (seqs.length !== expected) problems.push(`partition ${p}: consumed ${seqs.length}, produced ${expected}`);
    seqs.forEach((s, i) => {
      if (s !== i) problems.push(`partition ${p}: position ${i} holds seq ${s}`);
    });
  }
  return problems.slice(0, 10);
}

/** Stop the producer and wait until everything produced was consumed (and a little longer: a duplicate would arrive now). */
export async function settle(rig: CutoverRig): Promise<void> {
  await rig.stopProducing();
  await waitFor('every produced record consumed', () => rig.consumed.length >= rig.totalProduced(), { timeoutMs: 30_000 });
  await new Promise((r) => setTimeout(r, 500));
}

/** Run a cutover expected to roll back under load, then let the producer write on the source again and settle. */
export async function runFailing(rig: CutoverRig, options: Partial<LocalRunOptions> = {}): Promise<LocalRunResult> {
  rig.startProducer(40);
  await waitFor('records flowing on the source', () => rig.consumed.length > 10, { timeoutMs: 30_000 });
  await rig.waitBridged();
  const result = await runCutoverLocally({ deps: rig.deps, pollMs: 300, ...options });
  const writesAfter = rig.writes.length;
  await waitFor('producer writing again after the rollback', () => rig.writes.length > writesAfter + 5, { timeoutMs: 15_000 });
  await settle(rig);
  return result;
}

/** Everything back on the source after a rollback: config entries, unfenced producer, mappings, every record exactly once. */
export async function expectBackOnSource(rig: CutoverRig, result: LocalRunResult, cause: RegExp): Promise<void> {
  expect(result.status).toBe('ROLLED_BACK');
  expect(result.cause).toMatch(cause);
  expect(await rig.store.read({ store: 'local', id: 'app-consumer' })).toMatchObject({ cluster: 'source' });
  expect(await rig.store.read({ store: 'local', id: 'app-producer' })).toMatchObject({ cluster: 'source' });
  expect((await rig.store.read({ store: 'local', id: 'app-producer' }))?.paused).not.toBe(true);
  expect((await rig.deps.triggers.status(rig.plan.consumerGroups[0]!.sourceTriggers[0]!)).state).toBe('Enabled');
  expect((await rig.deps.triggers.status(rig.plan.consumerGroups[0]!.targetTriggers[0] as { id: string })).state).toBe('Disabled');
  expect(rig.writes.at(-1)?.cluster).toBe('source');
  expect(checkExactlyOnceInOrder(rig)).toEqual([]);
}
