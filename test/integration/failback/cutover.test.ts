import { afterEach, describe, expect, it } from 'vitest';
import { ORIGIN_HEADER } from '../../../src/bridge/origin';
import type { StepResult } from '../../../src/cutover/context';
import { reportMskOnly } from '../../../src/cutover/failback';
import { runCutoverLocally, type LocalRunResult } from '../../../src/cutover/localRun';
import { CutoverSteps, parsePlan, type CutoverPlanInput, type CutoverStepName } from '../../../src/cutover/plan';
import { withKafkaAdmin, type KafkaClient } from '../../../src/kafka';
import { localKafkaClient, uniqueName, waitFor } from '../../support/helpers';
import { checkExactlyOnceInOrder, CutoverRig, expectBackOnSource, runFailing, settle } from '../cutover/support';

/**
 * Issue 14: the failback cutover end to end on the local clusters. A forward cutover enables the reverse bridge at
 * the switch; producers then write to the target (MSK), the reverse bridge copies their records back, consumers
 * read some on the target; the failback runs the same state machine with the reversed plan. Every record the
 * producer acknowledged must be consumed exactly once, in order per partition, across both moves.
 */

const rigs: CutoverRig[] = [];
afterEach(async () => {
  while (rigs.length > 0) await rigs.pop()?.close();
});

/** Stop-drain-switch runs every step once, in the schema's order; the failback too. */
const STEPS: readonly string[] = CutoverSteps;

/** Forward cutover under load with the reverse bridge, then run on the target until its consumer has read `onTarget` records there. */
async function migrated(onTarget = 40, overrides: Partial<CutoverPlanInput> = {}): Promise<CutoverRig> {
  const rig = await CutoverRig.create(overrides, { reverseBridge: true });
  rigs.push(rig);
  rig.startProducer(40);
  await waitFor('records flowing on the source', () => rig.consumed.length > 20 && rig.totalProduced() > 40, { timeoutMs: 60_000 });
  await rig.waitBridged();
  const forward = await runCutoverLocally({ deps: rig.deps, pollMs: 300 });
  expect(forward.error ? `${forward.error}: ${forward.cause}` : forward.status).toBe('SUCCEEDED');
  await waitFor('records consumed on the target', () => rig.consumed.filter((c) => c.cluster === 'target').length >= onTarget, { timeoutMs: 60_000 });
  return rig;
}

/** The value of the first committed record of `topic`-`partition` at or after `offset` (undefined at the end). */
async function firstValueFrom(kafka: KafkaClient, topic: string, partition: number, offset: bigint): Promise<string | undefined> {
  const high = await withKafkaAdmin(kafka, async (admin) => BigInt((await admin.fetchTopicOffsets(topic)).find((p) => p.partition === partition)?.high ?? '0'));
  if (offset >= high) return undefined;
  let first: string | undefined;
  await kafka.readRanges(topic, new Map([[partition, { from: offset, to: high }]]), (r) => {
    first ??= r.value?.toString();
  });
  return first;
}

/** How many records of `topic` on `kafka` carry the origin header naming `origin`. */
async function countOrigin(kafka: KafkaClient, topic: string, origin: string): Promise<number> {
  const ends = await withKafkaAdmin(kafka, (admin) => admin.fetchTopicOffsets(topic));
  let n = 0;
  await kafka.readRanges(topic, new Map(ends.map((e) => [e.partition, { from: BigInt(e.low), to: BigInt(e.high) }])), (r) => {
    if (r.headers.some((h) => h.key === ORIGIN_HEADER && h.value.toString() === origin)) n++;
  });
  return n;
}

const stepResult = (result: LocalRunResult, step: string): StepResult | undefined => result.progress.find((p) => p.step === step && p.event === 'succeeded')?.result;

describe('failback cutover (local run of infra/cutover.asl.json with the reversed plan)', () => {
  it('moves consumers and producers back to the source under load: offsets seeded exactly, config switched back, producers unfenced there, every record consumed once in order across both moves', async () => {
    // Prepare
    const rig = await migrated();
    const deps = await rig.failbackDeps();
    const group = rig.plan.consumerGroups[0]!.groupId;
    const topic = rig.plan.topics[0]!;

    // Act
    const result = await runCutoverLocally({ deps, pollMs: 300 });
    const writesAfter = rig.writes.length;
    await waitFor('producer writing on the source again', () => rig.writes.length > writesAfter + 20 && rig.consumed.at(-1)?.cluster === 'source', { timeoutMs: 60_000 });
    await settle(rig);

    // Assess
    expect(result.error ? `${result.error}: ${result.cause}` : result.status).toBe('SUCCEEDED');
    expect(result.progress.filter((p) => p.event === 'succeeded').map((p) => p.step)).toEqual(STEPS);
    expect(checkExactlyOnceInOrder(rig)).toEqual([]);
    const clusters = rig.consumed.map((c) => c.cluster).filter((c, i, all) => c !== all[i - 1]);
    expect(clusters).toEqual(['source', 'target', 'source']);
    expect(rig.writes.map((w) => w.cluster).filter((c, i, all) => c !== all[i - 1])).toEqual(['source', 'target', 'source']);
    // Client configuration switched back, producers unfenced on the source.
    expect(await rig.store.read({ store: 'local', id: 'app-consumer' })).toMatchObject({ cluster: 'source', bootstrapServers: rig.plan.source.bootstrapServers.join(',') });
    const producer = await rig.store.read({ store: 'local', id: 'app-producer' });
    expect(producer).toMatchObject({ cluster: 'source' });
    expect(producer?.paused).not.toBe(true);
    expect((await rig.deps.triggers.status(rig.plan.consumerGroups[0]!.sourceTriggers[0]!)).state).toBe('Enabled');
    expect((await rig.deps.triggers.status(rig.plan.consumerGroups[0]!.targetTriggers[0] as { id: string })).state).toBe('Disabled');
    // Seeded exactly: the record the group would have read next on the target is the one it reads next on the source.
    const seeded = (stepResult(result, 'translateAndSeedOffsets')?.detail as { groups: Record<string, Record<string, { source: string; target: string }>> }).groups[group]!;
    expect(Object.keys(seeded).sort()).toEqual([`${topic}:0`, `${topic}:1`]);
    for (const [key, { source, target }] of Object.entries(seeded)) {
      const partition = Number(key.slice(key.lastIndexOf(':') + 1));
      const onTarget = await firstValueFrom(deps.kafka.source, topic, partition, BigInt(source));
      expect(onTarget, `${key}: a record after the committed target offset`).toBeDefined();
      expect(await firstValueFrom(deps.kafka.target, topic, partition, BigInt(target))).toBe(onTarget);
    }
    // The reverse bridge copied what producers wrote on the target; the forward bridge copies what they write now.
    expect(await countOrigin(rig.deps.kafka.source, topic, 'target')).toBe(rig.writes.filter((w) => w.cluster === 'target').length);
    await waitFor('forward bridge copying the new source writes', async () => (await countOrigin(rig.deps.kafka.target, topic, 'source')) === rig.writes.filter((w) => w.cluster === 'source').length, {
      timeoutMs: 60_000,
      intervalMs: 1000,
    });
    // Audit trail: the forward run enabled the reverse bridge at the switch; the failback ran and recorded every step.
    const forwardAudit = await rig.deps.audit.list(rig.plan.cutoverId);
    const reverseIds = rig.plan.reverseBridge!.triggers.map((t) => t.id);
    expect(forwardAudit.filter((r) => r.event === 'change' && reverseIds.includes(r.change?.target ?? '')).map((r) => [r.step, r.change?.to])).toEqual(reverseIds.map(() => ['switchProducerConfig', 'Enabled']));
    const audit = await rig.deps.audit.list(deps.plan.cutoverId);
    expect(audit.filter((r) => r.event === 'done').map((r) => r.step)).toEqual(STEPS);
    const changed = audit.filter((r) => r.event === 'change').map((r) => `${r.step} ${r.change?.kind} ${r.change?.target}`);
    expect(changed).toEqual(
      expect.arrayContaining([
        'fenceProducers fence local:app-producer',
        'stopSourceConsumers trigger app-target-0',
        `translateAndSeedOffsets offsets ${group}@${topic}`,
        'switchConsumerConfig config local:app-consumer',
        'switchProducerConfig config local:app-producer',
        'startTargetConsumers trigger app-source-0',
        'startTargetProducers fence local:app-producer',
      ]),
    );
    expect(deps.plan.failbackOf?.cutoverId).toBe(rig.plan.cutoverId);
  }, 420_000);

  it('fails back consumers first (the reversed plan keeps the pattern): the groups move while producers still write to the target, every record once in order', async () => {
    // Prepare
    const rig = await migrated(20, { pattern: 'consumers-first' });
    const deps = await rig.failbackDeps();

    // Act
    const result = await runCutoverLocally({ deps, pollMs: 300 });
    const writesAfter = rig.writes.length;
    await waitFor('producer writing on the source again', () => rig.writes.length > writesAfter + 20 && rig.consumed.at(-1)?.cluster === 'source', { timeoutMs: 60_000 });
    await settle(rig);

    // Assess
    expect(result.error ? `${result.error}: ${result.cause}` : result.status).toBe('SUCCEEDED');
    expect(result.progress.filter((p) => p.event === 'succeeded').map((p) => p.state)).toEqual([
      'Preflight', 'CfStopSourceConsumers', 'CfWaitBridgeAtGroups', 'CfTranslateAndSeedOffsets', 'CfSwitchConsumerConfig', 'CfStartTargetConsumers',
      'CfFenceProducers', 'CfWaitBridgeDrained', 'CfSwitchProducerConfig', 'CfStartTargetProducers', 'Verify',
    ]);
    expect(checkExactlyOnceInOrder(rig)).toEqual([]);
    expect(rig.consumed.map((c) => c.cluster).filter((c, i, all) => c !== all[i - 1])).toEqual(['source', 'target', 'source']);
    expect(rig.writes.at(-1)?.cluster).toBe('source');
  }, 420_000);

  it.each(CutoverSteps.filter((s): s is Exclude<CutoverStepName, 'preflight'> => s !== 'preflight'))(
    'rolls the failback back to the target when %s fails: nothing lost or duplicated, the target side left running',
    async (failAt) => {
      // Prepare
      const rig = await migrated(20);
      const deps = await rig.failbackDeps({ failAt });

      // Act
      const result = await runCutoverLocally({ deps, pollMs: 300 });
      const writesAfter = rig.writes.length;
      await waitFor('producer writing on the target again', () => rig.writes.length > writesAfter + 10, { timeoutMs: 60_000 });
      await settle(rig);

      // Assess
      expect(result.status).toBe('ROLLED_BACK');
      expect(result.cause).toMatch(new RegExp(`Injected failure after step ${failAt}`));
      expect(checkExactlyOnceInOrder(rig)).toEqual([]);
      expect(rig.writes.at(-1)?.cluster).toBe('target');
      expect(rig.consumed.at(-1)?.cluster).toBe('target');
      expect(await rig.store.read({ store: 'local', id: 'app-consumer' })).toMatchObject({ cluster: 'target' });
      const producer = await rig.store.read({ store: 'local', id: 'app-producer' });
      expect(producer).toMatchObject({ cluster: 'target' });
      expect(producer?.paused).not.toBe(true);
      expect((await rig.deps.triggers.status(rig.plan.consumerGroups[0]!.targetTriggers[0] as { id: string })).state).toBe('Enabled');
      expect((await rig.deps.triggers.status(rig.plan.consumerGroups[0]!.sourceTriggers[0]!)).state).toBe('Disabled');
      for (const t of rig.plan.reverseBridge!.triggers) expect((await rig.deps.triggers.status(t)).state, t.id).toBe('Enabled');
      const audit = await rig.deps.audit.list(deps.plan.cutoverId);
      expect(audit.some((r) => r.step === 'rollback' && r.event === 'done')).toBe(true);
    },
    420_000,
  );
});

describe('rollback of a forward cutover that enabled the reverse bridge', () => {
  it.each(['switchProducerConfig', 'startTargetConsumers', 'startTargetProducers', 'verify'] as const)(
    'disables the reverse bridge and carries the groups back through the reverse offset map when %s fails: nothing lost or duplicated',
    async (failAt) => {
      // Prepare
      const rig = await CutoverRig.create({ failAt }, { reverseBridge: true });
      rigs.push(rig);

      // Act
      const result = await runFailing(rig);

      // Assess
      await expectBackOnSource(rig, result, new RegExp(`Injected failure after step ${failAt}`));
      for (const t of rig.plan.reverseBridge!.triggers) expect((await rig.deps.triggers.status(t)).state, t.id).toBe('Disabled');
      // The records producers wrote on the target are on the source once, as the reverse bridge's copies.
      const topic = rig.plan.topics[0]!;
      expect(await countOrigin(rig.deps.kafka.source, topic, 'target')).toBe(rig.writes.filter((w) => w.cluster === 'target').length);
      if (failAt === 'verify') {
        // verify passed before the injected failure: the target consumer read records written there.
        expect(rig.consumed.some((c) => c.cluster === 'target')).toBe(true);
        expect(rig.writes.some((w) => w.cluster === 'target')).toBe(true);
      }
    },
    420_000,
  );
});

describe('reportMskOnly', () => {
  it('reports groups that exist only on MSK and topics the plan groups consume there that the plan leaves out, not the bridges\' own groups', async () => {
    // Prepare
    const msk = await localKafkaClient('target');
    const [planTopic, extraTopic] = [uniqueName('fbo'), uniqueName('fbo-extra')];
    await withKafkaAdmin(msk, (admin) => admin.createTopics([planTopic, extraTopic].map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 }))));
    const [planGroup, mskGroup, reverseGroup] = [uniqueName('fbo-app'), uniqueName('fbo-audit'), uniqueName('fbo-reverse-esm')];
    await withKafkaAdmin(msk, async (admin) => {
      await admin.commitGroupOffsets(planGroup, [{ topic: planTopic, partitions: [{ partition: 0, offset: '0' }] }, { topic: extraTopic, partitions: [{ partition: 0, offset: '0' }] }]);
      await admin.commitGroupOffsets(mskGroup, [{ topic: planTopic, partitions: [{ partition: 0, offset: '0' }] }]);
      await admin.commitGroupOffsets(`kbridge-bridge-${uniqueName('b')}`, [{ topic: planTopic, partitions: [{ partition: 0, offset: '0' }] }]);
      // The reverse bridge's trigger group: the bridge's own, named by the plan (failbackOf.reverseBridgeGroups).
      await admin.commitGroupOffsets(reverseGroup, [{ topic: planTopic, partitions: [{ partition: 0, offset: '0' }] }]);
    });
    const plan = parsePlan({
      cutoverId: uniqueName('fbo'),
      pattern: 'stop-drain-switch',
      source: { name: 'msk', bootstrapServers: '127.0.0.1:29092' },
      target: { name: 'onprem', bootstrapServers: '127.0.0.1:19092' },
      bridge: { bridgeId: 'rev' },
      failbackOf: { cutoverId: uniqueName('fwd'), forwardBridge: { bridgeId: 'fwd' }, reverseBridgeGroups: [reverseGroup] },
      topics: [planTopic],
      consumerGroups: [{ groupId: planGroup }],
    });

    // Act
    const report = await reportMskOnly(msk, plan);

    // Assess
    // Neither the bridges' checkpoint group nor the reverse bridge's trigger group is reported.
    expect(report.groups.filter((g) => g.topics.includes(planTopic))).toEqual([{ groupId: mskGroup, topics: [planTopic] }]);
    expect(report.topics).toContainEqual({ topic: extraTopic, groups: [planGroup] });
  }, 120_000);
});
