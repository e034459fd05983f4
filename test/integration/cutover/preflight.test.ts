import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMemoryAuditLog } from '../../../src/adapters/local/audit';
import { createFileConfigStore } from '../../../src/adapters/local/configStore';
import { createEmulatorTriggerControl } from '../../../src/adapters/local/triggerControl';
import { partitionEnds } from '../../../src/bridge/read';
import { Bridge } from '../../../src/bridge/replicate';
import type { CutoverDeps } from '../../../src/cutover/context';
import { parsePlan } from '../../../src/cutover/plan';
import { preflight } from '../../../src/cutover/steps/preflight';
import type { PreflightError } from '../../../src/errors';
import { uniqueName } from '../../support/helpers';
import { batchOf, connectClusters, createTopic, disconnectClusters, produce, readAll, sampleRecords, type TestClusters } from '../bridge/support';

let clusters: TestClusters | undefined;
let bridge: Bridge | undefined;
const sourceTopics: string[] = [];
const targetTopics: string[] = [];

beforeAll(async () => {
  clusters = await connectClusters();
});

afterAll(async () => {
  await bridge?.close();
  await clusters?.sourceAdmin.deleteTopics(sourceTopics).catch(() => undefined);
  await clusters?.targetAdmin.deleteTopics(targetTopics).catch(() => undefined);
  await disconnectClusters(clusters);
});

/** A source topic with records, its target topic, and everything replicated by `bridge`. */
async function replicatedTopic(b: Bridge, topic: string, targetTopic: string, partitions: { source: number; target: number }): Promise<void> {
  const { source, sourceAdmin, targetAdmin } = clusters!;
  sourceTopics.push(topic);
  targetTopics.push(targetTopic);
  await createTopic(sourceAdmin, topic, partitions.source);
  await createTopic(targetAdmin, targetTopic, partitions.target);
  await produce(source, topic, sampleRecords(partitions.source, 5));
  const ends = await partitionEnds(sourceAdmin, topic);
  const records = await readAll(source, topic, new Map([...ends].map(([p, e]) => [p, e.high])));
  const result = await b.replicateBatch(batchOf([...records.values()].flat()));
  expect(result.failed).toEqual([]);
}

async function depsFor(bridgeId: string, topics: string[], topicMapping: Record<string, string>): Promise<CutoverDeps> {
  const { source, target } = inject('clusters');
  const dir = await mkdtemp(join(tmpdir(), 'kbridge-preflight-'));
  return {
    plan: parsePlan({
      cutoverId: uniqueName('preflight'),
      pattern: 'stop-drain-switch',
      source: { name: 'source', bootstrapServers: source.bootstrapServers },
      target: { name: 'target', bootstrapServers: target.bootstrapServers },
      bridge: { bridgeId, topicMapping },
      topics,
    }),
    configStore: createFileConfigStore(join(dir, 'client-config.json')),
    triggers: createEmulatorTriggerControl(),
    audit: createMemoryAuditLog(),
    kafka: { source: clusters!.source, target: clusters!.target },
  };
}

describe('cutover preflight with a topic the bridge repartitions by key (real brokers)', () => {
  it('refuses the plan before anything is fenced, naming the topic and what to do instead; a plan without it passes', async () => {
    // Prepare
    const bridgeId = uniqueName('pf');
    const rp = uniqueName('pf-rp');
    const kept = uniqueName('pf-kept');
    bridge = new Bridge(
      { bridgeId, topicMapping: { kind: 'map', map: { [rp]: `${rp}-v2`, [kept]: kept }, repartition: [rp] }, provenanceHeaders: false },
      { target: clusters!.target, sourceAdmin: clusters!.sourceAdmin },
    );
    await replicatedTopic(bridge, rp, `${rp}-v2`, { source: 4, target: 2 });
    await replicatedTopic(bridge, kept, kept, { source: 2, target: 2 });
    const refused = await depsFor(bridgeId, [rp, kept], { [rp]: `${rp}-v2` });
    const allowed = await depsFor(bridgeId, [kept], {});

    // Act
    const error = await preflight(refused).then(
      () => undefined,
      (err: unknown) => err as PreflightError,
    );
    const passed = await preflight(allowed);

    // Assess
    expect(error?.name).toBe('PreflightError');
    const problems = error?.context.problems as string[];
    // One problem, not the partition-count mismatch or "not replicated" lines the repartitioned topic would also cause.
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`topic ${rp} is repartitioned by key by bridge ${bridgeId} (checkpoint group kbridge-bridge-${bridgeId}.repartition.${rp}.0 and 3 more on the target)`);
    expect(problems[0]).toMatch(/would fail at translateAndSeedOffsets after fencing the producers; remove .* from "topics" .*functions\/bridge\/README\.md "Key-based repartitioning"/);
    expect(error?.context.repartitionedTopics).toEqual([rp]);
    expect((await refused.audit.list(refused.plan.cutoverId)).filter((r) => r.event === 'change')).toEqual([]);
    expect(passed).toMatchObject({ step: 'preflight', status: 'done', detail: { topics: { [kept]: { source: 2, target: 2 } } } });
  });
});
