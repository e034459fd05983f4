import { afterEach, describe, expect, it } from 'vitest';
import { runCutoverLocally, type LocalRunResult } from '../../../src/cutover/localRun';
import { CutoverSteps } from '../../../src/cutover/plan';
import { waitFor } from '../../support/helpers';
import { checkExactlyOnceInOrder, CutoverRig } from './support';

const rigs: CutoverRig[] = [];
afterEach(async () => {
  while (rigs.length > 0) await rigs.pop()?.close();
});

async function settle(rig: CutoverRig): Promise<void> {
  await rig.stopProducing();
  await waitFor('every produced record consumed', () => rig.consumed.length >= rig.totalProduced(), { timeoutMs: 30_000 });
  // A little longer: a duplicate would arrive now.
  await new Promise((r) => setTimeout(r, 500));
}

/** Run a cutover that fails at `failAt`, then let the producer write on the source again and settle. */
async function runFailing(rig: CutoverRig): Promise<LocalRunResult> {
  rig.startProducer(40);
  await waitFor('records flowing on the source', () => rig.consumed.length > 10, { timeoutMs: 30_000 });
  const result = await runCutoverLocally({ deps: rig.deps, pollMs: 300 });
  const writesAfter = rig.writes.length;
  await waitFor('producer writing again after the rollback', () => rig.writes.length > writesAfter + 5, { timeoutMs: 15_000 });
  await settle(rig);
  return result;
}

/** Everything back on the source: config entries, unfenced producer, mappings, every record exactly once. */
async function expectBackOnSource(rig: CutoverRig, result: LocalRunResult, failAt: string): Promise<void> {
  expect(result.status).toBe('ROLLED_BACK');
  expect(result.cause).toMatch(new RegExp(`Injected failure after step ${failAt}`));
  expect(await rig.store.read({ store: 'local', id: 'app-consumer' })).toMatchObject({ cluster: 'source' });
  expect(await rig.store.read({ store: 'local', id: 'app-producer' })).toMatchObject({ cluster: 'source' });
  expect((await rig.store.read({ store: 'local', id: 'app-producer' }))?.paused).not.toBe(true);
  expect((await rig.deps.triggers.status(rig.plan.consumerGroups[0]!.sourceTriggers[0]!)).state).toBe('Enabled');
  expect((await rig.deps.triggers.status(rig.plan.consumerGroups[0]!.targetTriggers[0] as { id: string })).state).toBe('Disabled');
  expect(rig.writes.at(-1)?.cluster).toBe('source');
  expect(checkExactlyOnceInOrder(rig)).toEqual([]);
}

describe('cutover (local run of infra/cutover.asl.json)', () => {
  it('moves consumers and producers to the target under load, every record consumed exactly once in order', async () => {
    // Prepare
    const rig = await CutoverRig.create();
    rigs.push(rig);
    rig.startProducer(40);
    await waitFor('records flowing on the source', () => rig.consumed.length > 20 && rig.totalProduced() > 40, { timeoutMs: 30_000 });

    // Act
    const result = await runCutoverLocally({ deps: rig.deps, pollMs: 300 });
    await settle(rig);

    // Assess
    expect(result.error ?? result.status).toBe('SUCCEEDED');
    expect(checkExactlyOnceInOrder(rig)).toEqual([]);
    expect(rig.consumed.some((c) => c.cluster === 'target')).toBe(true);
    expect(rig.writes.at(-1)?.cluster).toBe('target');
    expect((await rig.store.read({ store: 'local', id: 'app-consumer' }))?.cluster).toBe('target');
    const steps = result.progress.filter((p) => p.event === 'succeeded').map((p) => p.step);
    expect(steps).toEqual(['preflight', 'fenceProducers', 'waitDrained', 'stopSourceConsumers', 'translateAndSeedOffsets', 'switchConsumerConfig', 'switchProducerConfig', 'startTargetConsumers', 'startTargetProducers', 'verify']);
    console.log(JSON.stringify({ benchmark: 'cutover', durationMs: result.durationMs, ...rig.windows() }));
  });

  it.each(CutoverSteps.filter((s) => s !== 'preflight'))('rolls everything back to the source when %s fails, nothing lost', async (failAt) => {
    // Prepare
    const rig = await CutoverRig.create({ failAt });
    rigs.push(rig);

    // Act
    const result = await runFailing(rig);

    // Assess
    await expectBackOnSource(rig, result, failAt);
  });
});

describe('cutover, consumers-first (Stop-Restart-Repeat)', () => {
  it('moves the consumer group while the bridge replicates, then the producers, every record consumed exactly once in order', async () => {
    // Prepare
    const rig = await CutoverRig.create({ pattern: 'consumers-first' });
    rigs.push(rig);
    rig.startProducer(40);
    await waitFor('records flowing on the source', () => rig.consumed.length > 20 && rig.totalProduced() > 40, { timeoutMs: 30_000 });

    // Act
    const result = await runCutoverLocally({ deps: rig.deps, pollMs: 300 });
    await settle(rig);

    // Assess
    expect(result.error ? `${result.error}: ${result.cause}` : result.status).toBe('SUCCEEDED');
    expect(checkExactlyOnceInOrder(rig)).toEqual([]);
    const steps = result.progress.filter((p) => p.event === 'succeeded').map((p) => p.state);
    expect(steps).toEqual(['Preflight', 'CfStopSourceConsumers', 'CfWaitBridgeAtGroups', 'CfTranslateAndSeedOffsets', 'CfSwitchConsumerConfig', 'CfStartTargetConsumers', 'CfFenceProducers', 'CfWaitBridgeDrained', 'CfSwitchProducerConfig', 'CfStartTargetProducers', 'Verify']);
    // Consumers-first: the target consumer reads bridged records while the producer still writes to the source.
    const firstTargetRead = rig.consumed.find((c) => c.cluster === 'target')?.atMs ?? Infinity;
    const lastSourceWrite = rig.writes.filter((w) => w.cluster === 'source').at(-1)?.atMs ?? 0;
    expect(firstTargetRead).toBeLessThan(lastSourceWrite);
    expect(rig.writes.at(-1)?.cluster).toBe('target');
    console.log(JSON.stringify({ benchmark: 'cutover-consumers-first', ...rig.windows(), durationMs: result.durationMs }));
  });

  it.each(['fenceProducers', 'startTargetProducers'] as const)('rolls back to the source when %s fails after the consumers moved, nothing lost or duplicated', async (failAt) => {
    // Prepare
    const rig = await CutoverRig.create({ pattern: 'consumers-first', failAt });
    rigs.push(rig);

    // Act
    const result = await runFailing(rig);

    // Assess
    expect(rig.consumed.some((c) => c.cluster === 'target')).toBe(true);
    expect(rig.consumed.at(-1)?.cluster).toBe('source');
    await expectBackOnSource(rig, result, failAt);
  });
});
