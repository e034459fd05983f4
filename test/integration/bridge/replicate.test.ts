import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kafkaDeadLetterSink, type DeadLetterSink } from '../../../src/bridge/deadLetter';
import type { DeadLetterBody } from '../../../src/deadLetter/body';
import { translateOffset } from '../../../src/bridge/offsetMap';
import { readOffsetMap } from '../../../src/bridge/offsetMapStore';
import { partitionEnds } from '../../../src/bridge/read';
import { Bridge, bridgeGroupId, type BridgeSettings } from '../../../src/bridge/replicate';
import { ProducerFencedError, TopicMismatchError, WaitTimeoutError } from '../../../src/errors';
import type { SourceRecord } from '../../../src/event/types';
import type { KafkaAdmin, KafkaClient } from '../../../src/kafka';
import { uniqueName, waitFor } from '../../support/helpers';
import { batchOf, committedOffsets, createTopic, produce, readAll, sampleRecords, view } from './support';
import { connectClusters, disconnectClusters, type TestClusters } from './support';

let source: KafkaClient;
let target: KafkaClient;
let sourceAdmin: KafkaAdmin;
let targetAdmin: KafkaAdmin;
const bridges: Bridge[] = [];

let connected: TestClusters | undefined;

beforeAll(async () => {
  connected = await connectClusters();
  ({ source, target, sourceAdmin, targetAdmin } = connected);
});

afterAll(async () => {
  await Promise.all(bridges.map((b) => b.close()));
  await disconnectClusters(connected);
});

function newBridge(bridgeId: string, overrides: Partial<BridgeSettings> = {}, deadLetter?: DeadLetterSink, withSourceAdmin = true): Bridge {
  const bridge = new Bridge(
    { bridgeId, topicMapping: { kind: 'identity' }, provenanceHeaders: false, ...overrides },
    { target, sourceAdmin: withSourceAdmin ? sourceAdmin : undefined, deadLetter },
  );
  bridges.push(bridge);
  return bridge;
}

/** Create a source topic, fill it, and read it back as Lambda would deliver it. */
async function sourceTopicWith(partitions: number, perPartition: number): Promise<{ topic: string; records: Map<number, SourceRecord[]> }> {
  const topic = uniqueName('src');
  await createTopic(sourceAdmin, topic, partitions);
  await produce(source, topic, sampleRecords(partitions, perPartition));
  const ends = await partitionEnds(sourceAdmin, topic);
  const records = await readAll(source, topic, new Map([...ends].map(([p, e]) => [p, e.high])));
  return { topic, records };
}

/**
 * Everything on the target topic. EndTxn returns before the coordinator has written the commit markers, so
 * the last stable offset may still trail for a moment: read again until `atLeast` records are visible.
 */
async function targetRecords(topic: string, options: { readUncommitted?: boolean; atLeast?: number } = {}): Promise<Map<number, SourceRecord[]>> {
  return waitFor(`${options.atLeast ?? 0} records on ${topic}`, async () => {
    const ends = await partitionEnds(targetAdmin, topic);
    const read = await readAll(target, topic, new Map([...ends].map(([p, e]) => [p, e.high])), options);
    return allOf(read).length >= (options.atLeast ?? 0) ? read : undefined;
  }, { timeoutMs: 20_000, intervalMs: 250 });
}

/** The bridge's committed offset-map entries, read again until `atLeast` are visible (same marker lag). */
function mapEntries(bridgeId: string, atLeast: number): ReturnType<typeof readOffsetMap> {
  return waitFor(`${atLeast} offset-map entries of ${bridgeId}`, async () => {
    const entries = await readOffsetMap(target, targetAdmin, { bridgeId });
    return entries.length >= atLeast ? entries : undefined;
  }, { timeoutMs: 20_000, intervalMs: 250 });
}

const allOf = (m: Map<number, SourceRecord[]>): SourceRecord[] => [...m.values()].flat();

describe('bridge replication (real brokers)', () => {
  it('replicates a multi-partition topic with the same partition, order, key, value, headers and timestamp', async () => {
    // Prepare
    const { topic, records } = await sourceTopicWith(3, 40);
    const bridgeId = uniqueName('b');
    const bridge = newBridge(bridgeId);
    const all = allOf(records);

    // Act: two Lambda batches per partition
    const first = await bridge.replicateBatch(batchOf(all.filter((r) => r.offset < 25n)));
    const second = await bridge.replicateBatch(batchOf(all.filter((r) => r.offset >= 25n)));

    // Assess
    expect(first.failed).toEqual([]);
    expect(second.failed).toEqual([]);
    expect(first.replicated + second.replicated).toBe(120);
    const onTarget = await targetRecords(topic, { atLeast: 120 });
    for (const [p, rs] of records) {
      expect((onTarget.get(p) ?? []).map(view)).toEqual(rs.map(view));
    }
    const [targetShape] = await targetAdmin.describeTopics([topic]);
    expect(targetShape?.partitions).toHaveLength(3);
    const entries = await mapEntries(bridgeId, 6);
    expect(entries).toHaveLength(6);
  });

  it('skips a redelivered batch and writes only the new tail of an overlapping one', async () => {
    // Prepare
    const { topic, records } = await sourceTopicWith(2, 30);
    const bridge = newBridge(uniqueName('b'));
    const all = allOf(records);
    await bridge.replicateBatch(batchOf(all.filter((r) => r.offset < 20n)));

    // Act
    const redelivered = await bridge.replicateBatch(batchOf(all.filter((r) => r.offset < 20n)));
    const overlapping = await newBridge((bridge as unknown as { settings: BridgeSettings }).settings.bridgeId).replicateBatch(
      batchOf(all.filter((r) => r.offset >= 10n)),
    );

    // Assess
    expect(redelivered).toMatchObject({ replicated: 0, skippedDuplicate: 40, failed: [] });
    expect(overlapping).toMatchObject({ replicated: 20, skippedDuplicate: 20, failed: [] });
    const onTarget = await targetRecords(topic, { atLeast: 60 });
    for (const [p, rs] of records) expect((onTarget.get(p) ?? []).map(view)).toEqual(rs.map(view));
  });

  it('fences a zombie instance with the same transactional id; nothing is duplicated', async () => {
    // Prepare
    const { topic, records } = await sourceTopicWith(1, 30);
    const bridgeId = uniqueName('b');
    const zombie = newBridge(bridgeId);
    const successor = newBridge(bridgeId);
    const all = allOf(records);
    await zombie.replicateBatch(batchOf(all.filter((r) => r.offset < 10n)));
    await successor.replicateBatch(batchOf(all.filter((r) => r.offset < 20n)));

    // Act: the zombie still holds its (now fenced) producer
    const fenced = await zombie.replicateBatch(batchOf(all.filter((r) => r.offset >= 10n)));
    const retried = await zombie.replicateBatch(batchOf(all.filter((r) => r.offset >= 10n)));

    // Assess
    expect(fenced.failed[0]?.error).toBeInstanceOf(ProducerFencedError);
    expect(retried).toMatchObject({ replicated: 10, skippedDuplicate: 10, failed: [] });
    const onTarget = await targetRecords(topic, { atLeast: 30 });
    expect((onTarget.get(0) ?? []).map(view)).toEqual((records.get(0) ?? []).map(view));
  });

  it('shows read_committed consumers only committed data when a transaction aborts', async () => {
    // Prepare: a dead-letter sink that fails after the records were sent inside the transaction
    const { topic, records } = await sourceTopicWith(1, 10);
    const small = uniqueName('dst');
    await createTopic(targetAdmin, small, 1, { 'max.message.bytes': '4000' });
    const all = allOf(records).map((r) => ({ ...r, topic: small }));
    const big = { ...(all[5] as SourceRecord), value: new Uint8Array(10_000) };
    const withPoison = all.map((r) => (r.offset === 5n ? big : r));
    let failNext = true;
    const flaky: DeadLetterSink = {
      kind: 'kafka',
      async deliver() {
        if (failNext) {
          failNext = false;
          throw new Error('dead-letter destination unavailable');
        }
      },
    };
    const bridge = newBridge(uniqueName('b'), { transientRetries: 0 }, flaky, false);

    // Act
    const failed = await bridge.replicateBatch(batchOf(withPoison));
    const uncommittedView = await targetRecords(small, { readUncommitted: true, atLeast: 9 });
    // Offsets 0..8 hold the aborted records and 9 the abort marker: a read_committed reader must pass it.
    const committedView = await readAll(target, small, new Map([[0, 10n]]));
    const retried = await bridge.replicateBatch(batchOf(withPoison));

    // Assess
    expect(failed.failed).toHaveLength(1);
    expect(committedView.get(0)).toEqual([]);
    expect(uncommittedView.get(0)).toHaveLength(9);
    expect(retried).toMatchObject({ replicated: 9, deadLettered: 1, failed: [] });
    expect((await targetRecords(small, { atLeast: 9 })).get(0)?.map(view)).toEqual(all.filter((r) => r.offset !== 5n).map(view));
    expect(topic).not.toBe(small);
  });

  it('dead-letters a record larger than the target accepts, with reason, coordinates and payload; the rest proceeds', async () => {
    // Prepare
    const { topic, records } = await sourceTopicWith(1, 5);
    await createTopic(targetAdmin, topic, 1, { 'max.message.bytes': '3000' });
    const dlqTopic = uniqueName('dlq');
    const bridgeId = uniqueName('b');
    const bridge = newBridge(bridgeId, {}, kafkaDeadLetterSink({ topic: dlqTopic }));
    const all = allOf(records);
    const poison = { ...(all[2] as SourceRecord), value: new Uint8Array(5000).fill(7) };

    // Act
    const result = await bridge.replicateBatch(batchOf(all.map((r) => (r.offset === 2n ? poison : r))));

    // Assess
    expect(result).toMatchObject({ replicated: 4, deadLettered: 1, failed: [] });
    const letters: DeadLetterBody[] = [];
    await target.readRanges(dlqTopic, new Map([[0, { from: 0n, to: 1n }]]), (r) => letters.push(JSON.parse(String(r.value))));
    expect(letters[0]).toMatchObject({
      kbridge: 'dead-letter',
      v: 2,
      reason: 'record-too-large',
      source: { cluster: inject('clusters').source.bootstrapServers, topic, partition: 0, offset: '2' },
      destination: { kind: 'kafka', name: topic },
      truncated: false,
      value: Buffer.from(poison.value).toString('base64'),
      valueBytes: 5000,
    });
    const entries = await mapEntries(bridgeId, 1);
    expect(entries[0]?.deadLettered).toEqual([{ offset: 2n, reason: 'record-too-large' }]);
    expect(translateOffset(entries, topic, 0, 2n)).toMatchObject({ status: 'exact', targetOffset: 2n });
  });

  it('dead-letters a record the broker rejects (timestamp out of range) and replicates the others', async () => {
    // Prepare
    const { topic, records } = await sourceTopicWith(1, 6);
    await createTopic(targetAdmin, topic, 1, { 'message.timestamp.before.max.ms': '3600000' });
    const dlqTopic = uniqueName('dlq');
    const bridge = newBridge(uniqueName('b'), {}, kafkaDeadLetterSink({ topic: dlqTopic }));
    const all = allOf(records);
    const stale = { ...(all[3] as SourceRecord), timestamp: Date.now() - 2 * 86_400_000 };

    // Act
    const result = await bridge.replicateBatch(batchOf(all.map((r) => (r.offset === 3n ? stale : r))));

    // Assess
    expect(result).toMatchObject({ replicated: 5, deadLettered: 1, failed: [] });
    const letters: DeadLetterBody[] = [];
    await target.readRanges(dlqTopic, new Map([[0, { from: 0n, to: 1n }]]), (r) => letters.push(JSON.parse(String(r.value))));
    expect(letters[0]).toMatchObject({ reason: 'rejected-by-broker', source: { offset: '3' } });
    expect(letters[0]?.detail).toMatch(/INVALID_TIMESTAMP/);
    expect((await targetRecords(topic, { atLeast: 5 })).get(0)?.map(view)).toEqual(all.filter((r) => r.offset !== 3n).map(view));
  });

  it('refuses a target topic with a different partition count before writing anything', async () => {
    // Prepare
    const { topic, records } = await sourceTopicWith(3, 2);
    await createTopic(targetAdmin, topic, 2);
    const bridgeId = uniqueName('b');
    const bridge = newBridge(bridgeId);

    // Act
    const result = await bridge.replicateBatch(batchOf(allOf(records)));

    // Assess
    expect(result.failed).toHaveLength(3);
    const error = result.failed[0]?.error;
    expect(error).toBeInstanceOf(TopicMismatchError);
    expect(error?.message).toMatch(new RegExp(`"${topic}" has 2 partition\\(s\\) but source topic "${topic}" has 3`));
    const ends = await partitionEnds(targetAdmin, topic);
    expect([...ends.values()].every((e) => e.high === 0n)).toBe(true);
    expect(await readOffsetMap(target, targetAdmin, { bridgeId })).toEqual([]);
  });

  it('reads an offset-map entry committed after a transaction still open: waits for that one to end, or names where it waited', async () => {
    // Prepare: a private one-partition offset map. One bridge's batch replicated; before it, another writer's
    // transaction opened on the same partition (a batch in flight, or an instance that died mid-batch).
    const { topic, records } = await sourceTopicWith(1, 5);
    const offsetMapTopic = uniqueName('map');
    await createTopic(targetAdmin, offsetMapTopic, 1, { 'cleanup.policy': 'compact' });
    const open = await target.transactionalProducer({ transactionalId: uniqueName('open-tx') });
    const pending = await open.begin();
    await pending.send(offsetMapTopic, [{ key: 'in-flight', value: 'not an entry yet', partition: 0 }]);
    const bridgeId = uniqueName('b');
    await newBridge(bridgeId, { offsetMapTopic }).replicateBatch(batchOf(allOf(records)));

    // Act
    const timedOut = await readOffsetMap(target, targetAdmin, { bridgeId, topic: offsetMapTopic, timeoutMs: 1_500 }).catch((e: unknown) => e);
    const reading = readOffsetMap(target, targetAdmin, { bridgeId, topic: offsetMapTopic });
    await new Promise((r) => setTimeout(r, 500));
    await pending.abort();
    const entries = await reading;
    await open.close();

    // Assess: the last stable offset was held at the open transaction; the read to the high watermark waited.
    expect(timedOut).toBeInstanceOf(WaitTimeoutError);
    expect((timedOut as Error).message).toContain(`${offsetMapTopic}[0] at 0`);
    expect((timedOut as Error).message).toContain('an open transaction holds the last stable offset back');
    expect(entries.map((e) => [e.sourceTopic, e.firstSourceOffset, e.lastSourceOffset])).toEqual([[topic, 0n, 4n]]);
  });

  it('translates a committed source offset to the target offset of the same next record', async () => {
    // Prepare
    const { topic, records } = await sourceTopicWith(2, 20);
    const bridgeId = uniqueName('b');
    const bridge = newBridge(bridgeId);
    const all = allOf(records);
    for (const cut of [0n, 7n, 13n]) {
      await bridge.replicateBatch(batchOf(all.filter((r) => r.offset >= cut && r.offset < cut + (cut === 13n ? 7n : cut === 0n ? 7n : 6n))));
    }
    const onTarget = await targetRecords(topic, { atLeast: 40 });
    const entries = await mapEntries(bridgeId, 6);

    // Act + Assess: every committed offset lands on the record with the same key, or after the last one
    for (const [p, rs] of records) {
      for (const committed of [0n, 6n, 7n, 12n, 13n, 19n]) {
        const t = translateOffset(entries, topic, p, committed);
        expect(t.status).toBe('exact');
        const landed = onTarget.get(p)?.find((r) => r.offset === (t as { targetOffset: bigint }).targetOffset);
        expect(view(landed as SourceRecord)).toEqual(view(rs.find((r) => r.offset === committed) as SourceRecord));
      }
      const caughtUp = translateOffset(entries, topic, p, 20n);
      const lastOnTarget = onTarget.get(p)?.at(-1) as SourceRecord;
      expect(caughtUp).toMatchObject({ status: 'exact', targetOffset: lastOnTarget.offset + 1n });
    }
    const committedGroup = await committedOffsets(targetAdmin, bridgeGroupId(bridgeId), topic);
    expect([...committedGroup].sort(([a], [b]) => a - b).map(([, o]) => o)).toEqual(['20', '20']);
  });
});
