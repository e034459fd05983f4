import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withKafkaProducer, type KafkaAdmin, type KafkaClient } from '../../../src/kafka';
import { createTestTopic, localKafkaClient, testKafkaClientKind, waitFor } from '../../support/helpers';

let kafka: KafkaClient;
let admin: KafkaAdmin;
const topics: string[] = [];

beforeAll(async () => {
  kafka = await localKafkaClient('source');
  admin = await kafka.admin();
});

afterAll(async () => {
  await admin?.deleteTopics(topics).catch(() => undefined);
  await admin?.close();
});

/** The reader's throw-away group: the `kbridge-reader-*` group whose member is assigned `topic`. */
async function readerGroupOf(topic: string): Promise<string | undefined> {
  const candidates = (await admin.listGroups()).map((g) => g.groupId).filter((g) => g.startsWith('kbridge-reader-'));
  if (candidates.length === 0) return undefined;
  const groups = await admin.describeGroups(candidates);
  return groups.find((g) => g.members.some((m) => m.assignment.some((a) => a.topic === topic)))?.groupId;
}

// The kafkajs adapter reads through a throw-away consumer group, which can rebalance under the read; the
// platformatic adapter fetches the partitions directly, without a group, so there is nothing to rejoin.
describe.skipIf(testKafkaClientKind() !== 'kafkajs')('KafkaClient.readRanges through a consumer group (kafkajs adapter)', () => {
  it('delivers each record once when its consumer rejoins mid-read (a member joins and leaves its group)', async () => {
    // Prepare
    const topic = await createTestTopic(kafka, 1, 'read-rejoin');
    topics.push(topic);
    const produce = (from: number, to: number): Promise<unknown> =>
      withKafkaProducer(kafka, (p) => p.send(topic, Array.from({ length: to - from }, (_, i) => ({ key: null, value: `v${from + i}` }))));
    await produce(0, 5);
    const seen: string[] = [];

    // Act
    // The range ends past what exists, so the read is still running when its group rebalances.
    const read = kafka.readRanges(topic, new Map([[0, { from: 0n, to: 10n }]]), (r) => seen.push(r.offset.toString()), { timeoutMs: 90_000 });
    read.catch(() => undefined);
    await waitFor('the first 5 records read', () => seen.length >= 5);
    const groupId = await waitFor('the reader group', () => readerGroupOf(topic));
    // A second member makes the group rebalance twice (join, leave); each time the reader rejoins and seeks.
    const intruder = kafka.consumer({ groupId, topics: [topic], fromBeginning: true, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 500 });
    let joined = false;
    await intruder.start({
      onAssigned: () => {
        joined = true;
      },
      onBatch: () => {},
    });
    await waitFor('the second member in the group', () => joined, { timeoutMs: 60_000 });
    await intruder.close();
    await produce(5, 10);
    await read;

    // Assess
    expect(seen).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  }, 120_000);
});
