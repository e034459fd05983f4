import { afterEach, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createMemoryAuditLog } from '../../../src/adapters/local/audit';
import { createFileConfigStore } from '../../../src/adapters/local/configStore';
import { createEmulatorTriggerControl } from '../../../src/adapters/local/triggerControl';
import type { CutoverDeps } from '../../../src/cutover/context';
import { endOffsets } from '../../../src/cutover/kafkaOps';
import { parsePlan } from '../../../src/cutover/plan';
import { verify } from '../../../src/cutover/steps/verify';
import { NotReadyError } from '../../../src/errors';
import { withKafkaAdmin, withKafkaProducer, type GroupConsumer, type KafkaClient } from '../../../src/kafka';
import { localKafkaClient, uniqueName, waitFor } from '../../support/helpers';

const consumers: GroupConsumer[] = [];
const releases: Array<() => void> = [];
afterEach(async () => {
  releases.splice(0).forEach((release) => release());
  await Promise.allSettled(consumers.splice(0).map((c) => c.close()));
});

/**
 * A target topic with 30 records, a target group committed at 5 with one live member that consumes only when
 * told to, and verify's deps as they are after startTargetProducers (its end-offset snapshot in the audit).
 */
async function prepare(): Promise<{ deps: CutoverDeps; target: KafkaClient; consumeFreely: () => void }> {
  const clusters = inject('clusters');
  const [source, target] = await Promise.all([localKafkaClient('source'), localKafkaClient('target')]);
  const topic = uniqueName('verify');
  const groupId = uniqueName('verify-app');
  for (const k of [source, target]) await withKafkaAdmin(k, (a) => a.createTopics([{ topic, numPartitions: 1, replicationFactor: 1 }]));
  const plan = parsePlan({
    cutoverId: uniqueName('verify'),
    pattern: 'stop-drain-switch',
    source: { name: 'source', bootstrapServers: clusters.source.bootstrapServers },
    target: { name: 'target', bootstrapServers: clusters.target.bootstrapServers },
    bridge: { bridgeId: uniqueName('b') },
    topics: [topic],
    consumerGroups: [{ groupId }],
    timeouts: { verifySeconds: 3 },
    verify: { minNewTargetRecords: 1, minSamples: 3 },
  });
  const audit = createMemoryAuditLog();
  const [sourceEnds, targetEnds] = [await endOffsets(source, [topic]), await endOffsets(target, [topic])];
  await audit.append({ cutoverId: plan.cutoverId, step: 'startTargetProducers', event: 'done', at: new Date().toISOString(), result: { step: 'startTargetProducers', status: 'done', changes: [], detail: { sourceEnds, targetEnds } } });
  await withKafkaProducer(target, (p) => p.send(topic, Array.from({ length: 30 }, (_, i) => ({ key: null, value: String(i) }))));
  await withKafkaAdmin(target, (a) => a.commitGroupOffsets(groupId, [{ topic, partitions: [{ partition: 0, offset: '5' }] }]));
  let free = false;
  const consumer = target.consumer({ groupId, topics: [topic], fromBeginning: true, sessionTimeoutMs: 6000, heartbeatIntervalMs: 500, maxWaitTimeMs: 100 });
  consumers.push(consumer);
  await consumer.start({
    onBatch: async (batch) => {
      const first = batch.records[0];
      if (!free) {
        // Stuck until released, as a wedged consumer would be: a member of the group (it keeps heartbeating while
        // paused) that gets no further; the batch is fetched again once released.
        if (first) consumer.seek(batch.topic, batch.partition, first.offset);
        consumer.pause(batch.topic, [batch.partition]);
        return;
      }
      for (const r of batch.records) {
        await new Promise((resolve) => setTimeout(resolve, 30));
        await consumer.commit([{ topic: r.topic, partition: r.partition, offset: (r.offset + 1n).toString() }]);
      }
    },
  });
  releases.push(() => {
    free = true;
    consumer.resume(topic, [0]);
  });
  await waitFor('the target group has a member', () =>
    withKafkaAdmin(target, async (a) => ((await a.describeGroups([groupId]))[0]?.members.length ?? 0) > 0),
  { timeoutMs: 30_000 });
  const deps: CutoverDeps = { plan, audit, configStore: createFileConfigStore('/dev/null/unused'), triggers: createEmulatorTriggerControl(), kafka: { source, target } };
  return { deps, target, consumeFreely: () => releases.forEach((release) => release()) };
}

/** Poll verify as the state machine does (NotReadyError → again) until it settles. */
async function pollVerify(deps: CutoverDeps): Promise<{ ok: boolean; error?: Error; polls: number }> {
  for (let polls = 1; ; polls++) {
    try {
      await verify(deps);
      return { ok: true, polls };
    } catch (err) {
      if (!(err instanceof NotReadyError)) return { ok: false, error: err as Error, polls };
      await new Promise((r) => setTimeout(r, 400));
    }
  }
}

describe('verify: target lag falling, with a bounded wait', () => {
  it('fails with WaitTimeoutError when a target group has members but its lag does not fall', async () => {
    // Prepare
    const { deps } = await prepare();

    // Act
    const started = Date.now();
    const outcome = await pollVerify(deps);

    // Assess
    expect(outcome.ok).toBe(false);
    expect(outcome.error?.name).toBe('WaitTimeoutError');
    expect(outcome.error?.message).toMatch(/lag not falling \(25 → 25 → 25/);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('passes once the group consumes and its lag falls', async () => {
    // Prepare
    const { deps, consumeFreely } = await prepare();
    deps.plan.timeouts.verifySeconds = 30;

    // Act
    consumeFreely();
    const outcome = await pollVerify(deps);

    // Assess
    expect(outcome.error).toBeUndefined();
    expect(outcome.ok).toBe(true);
    const probes = (await deps.audit.list(deps.plan.cutoverId)).filter((r) => r.step === 'verify' && r.event === 'probe');
    expect(probes.length).toBeGreaterThanOrEqual(3);
  });
});
