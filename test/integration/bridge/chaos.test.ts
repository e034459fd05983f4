import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { partitionEnds } from '../../../src/bridge/read';
import { bridgeGroupId } from '../../../src/bridge/replicate';
import { translateGroupOffsets } from '../../../src/bridge/translate';
import { verifyReplication } from '../../../src/bridge/verify';
import type { KafkaAdmin, KafkaClient } from '../../../src/kafka';
import { uniqueName } from '../../support/helpers';
import { startEsmRun, sumMetric, writeBridgeEsmConfig, type EsmRun } from './esmProcess';
import { connectClusters, createTopic, disconnectClusters, readSequences, startSequencedLoad, waitForCheckpoint, type TestClusters } from './support';

const PARTITIONS = 4;
const KILLS = 5;

let clusters: TestClusters | undefined;
let source: KafkaClient;
let target: KafkaClient;
let sourceAdmin: KafkaAdmin;
let targetAdmin: KafkaAdmin;
const runs: EsmRun[] = [];
const topics: string[] = [];

beforeAll(async () => {
  clusters = await connectClusters();
  ({ source, target, sourceAdmin, targetAdmin } = clusters);
});

afterAll(async () => {
  for (const r of runs) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
  await sourceAdmin?.deleteTopics(topics).catch(() => undefined);
  await targetAdmin?.deleteTopics(topics).catch(() => undefined);
  await disconnectClusters(clusters);
});

describe('bridge through `kbridge esm run` under SIGKILL (chaos)', () => {
  it('replicates exactly once and in order while the emulator process is killed five times', async () => {
    // Prepare
    const { source: sourceInfo, target: targetInfo } = inject('clusters');
    const topic = uniqueName('chaos');
    topics.push(topic);
    const bridgeId = uniqueName('chaos');
    await createTopic(sourceAdmin, topic, PARTITIONS);
    const dir = await mkdtemp(join(tmpdir(), 'kbridge-chaos-'));
    const config = await writeBridgeEsmConfig(dir, {
      bridgeId,
      topic,
      consumerGroupId: uniqueName('chaos-esm'),
      sourceServers: sourceInfo.bootstrapServers,
      targetServers: targetInfo.bootstrapServers,
      batchSize: 100,
    });
    const load = startSequencedLoad(source, topic, PARTITIONS, 1, 20);

    // Act
    const t0 = Date.now();
    const log = (what: string): void => console.info(`chaos +${Date.now() - t0} ms: ${what}`);
    const killDelays: number[] = [];
    for (let k = 0; k < KILLS; k++) {
      const run = startEsmRun(config);
      runs.push(run);
      await run.started;
      log(`incarnation ${k + 1} started`);
      const delay = 500 + Math.floor(Math.random() * 2500);
      killDelays.push(delay);
      await new Promise((r) => setTimeout(r, delay));
      run.child.kill('SIGKILL');
      await run.exited;
    }
    const produced = await load.stop();
    const last = startEsmRun(config);
    runs.push(last);
    await last.started;
    log('last incarnation started');
    await waitForCheckpoint(targetAdmin, bridgeGroupId(bridgeId), topic, produced, 60_000);
    log('replicated to the end');
    last.child.kill('SIGTERM');
    const lastExit = await last.exited;
    const targetEnds = await partitionEnds(targetAdmin, topic);
    const seqs = await readSequences(target, targetAdmin, topic);
    log('target read back');
    const uncommittedEnds = await partitionEnds(targetAdmin, topic, { readUncommitted: true });
    for (const [p, n] of produced.entries()) {
      if (seqs.get(p)?.length === n) continue;
      // Diagnostics for a failure: an open transaction shows as a last stable offset below the high watermark.
      console.info(`chaos: ${topic}[${p}] ${seqs.get(p)?.length} of ${n} readable; last stable offset ${targetEnds.get(p)?.high}, high watermark ${uncommittedEnds.get(p)?.high}; ${runs.map((r, i) => `incarnation ${i + 1} exit ${r.child.exitCode ?? r.child.signalCode}`).join(', ')}`);
      if (process.env.KBRIDGE_TEST_KEEP_TOPICS) topics.length = 0;
    }
    const report = await verifyReplication({ source, target, targetAdmin, topics: [topic], bridgeId });
    // A source consumer that stopped at a random record of each partition; one partition fully consumed.
    const group = uniqueName('chaos-app');
    const consumedUpTo = produced.map((n, p) => (p === 0 ? n : 1 + Math.floor(Math.random() * (n - 1))));
    await sourceAdmin.commitGroupOffsets(group, [{ topic, partitions: consumedUpTo.map((offset, partition) => ({ partition, offset: String(offset) })) }]);
    log('verified');
    const translated = await translateGroupOffsets({ source, sourceAdmin, target, targetAdmin, groupId: group, bridgeId });
    const landed = new Map<number, { seq: number | undefined; records: number }>();
    for (const row of translated) {
      const end = targetEnds.get(row.partition)?.high ?? 0n;
      const from = BigInt(row.targetOffset ?? '0');
      let first: number | undefined;
      let records = 0;
      await target.readRanges(topic, new Map([[row.partition, { from, to: end }]]), (r) => {
        first ??= Number(JSON.parse(String(r.value)).seq);
        records++;
      });
      landed.set(row.partition, { seq: first, records });
    }

    log('translated offsets checked');

    // Assess
    const total = produced.reduce((a, b) => a + b, 0);
    const skipped = runs.reduce((n, r) => n + sumMetric(r.stdout(), 'RecordsSkippedDuplicate'), 0);
    console.info(`chaos: ${total} records, kills after ${killDelays.join(', ')} ms, ${skipped} redelivered records skipped as duplicates`);
    expect(lastExit).toBe(0);
    expect(runs.slice(0, KILLS).every((r) => r.child.signalCode === 'SIGKILL')).toBe(true);
    expect(total).toBeGreaterThan(1000);
    // Zero missing, zero duplicated, order intact: every partition holds exactly 0..n-1 in order.
    for (const [p, n] of produced.entries()) expect(seqs.get(p)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(report.ok).toBe(true);
    expect(report.partitions.map((r) => [r.partition, r.sourceCount, r.targetCount])).toEqual(produced.map((n, p) => [p, n, n]));
    expect(translated.map((r) => r.status)).toEqual(produced.map(() => 'exact'));
    for (const [p, n] of produced.entries()) {
      const at = landed.get(p);
      // The translated offset is where the next unconsumed record sits (none left on the fully consumed partition).
      if (p === 0) expect(at).toEqual({ seq: undefined, records: 0 });
      else expect(at).toEqual({ seq: consumedUpTo[p], records: n - (consumedUpTo[p] as number) });
    }
  }, 180_000);
});
