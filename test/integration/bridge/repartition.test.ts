import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_OFFSET_MAP_TOPIC } from '../../../src/bridge/offsetMap';
import { readOffsetMap } from '../../../src/bridge/offsetMapStore';
import { partitionEnds } from '../../../src/bridge/read';
import { Bridge, repartitionCheckpointGroupId } from '../../../src/bridge/replicate';
import { translateGroupOffsets } from '../../../src/bridge/translate';
import { verifyReplication } from '../../../src/bridge/verify';
import { syncTopic } from '../../../src/bridge/topics';
import { TopicMismatchError } from '../../../src/errors';
import { withKafkaProducer, type KafkaAdmin, type KafkaClient, type OutgoingRecord } from '../../../src/kafka';
import { TOOL_JVM_OPTS, kafkaClasspath } from '../../../src/local/clusters/kafkaDist';
import { resolveLocalSettings } from '../../../src/local/clusters/settings';
import { uniqueName, waitFor } from '../../support/helpers';
import { startEsmRun, sumMetric, writeBridgeEsmConfig, type EsmRun } from './esmProcess';
import { batchOf, committedOffsets, connectClusters, createTopic, disconnectClusters, readAll, type TestClusters } from './support';

const SOURCE_PARTITIONS = 8;
const TARGET_PARTITIONS = 3;

let clusters: TestClusters | undefined;
let source: KafkaClient;
let target: KafkaClient;
let sourceAdmin: KafkaAdmin;
let targetAdmin: KafkaAdmin;
const runs: EsmRun[] = [];
const bridges: Bridge[] = [];
const sourceTopics: string[] = [];
const targetTopics: string[] = [];

beforeAll(async () => {
  clusters = await connectClusters();
  ({ source, target, sourceAdmin, targetAdmin } = clusters);
});

afterAll(async () => {
  for (const r of runs) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
  await Promise.all(bridges.map((b) => b.close()));
  await sourceAdmin?.deleteTopics(sourceTopics).catch(() => undefined);
  await targetAdmin?.deleteTopics(targetTopics).catch(() => undefined);
  await disconnectClusters(clusters);
});

/** An 8-partition source topic and a 3-partition target topic (the shape the issue names). */
async function topicPair(): Promise<{ topic: string; targetTopic: string }> {
  const topic = uniqueName('rp');
  const targetTopic = `${topic}-v2`;
  sourceTopics.push(topic);
  targetTopics.push(targetTopic);
  await createTopic(sourceAdmin, topic, SOURCE_PARTITIONS);
  await createTopic(targetAdmin, targetTopic, TARGET_PARTITIONS);
  return { topic, targetTopic };
}

interface Sent {
  key: string | null;
  seq: number;
  /** Source partition, for keyless records (keyed ones go where the client's default partitioner puts them). */
  partition?: number;
}

/**
 * Keyed records `key-<k>` with seq 0..perKey-1 through the client's default partitioner (as an application would
 * produce them), interleaved with keyless records sent to every source partition explicitly.
 */
async function produceKeyed(topic: string, keys: number, perKey: number, keylessPerPartition: number, seqBase = 0): Promise<Sent[]> {
  // Idempotent (withKafkaProducer's default): a retried send on a loaded broker must not write records twice.
  const sent: Sent[] = [];
  await withKafkaProducer(source, async (producer) => {
    for (let seq = seqBase; seq < seqBase + perKey; seq++) {
      const header = [{ key: 'seq', value: Buffer.from(String(seq)) }];
      const records: OutgoingRecord[] = Array.from({ length: keys }, (_, k) => ({ key: `key-${k}`, value: JSON.stringify({ key: `key-${k}`, seq }), headers: header }));
      sent.push(...Array.from({ length: keys }, (_, k) => ({ key: `key-${k}`, seq })));
      if (seq - seqBase < keylessPerPartition) {
        for (let partition = 0; partition < SOURCE_PARTITIONS; partition++) {
          records.push({ partition, key: null, value: JSON.stringify({ key: null, partition, seq }), headers: header });
          sent.push({ key: null, seq, partition });
        }
      }
      await producer.send(topic, records);
    }
  });
  return sent;
}

/** The partition Kafka's Java client (the real kafka-clients jar) picks for each key. */
async function javaPartitions(keys: readonly string[], partitions: number): Promise<Map<string, number>> {
  const dir = await mkdtemp(join(tmpdir(), 'kbridge-partitioner-'));
  const file = join(dir, 'KeyPartitions.java');
  await writeFile(
    file,
    `import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import java.nio.charset.StandardCharsets;
public class KeyPartitions {
  public static void main(String[] args) {
    int n = Integer.parseInt(args[0]);
    for (int i = 1; i < args.length; i++) System.out.println(BuiltInPartitioner.partitionForKey(args[i].getBytes(StandardCharsets.UTF_8), n));
  }
}
`,
  );
  const classpath = kafkaClasspath(resolveLocalSettings(process.env).cacheDir, inject('clusters').kafkaVersion);
  const { stdout } = await promisify(execFile)('java', [...TOOL_JVM_OPTS, '-cp', classpath, file, String(partitions), ...keys], { timeout: 60_000 });
  const lines = stdout.trim().split('\n').map(Number);
  expect(lines).toHaveLength(keys.length);
  return new Map(keys.map((k, i) => [k, lines[i] as number]));
}

interface Landed {
  partition: number;
  key: string | null;
  seq: number;
  sourcePartition?: number;
}

/** Every committed record on the target topic, in offset order per partition. */
async function readTarget(targetTopic: string, atLeast: number): Promise<Landed[]> {
  return waitFor(`${atLeast} records on ${targetTopic}`, async () => {
    const ends = await partitionEnds(targetAdmin, targetTopic);
    const landed: Landed[] = [];
    await target.readRanges(targetTopic, new Map([...ends].map(([p, e]) => [p, { from: 0n, to: e.high }])), (r) => {
      const v = JSON.parse(String(r.value)) as { key: string | null; seq: number; partition?: number };
      landed.push({ partition: r.partition, key: r.key === null ? null : r.key.toString(), seq: v.seq, ...(v.partition === undefined ? {} : { sourcePartition: v.partition }) });
    });
    return landed.length >= atLeast ? landed : undefined;
  }, { timeoutMs: 30_000, intervalMs: 250 });
}

/** The bridge's checkpoint of each source partition (its own group, committed on the offset-map topic). */
async function checkpoints(bridgeId: string, topic: string): Promise<string[]> {
  const out: string[] = [];
  for (let p = 0; p < SOURCE_PARTITIONS; p++) {
    const committed = await committedOffsets(targetAdmin, repartitionCheckpointGroupId(bridgeId, topic, p), DEFAULT_OFFSET_MAP_TOPIC);
    out.push(committed.get(0) ?? '-1');
  }
  return out;
}

function seqsBy<K>(landed: readonly Landed[], keyOf: (l: Landed) => K): Map<K, number[]> {
  const out = new Map<K, number[]>();
  for (const l of landed) {
    const list = out.get(keyOf(l));
    if (list) list.push(l.seq);
    else out.set(keyOf(l), [l.seq]);
  }
  return out;
}

describe('bridge key-based repartitioning, 8 → 3 partitions (real brokers)', () => {
  it('through `kbridge esm run`: keyed records land where the Java client puts them, per-key order kept, keyless by source partition, verify ok, translation unavailable', async () => {
    // Prepare
    const { source: sourceInfo, target: targetInfo } = inject('clusters');
    const { topic, targetTopic } = await topicPair();
    const bridgeId = uniqueName('rp');
    const sent = await produceKeyed(topic, 40, 12, 5);
    const sourceEnds = await partitionEnds(sourceAdmin, topic);
    const dir = await mkdtemp(join(tmpdir(), 'kbridge-repartition-'));
    const config = await writeBridgeEsmConfig(dir, {
      bridgeId,
      topic,
      consumerGroupId: uniqueName('rp-esm'),
      sourceServers: sourceInfo.bootstrapServers,
      targetServers: targetInfo.bootstrapServers,
      batchSize: 25,
      environment: { TOPIC_MAPPING: JSON.stringify({ map: { [topic]: targetTopic }, repartition: [topic] }) },
    });
    const java = await javaPartitions(Array.from({ length: 40 }, (_, k) => `key-${k}`), TARGET_PARTITIONS);

    // Act
    const run = startEsmRun(config);
    runs.push(run);
    await run.started;
    const expected = [...sourceEnds.entries()].sort(([a], [b]) => a - b).map(([, e]) => e.high.toString());
    await waitFor('every source partition checkpointed to its end', async () => JSON.stringify(await checkpoints(bridgeId, topic)) === JSON.stringify(expected), {
      timeoutMs: 60_000,
      intervalMs: 500,
    });
    run.child.kill('SIGTERM');
    const exit = await run.exited;
    const landed = await readTarget(targetTopic, sent.length);
    const report = await verifyReplication({ source, target, targetAdmin, topics: [topic], bridgeId });
    const group = uniqueName('rp-app');
    await sourceAdmin.commitGroupOffsets(group, [{ topic, partitions: [0, 1, 2, 3, 4, 5, 6, 7].map((partition) => ({ partition, offset: '3' })) }]);
    const translated = await translateGroupOffsets({ source, sourceAdmin, target, targetAdmin, groupId: group, bridgeId });
    const entries = await readOffsetMap(target, targetAdmin, { bridgeId });

    // Assess
    expect(exit).toBe(0);
    expect(sumMetric(run.stdout(), 'RecordsReplicated')).toBe(sent.length);
    // Nothing lost, nothing duplicated.
    expect(landed).toHaveLength(sent.length);
    // Keyed records on the Java client's partition for their key, each key in order 0..11.
    for (const l of landed.filter((x) => x.key !== null)) expect(l.partition, l.key as string).toBe(java.get(l.key as string));
    const byKey = seqsBy(landed.filter((x) => x.key !== null), (l) => l.key);
    expect(byKey.size).toBe(40);
    for (const seqs of byKey.values()) expect(seqs).toEqual(Array.from({ length: 12 }, (_, i) => i));
    // Keyless records: source partition p → target partition p mod 3, in their source order.
    const keyless = landed.filter((x) => x.key === null);
    expect(keyless).toHaveLength(5 * SOURCE_PARTITIONS);
    for (const l of keyless) expect(l.partition).toBe((l.sourcePartition as number) % TARGET_PARTITIONS);
    for (const seqs of seqsBy(keyless, (l) => l.sourcePartition).values()) expect(seqs).toEqual([0, 1, 2, 3, 4]);
    // Verify compares the whole topic and per-key order; no per-partition rows.
    expect(report.partitions).toEqual([]);
    expect(report.repartitioned).toHaveLength(1);
    expect(report.repartitioned[0]).toMatchObject({
      sourceTopic: topic,
      targetTopic,
      sourcePartitions: SOURCE_PARTITIONS,
      targetPartitions: TARGET_PARTITIONS,
      sourceCount: sent.length,
      targetCount: sent.length,
      keysCompared: 40,
      keysDifferent: 0,
      keylessRecords: 5 * SOURCE_PARTITIONS,
      misplaced: 0,
      match: true,
    });
    expect(report.ok).toBe(true);
    // Offsets of a repartitioned topic cannot be translated: said per partition, never a number.
    expect(translated).toHaveLength(SOURCE_PARTITIONS);
    for (const row of translated) {
      expect(row).toMatchObject({ status: 'unavailable', targetTopic });
      expect(row.targetOffset).toBeUndefined();
      expect(row.detail).toMatch(/repartitioned by key onto the 3 partition\(s\)/);
    }
    expect(entries.length).toBeGreaterThanOrEqual(SOURCE_PARTITIONS);
    for (const e of entries) expect(e).toMatchObject({ targetPartition: null, runs: [], repartitioned: { targetPartitions: TARGET_PARTITIONS } });
  }, 120_000);

  it('skips a redelivered batch and the already-committed head of an overlapping one, also from a fresh instance', async () => {
    // Prepare
    const { topic, targetTopic } = await topicPair();
    const bridgeId = uniqueName('rp');
    const mapping = { kind: 'map' as const, map: { [topic]: targetTopic }, repartition: [topic] };
    const newBridge = (): Bridge => {
      const b = new Bridge({ bridgeId, topicMapping: mapping, provenanceHeaders: false }, { target, sourceAdmin });
      bridges.push(b);
      return b;
    };
    const first = await produceKeyed(topic, 16, 4, 2);
    const firstEnds = await partitionEnds(sourceAdmin, topic);
    const firstRecords = [...(await readAll(source, topic, new Map([...firstEnds].map(([p, e]) => [p, e.high])))).values()].flat();
    const second = await produceKeyed(topic, 16, 3, 1, 4);
    const ends = await partitionEnds(sourceAdmin, topic);
    const allRecords = [...(await readAll(source, topic, new Map([...ends].map(([p, e]) => [p, e.high])))).values()].flat();

    // Act
    const a = newBridge();
    const initial = await a.replicateBatch(batchOf(firstRecords));
    const redelivered = await a.replicateBatch(batchOf(firstRecords));
    const fresh = newBridge();
    const overlapping = await fresh.replicateBatch(batchOf(allRecords));
    const again = await newBridge().replicateBatch(batchOf(allRecords));
    const landed = await readTarget(targetTopic, first.length + second.length);
    const entries = await readOffsetMap(target, targetAdmin, { bridgeId });
    const report = await verifyReplication({ source, target, targetAdmin, entries });
    // The last entry of a partition claiming one source record less: verify must notice the extra target record.
    const last = entries.reduce((m, e) => (e.sourcePartition === m.sourcePartition && e.lastSourceOffset > m.lastSourceOffset ? e : m));
    const shortened = entries.map((e) => (e === last ? { ...e, lastSourceOffset: e.lastSourceOffset - 1n } : e));
    const tampered = await verifyReplication({ source, target, targetAdmin, entries: shortened });

    // Assess
    expect(initial).toMatchObject({ replicated: first.length, skippedDuplicate: 0, failed: [] });
    expect(redelivered).toMatchObject({ replicated: 0, skippedDuplicate: first.length, failed: [] });
    expect(overlapping).toMatchObject({ replicated: second.length, skippedDuplicate: first.length, failed: [] });
    expect(again).toMatchObject({ replicated: 0, skippedDuplicate: first.length + second.length, failed: [] });
    expect(landed).toHaveLength(first.length + second.length);
    for (const seqs of seqsBy(landed.filter((x) => x.key !== null), (l) => l.key).values()) expect(seqs).toEqual([0, 1, 2, 3, 4, 5, 6]);
    for (const seqs of seqsBy(landed.filter((x) => x.key === null), (l) => l.sourcePartition).values()) expect(seqs).toEqual([0, 1, 4]);
    expect(report.repartitioned[0]).toMatchObject({ sourceCount: landed.length, targetCount: landed.length, keysDifferent: 0, match: true });
    expect(tampered.ok).toBe(false);
    expect(tampered.repartitioned[0]).toMatchObject({ sourceCount: landed.length - 1, targetCount: landed.length, match: false });
    expect(await checkpoints(bridgeId, topic)).toEqual([...ends.entries()].sort(([x], [y]) => x - y).map(([, e]) => e.high.toString()));
  }, 90_000);

  it('refuses to repartition into a target topic that does not exist (the partition count is the user\'s choice)', async () => {
    // Prepare
    const topic = uniqueName('rp');
    sourceTopics.push(topic);
    await createTopic(sourceAdmin, topic, 2);
    await produceKeyed(topic, 2, 1, 0);
    const ends = await partitionEnds(sourceAdmin, topic);
    const records = [...(await readAll(source, topic, new Map([...ends].map(([p, e]) => [p, e.high])))).values()].flat();
    const bridge = new Bridge({ bridgeId: uniqueName('rp'), topicMapping: { kind: 'prefix', prefix: 'missing.', repartition: 'all' }, provenanceHeaders: false }, { target, sourceAdmin });
    bridges.push(bridge);

    // Act
    const result = await bridge.replicateBatch(batchOf(records));

    // Assess
    expect(result.failed.length).toBeGreaterThan(0);
    expect(result.failed[0]?.error).toBeInstanceOf(TopicMismatchError);
    expect(result.failed[0]?.error?.message).toMatch(/Target topic "missing\.rp-.*" does not exist; TOPIC_MAPPING repartitions source topic/);
    expect(await targetAdmin.listTopics()).not.toContain(`missing.${topic}`);
  }, 60_000);

  it('`topics sync` accepts an existing target with another partition count only for a repartitioned topic, and creates none', async () => {
    // Prepare
    const { topic, targetTopic } = await topicPair();
    const sync = (repartition: boolean, to = targetTopic) => syncTopic({ source: sourceAdmin, target: targetAdmin, sourceTopic: topic, targetTopic: to, repartition });

    // Act
    const accepted = await sync(true);
    const refused = await sync(false).catch((err: unknown) => err);
    const missing = await sync(true, `${targetTopic}-none`).catch((err: unknown) => err);

    // Assess
    expect(accepted).toMatchObject({ action: 'exists', partitions: TARGET_PARTITIONS });
    expect(refused).toBeInstanceOf(TopicMismatchError);
    expect((refused as Error).message).toMatch(/has 3 partition\(s\) but source topic .* has 8.*"repartition": \[/);
    expect(missing).toBeInstanceOf(TopicMismatchError);
    expect((missing as Error).message).toMatch(/does not exist; TOPIC_MAPPING repartitions/);
    expect(await targetAdmin.listTopics()).not.toContain(`${targetTopic}-none`);
  }, 60_000);
});
