import { GroupNotEmptyError, KafkaRequestError, TopicMismatchError, type KBridgeError } from '../errors';
import type { CommitGroupOffsetsResult, TopicOffsets } from './port';

// The library-neutral half of `KafkaAdmin.commitGroupOffsets`: input checks, the per-partition error mapping
// and the messages. Each adapter sends DescribeGroups, Metadata and OffsetCommit its own way and calls these.

/** One partition's answer to OffsetCommit. */
export interface PartitionCommitAnswer {
  topic: string;
  partition: number;
  offset: string;
  /** The broker's error code; 0 when committed, -1 when the broker did not answer for this partition. */
  errorCode: number;
}

/** A broker error code's protocol name (`NOT_COORDINATOR`), whether a retry may help, and its text. */
export interface KafkaErrorCodeInfo {
  type: string;
  retriable: boolean;
  message: string;
}

/** OffsetCommit answers that mean someone is in the group: a commit from outside it is refused. */
const GROUP_ACTIVE = new Set(['UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'REBALANCE_IN_PROGRESS', 'FENCED_INSTANCE_ID', 'STALE_MEMBER_EPOCH']);
/** Answers that mean "ask the (new) coordinator again". */
export const COORDINATOR_MOVED = new Set([
  'NOT_COORDINATOR',
  'NOT_COORDINATOR_FOR_GROUP',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'GROUP_LOAD_IN_PROGRESS',
  'COORDINATOR_NOT_AVAILABLE',
  'GROUP_COORDINATOR_NOT_AVAILABLE',
]);
const UNKNOWN_TOPIC_OR_PARTITION = 3;
/** Kafka 4's group coordinator answers DescribeGroups for a group it never saw with GROUP_ID_NOT_FOUND (3.x: state Dead). */
export const GROUP_ID_NOT_FOUND = 69;
/** A partition the broker left out of its OffsetCommit answer was not committed. */
const NO_ANSWER: KafkaErrorCodeInfo = { type: 'NO_ANSWER', retriable: true, message: 'the broker did not answer for this partition' };
const DECIMAL = /^(0|[1-9][0-9]*)$/;

/**
 * The error for a set of OffsetCommit answers, or `undefined` when every partition was committed: the
 * taxonomy's class for the first failure, naming group, topic and partition, what was expected, and which
 * partitions were committed nonetheless. `errorOf` is the adapter's table of broker error codes.
 *
 * @example
 * ```ts
 * offsetCommitError('billing', 'target', [{ topic: 'orders', partition: 0, offset: '4', errorCode: 25 }], errorOf); // GroupNotEmptyError
 * ```
 */
export function offsetCommitError(
  groupId: string,
  cluster: string,
  answers: readonly PartitionCommitAnswer[],
  errorOf: (code: number) => KafkaErrorCodeInfo,
): KBridgeError | undefined {
  const failed = answers.filter((a) => a.errorCode !== 0);
  const first = failed[0];
  if (first === undefined) return undefined;
  const committed = answers.filter((a) => a.errorCode === 0).map((a) => `${a.topic}[${a.partition}]@${a.offset}`);
  const infoOf = (code: number): KafkaErrorCodeInfo => (code === -1 ? NO_ANSWER : errorOf(code));
  const { type, retriable, message } = infoOf(first.errorCode);
  const others =
    failed.length > 1
      ? ` (and ${failed.length - 1} more partition(s): ${failed
          .slice(1, 6)
          .map((a) => `${a.topic}[${a.partition}] ${infoOf(a.errorCode).type}`)
          .join(', ')}${failed.length > 6 ? ', …' : ''})`
      : '';
  const done = committed.length > 0 ? `; committed nonetheless: ${committed.join(', ')}` : '; nothing was committed';
  const head = `Cannot commit offset ${first.offset} for group "${groupId}" on ${first.topic}[${first.partition}] (cluster "${cluster}"): the broker answered ${type}${others}`;
  const fields = { cluster, group: groupId, topic: first.topic, partition: first.partition, offset: first.offset, type, code: first.errorCode, committed };
  if (GROUP_ACTIVE.has(type)) {
    return new GroupNotEmptyError(`${head}; the group must have no active members (a consumer joined it after the check)${done}`, fields);
  }
  if (first.errorCode === UNKNOWN_TOPIC_OR_PARTITION) {
    return new TopicMismatchError(`${head}; expected topic "${first.topic}" to exist with partition ${first.partition}${done}`, fields);
  }
  return new KafkaRequestError(`${head}: ${message}${done}`, { ...fields, retriable });
}

/**
 * Check and merge the input of `commitGroupOffsets`: a group id, topic names, partition numbers >= 0, decimal
 * offsets, one offset per partition (a repeat with the same offset is merged). Throws TypeError / RangeError
 * (programmer errors) naming the bad value and what was expected.
 *
 * @example
 * ```ts
 * const wanted = normaliseGroupOffsets('billing', [{ topic: 'orders', partitions: [{ partition: 0, offset: '42' }] }]);
 * ```
 */
export function normaliseGroupOffsets(groupId: string, topics: readonly TopicOffsets[]): TopicOffsets[] {
  if (groupId.length === 0) throw new TypeError('commitGroupOffsets: groupId is empty; expected a consumer group id');
  const byTopic = new Map<string, Map<number, string>>();
  for (const { topic, partitions } of topics) {
    if (topic.length === 0) throw new TypeError(`commitGroupOffsets(${groupId}): a topic name is empty`);
    const seen = byTopic.get(topic) ?? new Map<number, string>();
    byTopic.set(topic, seen);
    for (const { partition, offset } of partitions) {
      if (!Number.isInteger(partition) || partition < 0) throw new RangeError(`commitGroupOffsets(${groupId}): ${topic} partition ${partition} is not a partition number; expected an integer >= 0`);
      if (!DECIMAL.test(offset)) throw new RangeError(`commitGroupOffsets(${groupId}): offset "${offset}" for ${topic}[${partition}] is not an offset; expected a decimal string >= 0`);
      const earlier = seen.get(partition);
      if (earlier !== undefined && earlier !== offset) throw new RangeError(`commitGroupOffsets(${groupId}): ${topic}[${partition}] is given twice (${earlier} and ${offset}); expected one offset per partition`);
      seen.set(partition, offset);
    }
  }
  return [...byTopic]
    .filter(([, partitions]) => partitions.size > 0)
    .map(([topic, partitions]) => ({ topic, partitions: [...partitions].map(([partition, offset]) => ({ partition, offset })) }));
}

/** The refusal when the group has members: nothing was committed. */
export function groupNotEmptyError(groupId: string, cluster: string, members: number, state: string): GroupNotEmptyError {
  return new GroupNotEmptyError(
    `Cannot commit offsets for group "${groupId}" on cluster "${cluster}": it has ${members} active member(s) (state ${state}); the group must have no active members, stop its consumers first`,
    { cluster, group: groupId, members, state },
  );
}

/**
 * The refusal when partitions to commit do not exist, or `undefined` when all do. `existing` maps each topic
 * found to its partition ids; a topic absent from it does not exist (`topicError` says why when known).
 */
export function missingPartitionsError(
  groupId: string,
  cluster: string,
  wanted: readonly TopicOffsets[],
  existing: ReadonlyMap<string, ReadonlySet<number>>,
  topicError: (topic: string) => string,
): TopicMismatchError | undefined {
  for (const { topic, partitions } of wanted) {
    const found = existing.get(topic);
    const missing = partitions.filter((p) => !found?.has(p.partition));
    if (missing.length === 0) continue;
    const why = found === undefined ? `topic "${topic}" does not exist (${topicError(topic)})` : `topic "${topic}" has partitions 0-${found.size - 1}`;
    return new TopicMismatchError(
      `Cannot commit offsets for group "${groupId}" on ${topic}[${missing.map((p) => p.partition).join(', ')}] (cluster "${cluster}"): ${why}; expected the topic to exist with these partitions. Nothing was committed`,
      { cluster, group: groupId, topic, partition: (missing[0] as { partition: number }).partition },
    );
  }
  return undefined;
}

/**
 * Settle one OffsetCommit: the partitions the broker answered for (`answered`, offsets filled in from
 * `wanted`), a partition it left out counted as not committed. Answers `'moved'` when the coordinator moved
 * and `last` is false (ask the new one), throws the {@link offsetCommitError} of a failure, and otherwise
 * gives the result.
 *
 * @example
 * ```ts
 * const settled = settleOffsetCommit(groupId, cluster, state, wanted, answered, errorOf, last);
 * if (settled === 'moved') return MOVED;
 * ```
 */
export function settleOffsetCommit(
  groupId: string,
  cluster: string,
  state: string,
  wanted: readonly TopicOffsets[],
  answered: ReadonlyArray<{ topic: string; partition: number; errorCode: number }>,
  errorOf: (code: number) => KafkaErrorCodeInfo,
  last: boolean,
): CommitGroupOffsetsResult | 'moved' {
  const answers: PartitionCommitAnswer[] = [];
  for (const t of wanted) {
    for (const p of t.partitions) {
      const answer = answered.find((a) => a.topic === t.topic && a.partition === p.partition);
      answers.push({ topic: t.topic, partition: p.partition, offset: p.offset, errorCode: answer?.errorCode ?? -1 });
    }
  }
  if (!last && answers.some((a) => a.errorCode > 0 && COORDINATOR_MOVED.has(errorOf(a.errorCode).type))) return 'moved';
  const error = offsetCommitError(groupId, cluster, answers, errorOf);
  if (error) throw error;
  return { groupId, state, committed: answers.map(({ topic, partition, offset }) => ({ topic, partition, offset })) };
}
