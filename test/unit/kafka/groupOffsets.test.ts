import { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { GroupNotEmptyError, KafkaRequestError, TopicMismatchError } from '../../../src/errors';
import { commitGroupOffsets, offsetCommitError } from '../../../src/kafka/groupOffsets';

// Kafka protocol error codes as the broker sends them in OffsetCommit's per-partition answers.
const NONE = 0;
const UNKNOWN_TOPIC_OR_PARTITION = 3;
const ILLEGAL_GENERATION = 22;
const UNKNOWN_MEMBER_ID = 25;
const REBALANCE_IN_PROGRESS = 27;
const GROUP_AUTHORIZATION_FAILED = 30;
const NOT_COORDINATOR = 16;

describe('offsetCommitError', () => {
  it('answers undefined when every partition was committed', () => {
    expect(offsetCommitError('billing', 'target', [{ topic: 'orders', partition: 0, offset: '4', errorCode: NONE }])).toBeUndefined();
  });

  it.each([UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS])('maps code %i (the group has members) to a retriable GroupNotEmptyError', (code) => {
    // Act
    const error = offsetCommitError('billing', 'target', [
      { topic: 'orders', partition: 0, offset: '4', errorCode: code },
      { topic: 'orders', partition: 1, offset: '9', errorCode: code },
    ]);

    // Assess
    expect(error).toBeInstanceOf(GroupNotEmptyError);
    expect(error?.retriable).toBe(true);
    expect(error?.context).toMatchObject({ group: 'billing', cluster: 'target', topic: 'orders', partition: 0, offset: '4', code, committed: [] });
    expect(error?.message).toContain('group "billing" on orders[0]');
    expect(error?.message).toContain('and 1 more partition(s): orders[1]');
    expect(error?.message).toContain('the group must have no active members');
    expect(error?.message).toContain('nothing was committed');
  });

  it('maps UNKNOWN_TOPIC_OR_PARTITION to TopicMismatchError and lists what was committed nonetheless', () => {
    // Act
    const error = offsetCommitError('billing', 'target', [
      { topic: 'orders', partition: 0, offset: '4', errorCode: NONE },
      { topic: 'orders', partition: 7, offset: '2', errorCode: UNKNOWN_TOPIC_OR_PARTITION },
    ]);

    // Assess
    expect(error).toBeInstanceOf(TopicMismatchError);
    expect(error?.retriable).toBe(false);
    expect(error?.context).toMatchObject({ topic: 'orders', partition: 7, offset: '2', committed: ['orders[0]@4'] });
    expect(error?.message).toContain('expected topic "orders" to exist with partition 7');
    expect(error?.message).toContain('committed nonetheless: orders[0]@4');
  });

  it('maps other codes to KafkaRequestError with the broker\'s type and retriable flag', () => {
    // Act
    const denied = offsetCommitError('billing', 'target', [{ topic: 'orders', partition: 0, offset: '4', errorCode: GROUP_AUTHORIZATION_FAILED }]);
    const moved = offsetCommitError('billing', 'target', [{ topic: 'orders', partition: 0, offset: '4', errorCode: NOT_COORDINATOR }]);

    // Assess
    expect(denied).toBeInstanceOf(KafkaRequestError);
    expect(denied?.context).toMatchObject({ type: 'GROUP_AUTHORIZATION_FAILED', group: 'billing' });
    expect(denied?.retriable).toBe(false);
    expect(moved?.retriable).toBe(true);
  });
});

describe('commitGroupOffsets input', () => {
  // Never connected: bad input is refused before any request.
  const kafka = new Kafka({ brokers: ['127.0.0.1:1'], logLevel: 0 });

  it.each([
    [[{ topic: 'orders', partitions: [{ partition: 0, offset: '-1' }] }], 'offset "-1" for orders[0] is not an offset; expected a decimal string >= 0'],
    [[{ topic: 'orders', partitions: [{ partition: 0, offset: '1e3' }] }], 'expected a decimal string >= 0'],
    [[{ topic: 'orders', partitions: [{ partition: -1, offset: '3' }] }], 'orders partition -1 is not a partition number; expected an integer >= 0'],
    [[{ topic: 'orders', partitions: [{ partition: 0, offset: '3' }] }, { topic: 'orders', partitions: [{ partition: 0, offset: '4' }] }], 'orders[0] is given twice (3 and 4)'],
  ])('refuses %j naming what was wrong', async (topics, expected) => {
    await expect(commitGroupOffsets(kafka, 'billing', topics)).rejects.toThrow(expected);
  });

  it('refuses an empty group id', async () => {
    await expect(commitGroupOffsets(kafka, '', [])).rejects.toThrow('groupId is empty');
  });
});
