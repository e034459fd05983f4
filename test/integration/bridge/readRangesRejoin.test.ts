import { AssignerProtocol, type Admin, type Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readRanges } from '../../../src/bridge/read';
import { createKafka, createTopicsAndWait, withProducer } from '../../../src/kafka';
import { uniqueName, waitFor } from '../../support/helpers';

const clusters = inject('clusters');
let kafka: Kafka;
let admin: Admin;
const topics: string[] = [];

beforeAll(async () => {
  kafka = await createKafka({ name: 'source', bootstrapServers: clusters.source.bootstrapServers.split(','), auth: { type: 'none' } }, { logLevel: 'nothing' });
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  await admin?.deleteTopics({ topics }).catch(() => undefined);
  await admin?.disconnect();
});

/** The reader's throw-away group: the `kbridge-reader-*` group whose member subscribed to `topic`. */
async function readerGroupOf(topic: string): Promise<string | undefined> {
  const candidates = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith('kbridge-reader-'));
  if (candidates.length === 0) return undefined;
  const { groups } = await admin.describeGroups(candidates);
  return groups.find((g) => g.members.some((m) => AssignerProtocol.MemberMetadata.decode(m.memberMetadata)?.topics.includes(topic)))?.groupId;
}

describe('readRanges', () => {
  it('delivers each record once when its consumer rejoins mid-read (a member joins and leaves its group)', async () => {
    // Prepare
    const topic = uniqueName('read-rejoin');
    topics.push(topic);
    await createTopicsAndWait(admin, [{ topic, numPartitions: 1 }]);
    const produce = (from: number, to: number): Promise<unknown> =>
      withProducer(kafka, (p) => p.send({ topic, acks: -1, messages: Array.from({ length: to - from }, (_, i) => ({ value: `v${from + i}` })) }));
    await produce(0, 5);
    const seen: string[] = [];

    // Act
    // The range ends past what exists, so the read is still running when its group rebalances.
    const read = readRanges(kafka, topic, new Map([[0, { from: 0n, to: 10n }]]), (_p, m) => seen.push(m.offset), { timeoutMs: 90_000 });
    read.catch(() => undefined);
    await waitFor('the first 5 records read', () => seen.length >= 5);
    const groupId = await waitFor('the reader group', () => readerGroupOf(topic));
    // A second member makes the group rebalance twice (join, leave); each time the reader rejoins and seeks.
    const intruder = kafka.consumer({ groupId, allowAutoTopicCreation: false, sessionTimeout: 10_000, heartbeatInterval: 500 });
    let joined = false;
    intruder.on(intruder.events.GROUP_JOIN, () => {
      joined = true;
    });
    await intruder.connect();
    await intruder.subscribe({ topics: [topic] });
    await intruder.run({ autoCommit: false, eachBatch: async () => {} });
    await waitFor('the second member in the group', () => joined, { timeoutMs: 60_000 });
    await intruder.disconnect();
    await produce(5, 10);
    await read;

    // Assess
    expect(seen).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  }, 120_000);
});
