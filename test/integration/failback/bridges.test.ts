import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseBridgeDirection } from '../../../src/bridge/direction';
import { ORIGIN_HEADER, originOf } from '../../../src/bridge/origin';
import { Bridge, bridgeGroupId } from '../../../src/bridge/replicate';
import type { SourceRecord } from '../../../src/event/types';
import { withKafkaAdmin, withKafkaProducer, type GroupConsumer, type KafkaClient } from '../../../src/kafka';
import { localKafkaClient, uniqueName, waitFor } from '../../support/helpers';

/**
 * Issue 14: the forward bridge (source → target) and the reverse bridge (target → source) run at the same
 * time, each fed by a consumer group as Lambda's trigger would. Producers write to both clusters; every record
 * must reach the other cluster exactly once and never come back.
 */

const PARTITIONS = 2;
let source: KafkaClient;
let target: KafkaClient;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  source = await localKafkaClient('source');
  target = await localKafkaClient('target');
});

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
});

/** A trigger: a consumer group on `from` handing each fetched batch to `bridge` (redelivery is safe: the checkpoint skips). */
async function trigger(from: KafkaClient, bootstrap: string, topic: string, bridge: Bridge): Promise<GroupConsumer> {
  const consumer = from.consumer({ groupId: uniqueName('fb-trigger'), topics: [topic], fromBeginning: true, sessionTimeoutMs: 6000, heartbeatIntervalMs: 500, maxWaitTimeMs: 100 });
  await consumer.start({
    onBatch: async (batch) => {
      if (batch.records.length === 0) return;
      const records: SourceRecord[] = batch.records.map((r) => ({ ...r, timestampType: 'CREATE_TIME' }));
      const result = await bridge.replicateBatch({ eventSource: 'SelfManagedKafka', bootstrapServers: [bootstrap], partitions: [{ topic: batch.topic, partition: batch.partition, records }] });
      if (result.failed.length > 0) throw result.failed[0]?.error ?? new Error('bridge failed');
      await consumer.commit([{ topic: batch.topic, partition: batch.partition, offset: batch.nextOffset.toString() }]);
    },
  });
  closers.push(() => consumer.close());
  return consumer;
}

async function produce(kafka: KafkaClient, topic: string, label: string, perPartition: number): Promise<void> {
  await withKafkaProducer(kafka, async (producer) => {
    for (let p = 0; p < PARTITIONS; p++) {
      await producer.send(
        topic,
        Array.from({ length: perPartition }, (_, i) => ({ key: `${label}-${p}-${i}`, value: JSON.stringify({ label, p, i }), headers: [{ key: 'trace', value: Buffer.from(label) }], partition: p })),
      );
    }
  });
}

/** Every committed record of `topic`, per partition, in offset order. */
async function readTopic(kafka: KafkaClient, topic: string): Promise<Map<number, Array<{ value: string; origin: string | undefined }>>> {
  const ends = await withKafkaAdmin(kafka, (admin) => admin.fetchTopicOffsets(topic));
  const ranges = new Map(ends.map((e) => [e.partition, { from: BigInt(e.low), to: BigInt(e.high) }]));
  const out = new Map<number, Array<{ value: string; origin: string | undefined }>>();
  await kafka.readRanges(topic, ranges, (r) => {
    out.set(r.partition, [...(out.get(r.partition) ?? []), { value: r.value?.toString() ?? '', origin: originOf(r) }]);
  });
  return out;
}

const count = (m: Map<number, unknown[]>): number => [...m.values()].reduce((n, v) => n + v.length, 0);

describe('forward and reverse bridge at once', () => {
  it('replicates each side once, never back, and moves both checkpoints past the skipped records', async () => {
    const clusters = inject('clusters');
    const sourceTopic = uniqueName('fb');
    const prefix = 'dr.';
    const targetTopic = `${prefix}${sourceTopic}`;
    await withKafkaAdmin(source, (admin) => admin.createTopics([{ topic: sourceTopic, numPartitions: PARTITIONS, replicationFactor: 1 }]));
    await withKafkaAdmin(target, (admin) => admin.createTopics([{ topic: targetTopic, numPartitions: PARTITIONS, replicationFactor: 1 }]));
    const mapping = JSON.stringify({ prefix });
    const fwd = parseBridgeDirection({ TOPIC_MAPPING: mapping, SOURCE_CLUSTER_NAME: 'onprem', TARGET_CLUSTER_NAME: 'msk' });
    const rev = parseBridgeDirection({ BRIDGE_DIRECTION: 'reverse', TOPIC_MAPPING: mapping, SOURCE_CLUSTER_NAME: 'msk', TARGET_CLUSTER_NAME: 'onprem' });
    const forwardId = uniqueName('fwd');
    const reverseId = uniqueName('rev');
    const forward = new Bridge({ bridgeId: forwardId, topicMapping: fwd.topicMapping, provenanceHeaders: false, sourceClusterName: 'onprem', targetClusterName: 'msk' }, { target });
    const reverse = new Bridge({ bridgeId: reverseId, topicMapping: rev.topicMapping, provenanceHeaders: false, sourceClusterName: 'msk', targetClusterName: 'onprem', onlyOwnRecords: true }, { target: source });
    closers.push(() => forward.close(), () => reverse.close());

    // Before the switch: producers on the source only.
    await produce(source, sourceTopic, 'old', 30);
    await trigger(source, clusters.source.bootstrapServers, sourceTopic, forward);
    await trigger(target, clusters.target.bootstrapServers, targetTopic, reverse);
    await waitFor('forward copies on the target', async () => count(await readTopic(target, targetTopic)) >= 60, { timeoutMs: 60_000, intervalMs: 500 });

    // After the switch: producers on the target; both bridges keep running.
    await produce(target, targetTopic, 'new', 20);
    await waitFor('reverse copies on the source', async () => count(await readTopic(source, sourceTopic)) >= 100, { timeoutMs: 60_000, intervalMs: 500 });
    // Both checkpoints reach the end of their source partitions: the skipped records were accounted for.
    const caughtUp = async (from: KafkaClient, topic: string, to: KafkaClient, checkpointTopic: string, bridgeId: string): Promise<boolean> => {
      const ends = await withKafkaAdmin(from, (admin) => admin.fetchTopicOffsets(topic));
      const committed = await withKafkaAdmin(to, (admin) => admin.fetchCommittedOffsets(bridgeGroupId(bridgeId), [checkpointTopic]));
      // The checkpoint is the next source offset after the last record; a transaction marker may follow it.
      return ends.every((e) => {
        const c = committed.find((x) => x.partition === e.partition)?.offset;
        return c !== null && c !== undefined && BigInt(c) >= BigInt(e.high) - 1n;
      });
    };
    await waitFor('forward checkpoint past the reverse copies', () => caughtUp(source, sourceTopic, target, targetTopic, forwardId), { timeoutMs: 60_000, intervalMs: 500 });
    await waitFor('reverse checkpoint past the forward copies', () => caughtUp(target, targetTopic, source, sourceTopic, reverseId), { timeoutMs: 60_000, intervalMs: 500 });
    // Give a loop the time to show itself.
    await new Promise((r) => setTimeout(r, 2000));

    const onSource = await readTopic(source, sourceTopic);
    const onTarget = await readTopic(target, targetTopic);
    for (let p = 0; p < PARTITIONS; p++) {
      const expected = [...Array.from({ length: 30 }, (_, i) => JSON.stringify({ label: 'old', p, i })), ...Array.from({ length: 20 }, (_, i) => JSON.stringify({ label: 'new', p, i }))];
      // Same records, once each, in the same order on both clusters.
      expect(onSource.get(p)?.map((r) => r.value)).toEqual(expected);
      expect(onTarget.get(p)?.map((r) => r.value)).toEqual(expected);
      // Origins: what the forward bridge wrote names the source, what the reverse bridge wrote names the target.
      expect(onTarget.get(p)?.map((r) => r.origin)).toEqual([...Array<string>(30).fill('onprem'), ...Array<undefined>(20).fill(undefined)]);
      expect(onSource.get(p)?.map((r) => r.origin)).toEqual([...Array<undefined>(30).fill(undefined), ...Array<string>(20).fill('msk')]);
    }
    expect(ORIGIN_HEADER).toBe('kbridge.source.origin');
  }, 180_000);
});

describe('reverse bridge and records that came from elsewhere', () => {
  it('never copies back what the forward bridge brought to the target, whatever origin it names (a third cluster, or a forward bridge named differently)', async () => {
    const clusters = inject('clusters');
    const topic = uniqueName('fb3');
    await withKafkaAdmin(source, (admin) => admin.createTopics([{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }]));
    await withKafkaAdmin(target, (admin) => admin.createTopics([{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }]));
    const forward = new Bridge({ bridgeId: uniqueName('fwd3'), topicMapping: { kind: 'identity' }, provenanceHeaders: false, sourceClusterName: 'onprem', targetClusterName: 'msk' }, { target });
    const reverse = new Bridge(
      { bridgeId: uniqueName('rev3'), topicMapping: parseBridgeDirection({ BRIDGE_DIRECTION: 'reverse', SOURCE_CLUSTER_NAME: 'msk', TARGET_CLUSTER_NAME: 'onprem' }).topicMapping, provenanceHeaders: false, sourceClusterName: 'msk', targetClusterName: 'onprem', onlyOwnRecords: true },
      { target: source },
    );
    closers.push(() => forward.close(), () => reverse.close());
    // On the source: records a bridge from a third cluster wrote, and records a forward bridge named "legacy" before
    // the cluster names were set; then records written on the target by producers.
    await withKafkaProducer(source, async (producer) => {
      for (let p = 0; p < PARTITIONS; p++) {
        await producer.send(topic, [
          ...Array.from({ length: 5 }, (_, i) => ({ key: `w-${i}`, value: JSON.stringify({ label: 'dc-west', p, i }), headers: [{ key: ORIGIN_HEADER, value: Buffer.from('dc-west') }], partition: p })),
          ...Array.from({ length: 5 }, (_, i) => ({ key: `l-${i}`, value: JSON.stringify({ label: 'legacy', p, i }), headers: [{ key: ORIGIN_HEADER, value: Buffer.from('legacy') }], partition: p })),
        ]);
      }
    });
    await trigger(source, clusters.source.bootstrapServers, topic, forward);
    await trigger(target, clusters.target.bootstrapServers, topic, reverse);
    await waitFor('forward copies on the target', async () => count(await readTopic(target, topic)) >= 20, { timeoutMs: 60_000, intervalMs: 500 });
    await produce(target, topic, 'new', 3);
    await waitFor('reverse copies on the source', async () => count(await readTopic(source, topic)) >= 26, { timeoutMs: 60_000, intervalMs: 500 });
    await new Promise((r) => setTimeout(r, 3000));

    const onSource = await readTopic(source, topic);
    const onTarget = await readTopic(target, topic);
    for (let p = 0; p < PARTITIONS; p++) {
      const expected = [
        ...Array.from({ length: 5 }, (_, i) => JSON.stringify({ label: 'dc-west', p, i })),
        ...Array.from({ length: 5 }, (_, i) => JSON.stringify({ label: 'legacy', p, i })),
        ...Array.from({ length: 3 }, (_, i) => JSON.stringify({ label: 'new', p, i })),
      ];
      expect(onSource.get(p)?.map((r) => r.value)).toEqual(expected);
      expect(onTarget.get(p)?.map((r) => r.value)).toEqual(expected);
      expect(onSource.get(p)?.map((r) => r.origin)).toEqual([...Array<string>(5).fill('dc-west'), ...Array<string>(5).fill('legacy'), ...Array<string>(3).fill('msk')]);
    }
  }, 180_000);
});
