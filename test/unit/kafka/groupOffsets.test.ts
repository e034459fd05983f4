import { describe, expect, it } from 'vitest';
import { GroupNotEmptyError, KafkaRequestError, TopicMismatchError } from '../../../src/errors';
import { normaliseGroupOffsets, offsetCommitError as offsetCommitErrorOf, settleOffsetCommit } from '../../../src/kafka/groupOffsets';
import { kafkaErrorOf } from '../../../src/kafka/kafkajs/cluster';

const offsetCommitError = (groupId: string, cluster: string, answers: Parameters<typeof offsetCommitErrorOf>[2]) => offsetCommitErrorOf(groupId, cluster, answers, kafkaErrorOf);

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

describe('normaliseGroupOffsets', () => {
  it.each([
    [[{ topic: 'orders', partitions: [{ partition: 0, offset: '-1' }] }], 'offset "-1" for orders[0] is not an offset; expected a decimal string >= 0'],
    [[{ topic: 'orders', partitions: [{ partition: 0, offset: '1e3' }] }], 'expected a decimal string >= 0'],
    [[{ topic: 'orders', partitions: [{ partition: -1, offset: '3' }] }], 'orders partition -1 is not a partition number; expected an integer >= 0'],
    [[{ topic: 'orders', partitions: [{ partition: 0, offset: '3' }] }, { topic: 'orders', partitions: [{ partition: 0, offset: '4' }] }], 'orders[0] is given twice (3 and 4)'],
  ])('refuses %j naming what was wrong', (topics, expected) => {
    expect(() => normaliseGroupOffsets('billing', topics)).toThrow(expected);
  });

  it('refuses an empty group id', () => {
    expect(() => normaliseGroupOffsets('', [])).toThrow('groupId is empty');
  });

  it('merges a partition given twice with the same offset and drops topics without partitions', () => {
    // Act
    const wanted = normaliseGroupOffsets('billing', [
      { topic: 'orders', partitions: [{ partition: 0, offset: '3' }] },
      { topic: 'orders', partitions: [{ partition: 0, offset: '3' }, { partition: 1, offset: '5' }] },
      { topic: 'refunds', partitions: [] },
    ]);

    // Assess
    expect(wanted).toEqual([{ topic: 'orders', partitions: [{ partition: 0, offset: '3' }, { partition: 1, offset: '5' }] }]);
  });
});

describe('settleOffsetCommit', () => {
  const wanted = [{ topic: 'orders', partitions: [{ partition: 0, offset: '4' }, { partition: 1, offset: '9' }] }];

  it('gives the committed partitions when every answer is 0', () => {
    const settled = settleOffsetCommit('billing', 'target', 'Empty', wanted, [{ topic: 'orders', partition: 0, errorCode: NONE }, { topic: 'orders', partition: 1, errorCode: NONE }], kafkaErrorOf, false);

    expect(settled).toEqual({ groupId: 'billing', state: 'Empty', committed: [{ topic: 'orders', partition: 0, offset: '4' }, { topic: 'orders', partition: 1, offset: '9' }] });
  });

  it('asks again when the coordinator moved, unless it is the last attempt', () => {
    const answered = [{ topic: 'orders', partition: 0, errorCode: NOT_COORDINATOR }, { topic: 'orders', partition: 1, errorCode: NOT_COORDINATOR }];

    expect(settleOffsetCommit('billing', 'target', 'Empty', wanted, answered, kafkaErrorOf, false)).toBe('moved');
    expect(() => settleOffsetCommit('billing', 'target', 'Empty', wanted, answered, kafkaErrorOf, true)).toThrow(KafkaRequestError);
  });

  it('never reports a partition the broker left out as committed', () => {
    const act = (): unknown => settleOffsetCommit('billing', 'target', 'Empty', wanted, [{ topic: 'orders', partition: 0, errorCode: NONE }], kafkaErrorOf, false);

    expect(act).toThrow('NO_ANSWER');
    expect(act).toThrow('committed nonetheless: orders[0]@4');
  });
});
