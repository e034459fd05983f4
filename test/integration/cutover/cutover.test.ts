import { afterEach, describe, expect, it } from 'vitest';
import { runCutoverLocally } from '../../../src/cutover/localRun';
import { CutoverSteps } from '../../../src/cutover/plan';
import { waitFor } from '../../support/helpers';
import { checkExactlyOnceInOrder, CutoverRig, expectBackOnSource, runFailing, settle } from './support';

const rigs: CutoverRig[] = [];
afterEach(async () => {
  while (rigs.length > 0) await rigs.pop()?.close();
});

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
    await expectBackOnSource(rig, result, new RegExp(`Injected failure after step ${failAt}`));
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
    await expectBackOnSource(rig, result, new RegExp(`Injected failure after step ${failAt}`));
  });
});
