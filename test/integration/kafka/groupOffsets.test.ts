import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GroupNotEmptyError, TopicMismatchError } from '../../../src/errors';
import { withKafkaAdmin, type CommitGroupOffsetsOptions, type CommitGroupOffsetsResult, type GroupConsumer, type KafkaClient, type TopicOffsets } from '../../../src/kafka';
import { localKafkaClient, uniqueName, waitFor } from '../../support/helpers';

// Group timings low enough that a join takes well under a second (group.initial.rebalance.delay.ms is 0 locally).
const fastConsumer = { sessionTimeoutMs: 6000, heartbeatIntervalMs: 500, rebalanceTimeoutMs: 6000, maxWaitTimeMs: 100 };

let target: KafkaClient;
const consumers: GroupConsumer[] = [];

beforeAll(async () => {
  target = await localKafkaClient('target');
});

afterEach(async () => {
  await Promise.allSettled(consumers.splice(0).map((c) => c.close()));
});

function commitGroupOffsets(groupId: string, topics: readonly TopicOffsets[], options?: CommitGroupOffsetsOptions): Promise<CommitGroupOffsetsResult> {
  return withKafkaAdmin(target, (a) => a.commitGroupOffsets(groupId, topics, options));
}

async function createTopics(...partitions: number[]): Promise<string[]> {
  const topics = partitions.map((n) => ({ topic: uniqueName('goff'), numPartitions: n, replicationFactor: 1 }));
  await withKafkaAdmin(target, (a) => a.createTopics(topics));
  return topics.map((t) => t.topic);
}

/** Committed offsets per `topic[partition]`, `null` where the group has none. */
async function committed(groupId: string, topics: string[]): Promise<Record<string, string | null>> {
  const res = await withKafkaAdmin(target, (a) => a.fetchCommittedOffsets(groupId, topics));
  return Object.fromEntries(res.map((p) => [`${p.topic}[${p.partition}]`, p.offset]));
}

/** A live member of `groupId` (subscribed to `topic`), resolved once it joined. */
async function joinGroup(groupId: string, topic: string): Promise<GroupConsumer> {
  const consumer = target.consumer({ groupId, topics: [topic], fromBeginning: true, ...fastConsumer });
  consumers.push(consumer);
  let joined = false;
  await consumer.start({
    onAssigned: () => {
      joined = true;
    },
    onBatch: () => {},
  });
  await waitFor(`consumer joined ${groupId}`, () => joined, { timeoutMs: 30_000 });
  return consumer;
}

describe('commitGroupOffsets', () => {
  it('commits several topics for an empty group in one call, and again idempotently', async () => {
    // Prepare
    const [orders, refunds] = await createTopics(3, 1);
    const groupId = uniqueName('goff-app');
    const offsets = [
      { topic: orders as string, partitions: [{ partition: 0, offset: '5' }, { partition: 1, offset: '0' }, { partition: 2, offset: '9000000000' }] },
      { topic: refunds as string, partitions: [{ partition: 0, offset: '7' }] },
    ];

    // Act
    const first = await commitGroupOffsets(groupId, offsets);
    const again = await commitGroupOffsets(groupId, offsets);

    // Assess
    expect(first.state).toBe('Dead');
    expect(first.committed).toHaveLength(4);
    expect(again.state).toBe('Empty');
    expect(await committed(groupId, [orders as string, refunds as string])).toEqual({
      [`${orders}[0]`]: '5',
      [`${orders}[1]`]: '0',
      [`${orders}[2]`]: '9000000000',
      [`${refunds}[0]`]: '7',
    });
  });

  it('in a dry run checks the group and the partitions but commits nothing', async () => {
    // Prepare
    const [topic] = await createTopics(1);
    const groupId = uniqueName('goff-app');

    // Act
    const result = await commitGroupOffsets(groupId, [{ topic: topic as string, partitions: [{ partition: 0, offset: '3' }] }], { dryRun: true });

    // Assess
    expect(result.committed).toEqual([]);
    expect(await committed(groupId, [topic as string])).toEqual({ [`${topic}[0]`]: null });
  });

  it('refuses with GroupNotEmptyError while the group has an active member, and commits nothing', async () => {
    // Prepare
    // The member reads another topic: membership is per group, and its own commits must not blur the assertion.
    const [topic, memberTopic] = await createTopics(2, 1);
    const groupId = uniqueName('goff-app');
    await commitGroupOffsets(groupId, [{ topic: topic as string, partitions: [{ partition: 0, offset: '1' }] }]);
    await joinGroup(groupId, memberTopic as string);

    // Act
    const attempt = commitGroupOffsets(groupId, [{ topic: topic as string, partitions: [{ partition: 0, offset: '4' }, { partition: 1, offset: '4' }] }]);

    // Assess
    const error = await attempt.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GroupNotEmptyError);
    expect((error as GroupNotEmptyError).message).toContain(`group "${groupId}"`);
    expect((error as GroupNotEmptyError).message).toContain('must have no active members');
    expect((error as GroupNotEmptyError).context).toMatchObject({ group: groupId, cluster: 'target', members: 1 });
    expect((error as GroupNotEmptyError).retriable).toBe(true);
    expect(await committed(groupId, [topic as string])).toEqual({ [`${topic}[0]`]: '1', [`${topic}[1]`]: null });
  });

  it('maps the broker\'s per-partition refusal when a member joins between the check and the commit', async () => {
    // Prepare
    const [topic] = await createTopics(2);
    const groupId = uniqueName('goff-app');

    // Act: the member joins in beforeCommit, i.e. after the emptiness check passed.
    const error = await commitGroupOffsets(groupId, [{ topic: topic as string, partitions: [{ partition: 0, offset: '4' }, { partition: 1, offset: '6' }] }], {
      beforeCommit: async () => {
        await joinGroup(groupId, topic as string);
      },
    }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(GroupNotEmptyError);
    const { context, message } = error as GroupNotEmptyError;
    expect(['UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'REBALANCE_IN_PROGRESS']).toContain(context.type);
    expect(context).toMatchObject({ group: groupId, topic, cluster: 'target', committed: [] });
    expect([0, 1]).toContain(context.partition);
    expect(message).toContain(`on ${topic}[${context.partition}]`);
    expect(message).toContain('the group must have no active members');
    expect(message).toContain('nothing was committed');
  });

  it('refuses an unknown partition or topic with TopicMismatchError naming it, and commits nothing', async () => {
    // Prepare
    const [topic] = await createTopics(2);
    const missingTopic = uniqueName('goff-missing');
    const groupId = uniqueName('goff-app');

    // Act
    const badPartition = await commitGroupOffsets(groupId, [{ topic: topic as string, partitions: [{ partition: 0, offset: '2' }, { partition: 5, offset: '2' }] }]).catch((e: unknown) => e);
    const badTopic = await commitGroupOffsets(groupId, [
      { topic: topic as string, partitions: [{ partition: 0, offset: '2' }] },
      { topic: missingTopic, partitions: [{ partition: 0, offset: '2' }] },
    ]).catch((e: unknown) => e);

    // Assess
    expect(badPartition).toBeInstanceOf(TopicMismatchError);
    expect((badPartition as TopicMismatchError).context).toMatchObject({ group: groupId, topic, partition: 5 });
    expect((badPartition as TopicMismatchError).message).toContain(`${topic}[5]`);
    expect((badPartition as TopicMismatchError).message).toContain('has partitions 0-1');
    expect(badTopic).toBeInstanceOf(TopicMismatchError);
    expect((badTopic as TopicMismatchError).context).toMatchObject({ group: groupId, topic: missingTopic, partition: 0 });
    expect((badTopic as TopicMismatchError).message).toContain('does not exist');
    expect(await committed(groupId, [topic as string])).toEqual({ [`${topic}[0]`]: null, [`${topic}[1]`]: null });
  });
});
