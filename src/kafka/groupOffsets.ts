import { createRequire } from 'node:module';
import type { Kafka } from 'kafkajs';
import { GroupNotEmptyError, KafkaRequestError, KBridgeError, TopicMismatchError } from '../errors';
import { createKafkaCluster } from '../lag/kafkaLagReader';
import { isKafkaClientError, toKBridgeError } from './errors';
import { describeKafka } from './factory';

// kafkajs's request parsers throw the first partition's error code and drop which partition it was (and that the
// others were committed). We send the same versioned requests through the broker's connection with a parser that
// keeps every per-partition answer, as Kafka's own AdminClient reports them.
const require = createRequire(import.meta.url);
const apiKeys = require('kafkajs/src/protocol/requests/apiKeys') as { OffsetCommit: number; Metadata: number; DescribeGroups: number };
const { requests } = require('kafkajs/src/protocol/requests') as { requests: { OffsetCommit: unknown; Metadata: unknown; DescribeGroups: unknown } };
const { errorCodes } = require('kafkajs/src/protocol/error') as { errorCodes: Array<{ type: string; code: number; retriable: boolean; message: string }> };

/** Offsets to commit for one topic. Offsets are decimal strings: the next record the group reads. */
export interface TopicOffsets {
  topic: string;
  partitions: ReadonlyArray<{ partition: number; offset: string }>;
}

export interface CommitGroupOffsetsOptions {
  /** Validate (group empty, partitions exist) without committing anything. */
  dryRun?: boolean;
  /**
   * Called once the group was found empty and every partition exists, right before the commit (not in a dry
   * run): the place to audit the change before it is made.
   */
  beforeCommit?: () => Promise<void>;
  /** Attempts when the coordinator moves or is still loading the group (every request is safe to repeat). Default 8. */
  coordinatorAttempts?: number;
}

export interface CommitGroupOffsetsResult {
  groupId: string;
  /** Group state the coordinator reported before the commit (`Empty`, `Dead` for a group never seen). */
  state: string;
  /** Partitions committed (none in a dry run), offsets as decimal strings. */
  committed: Array<{ topic: string; partition: number; offset: string }>;
}

/** One partition's answer to OffsetCommit. */
export interface PartitionCommitAnswer {
  topic: string;
  partition: number;
  offset: string;
  errorCode: number;
}

interface Broker {
  nodeId: number;
  lookupRequest(apiKey: number, definition: unknown): (args: object) => ProtocolRequest;
  connectionPool: { send(request: ProtocolRequest): Promise<unknown> };
}
interface ProtocolRequest {
  request: unknown;
  response: { decode(raw: Buffer): Promise<unknown>; parse(data: unknown): Promise<unknown> };
}
interface DescribeGroupsAnswer {
  groups: Array<{ errorCode: number; groupId: string; state: string; members: unknown[] }>;
}
interface MetadataAnswer {
  topicMetadata: Array<{ topicErrorCode: number; topic: string; partitionMetadata: Array<{ partitionId: number }> }>;
}
interface OffsetCommitAnswer {
  responses: Array<{ topic: string; partitions: Array<{ partition: number; errorCode: number }> }>;
}

/** OffsetCommit answers that mean someone is in the group: a commit from outside it is refused. */
const GROUP_ACTIVE = new Set(['UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'REBALANCE_IN_PROGRESS', 'FENCED_INSTANCE_ID', 'STALE_MEMBER_EPOCH']);
/** Answers that mean "ask the (new) coordinator again". */
const COORDINATOR_MOVED = new Set(['NOT_COORDINATOR', 'NOT_COORDINATOR_FOR_GROUP', 'COORDINATOR_LOAD_IN_PROGRESS', 'GROUP_LOAD_IN_PROGRESS', 'COORDINATOR_NOT_AVAILABLE', 'GROUP_COORDINATOR_NOT_AVAILABLE']);
const UNKNOWN_TOPIC_OR_PARTITION = 3;
/** Kafka 4's group coordinator answers DescribeGroups for a group it never saw with GROUP_ID_NOT_FOUND (3.x: state Dead). */
const GROUP_ID_NOT_FOUND = 69;
const DECIMAL = /^(0|[1-9][0-9]*)$/;
/** What a request on the coordinator answers when it should be asked again (see `onCoordinator`). */
const MOVED = Symbol('coordinator moved');

function errorOf(code: number): { type: string; retriable: boolean; message: string } {
  return errorCodes.find((e) => e.code === code) ?? { type: `ERROR_CODE_${code}`, retriable: false, message: `broker error code ${code}` };
}

/**
 * Commit offsets for a consumer group that has no active member, in one OffsetCommit to its coordinator
 * (generation -1, empty member id: what Kafka's own `kafka-consumer-groups --reset-offsets` and AdminClient
 * `alterConsumerGroupOffsets` send). kafkajs' `admin.setOffsets` joins the group with a consumer to do the same:
 * seconds per topic instead of milliseconds for all of them.
 *
 * Before writing it checks, on the coordinator, that the group has no members ({@link GroupNotEmptyError}, as
 * Kafka refuses commits from outside an active group and a running consumer would race us) and that every
 * topic and partition exists ({@link TopicMismatchError}); nothing is written when either fails. The broker
 * answers per partition; an error there (a member joined in between, a topic deleted in between) names the group,
 * topic and partition and lists the partitions that were committed nonetheless (`committed` in the context).
 * Committing the same offsets again is harmless, so callers may retry.
 *
 * @example
 * ```ts
 * await commitGroupOffsets(target, 'billing', [
 *   { topic: 'orders', partitions: [{ partition: 0, offset: '42' }, { partition: 1, offset: '40' }] },
 *   { topic: 'refunds', partitions: [{ partition: 0, offset: '7' }] },
 * ]);
 * ```
 */
export async function commitGroupOffsets(kafka: Kafka, groupId: string, topics: readonly TopicOffsets[], options: CommitGroupOffsetsOptions = {}): Promise<CommitGroupOffsetsResult> {
  const wanted = normalise(groupId, topics);
  const { cluster: clusterName, mechanism } = describeKafka(kafka);
  const cluster = createKafkaCluster(kafka);
  const context = { cluster: clusterName, mechanism, group: groupId };
  try {
    await cluster.connect();
    // The coordinator can move or still be loading the group (a fresh or restarted broker, Kafka 4 answers
    // NOT_COORDINATOR then): ask again, with backoff. Every request here is safe to repeat.
    const attempts = Math.max(1, options.coordinatorAttempts ?? 8);
    let coordinator: Broker | undefined;
    const onCoordinator = async <T>(request: (broker: Broker, last: boolean) => Promise<T | typeof MOVED>): Promise<T> => {
      for (let attempt = 1; ; attempt++) {
        coordinator ??= (await cluster.findGroupCoordinator({ groupId })) as unknown as Broker;
        const result = await request(coordinator, attempt >= attempts);
        if (result !== MOVED) return result;
        coordinator = undefined;
        await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** (attempt - 1), 2_000)));
      }
    };

    const { state, members } = await onCoordinator((broker, last) => describeGroup(broker, groupId, clusterName, last));
    if (members > 0) {
      throw new GroupNotEmptyError(
        `Cannot commit offsets for group "${groupId}" on cluster "${clusterName}": it has ${members} active member(s) (state ${state}); the group must have no active members, stop its consumers first`,
        { cluster: clusterName, group: groupId, members, state },
      );
    }
    await onCoordinator((broker) => requirePartitions(broker, groupId, clusterName, wanted));
    if (options.dryRun === true || wanted.length === 0) return { groupId, state, committed: [] };
    await options.beforeCommit?.();

    return await onCoordinator(async (broker, last) => {
      const answers = await sendOffsetCommit(broker, groupId, wanted);
      if (!last && answers.some((a) => a.errorCode !== 0 && COORDINATOR_MOVED.has(errorOf(a.errorCode).type))) return MOVED;
      const error = offsetCommitError(groupId, clusterName, answers);
      if (error) throw error;
      return { groupId, state, committed: answers.map(({ topic, partition, offset }) => ({ topic, partition, offset })) };
    });
  } catch (err) {
    throw err instanceof KBridgeError || !isKafkaClientError(err) ? err : toKBridgeError(err, { ...context, operation: `commit offsets of group ${groupId}` });
  } finally {
    await cluster.disconnect().catch(() => undefined);
  }
}

/**
 * The error for a set of OffsetCommit answers, or `undefined` when every partition was committed: the
 * taxonomy's class for the first failure, naming group, topic and partition, what was expected, and which
 * partitions were committed nonetheless. Exported for unit tests of the mapping.
 *
 * @example
 * ```ts
 * offsetCommitError('billing', 'target', [{ topic: 'orders', partition: 0, offset: '4', errorCode: 25 }]); // GroupNotEmptyError
 * ```
 */
export function offsetCommitError(groupId: string, cluster: string, answers: readonly PartitionCommitAnswer[]): KBridgeError | undefined {
  const failed = answers.filter((a) => a.errorCode !== 0);
  const first = failed[0];
  if (first === undefined) return undefined;
  const committed = answers.filter((a) => a.errorCode === 0).map((a) => `${a.topic}[${a.partition}]@${a.offset}`);
  const { type, retriable, message } = errorOf(first.errorCode);
  const others = failed.length > 1 ? ` (and ${failed.length - 1} more partition(s): ${failed.slice(1, 6).map((a) => `${a.topic}[${a.partition}] ${errorOf(a.errorCode).type}`).join(', ')}${failed.length > 6 ? ', …' : ''})` : '';
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

function normalise(groupId: string, topics: readonly TopicOffsets[]): TopicOffsets[] {
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

/** Send a request the broker's way (versions, SASL, throttling) but keep the whole decoded answer. */
async function sendUnparsed<T>(broker: Broker, apiKey: number, definition: unknown, args: object): Promise<T> {
  const protocolRequest = broker.lookupRequest(apiKey, definition)(args);
  return (await broker.connectionPool.send({ ...protocolRequest, response: { ...protocolRequest.response, parse: async (data: unknown) => data } })) as T;
}

async function describeGroup(broker: Broker, groupId: string, cluster: string, last: boolean): Promise<{ state: string; members: number } | typeof MOVED> {
  const answer = await sendUnparsed<DescribeGroupsAnswer>(broker, apiKeys.DescribeGroups, requests.DescribeGroups, { groupIds: [groupId] });
  const group = answer.groups.find((g) => g.groupId === groupId);
  if (group === undefined || group.errorCode === GROUP_ID_NOT_FOUND) return { state: 'Dead', members: 0 };
  if (group.errorCode !== 0) {
    const { type, retriable, message } = errorOf(group.errorCode);
    if (!last && COORDINATOR_MOVED.has(type)) return MOVED;
    throw new KafkaRequestError(`Cannot describe group "${groupId}" on cluster "${cluster}" before committing its offsets: the broker answered ${type}: ${message}. Nothing was committed`, {
      cluster,
      group: groupId,
      type,
      code: group.errorCode,
      retriable,
    });
  }
  return { state: group.state, members: group.members.length };
}

async function requirePartitions(broker: Broker, groupId: string, cluster: string, wanted: readonly TopicOffsets[]): Promise<void> {
  if (wanted.length === 0) return;
  const metadata = await sendUnparsed<MetadataAnswer>(broker, apiKeys.Metadata, requests.Metadata, { topics: wanted.map((t) => t.topic), allowAutoTopicCreation: false });
  for (const { topic, partitions } of wanted) {
    const found = metadata.topicMetadata.find((t) => t.topic === topic);
    const existing = new Set(found?.topicErrorCode === 0 ? found.partitionMetadata.map((p) => p.partitionId) : []);
    const missing = partitions.filter((p) => !existing.has(p.partition));
    if (missing.length === 0) continue;
    const why = found === undefined || found.topicErrorCode !== 0 ? `topic "${topic}" does not exist (${found ? errorOf(found.topicErrorCode).type : 'not in the metadata answer'})` : `topic "${topic}" has partitions 0-${existing.size - 1}`;
    throw new TopicMismatchError(
      `Cannot commit offsets for group "${groupId}" on ${topic}[${missing.map((p) => p.partition).join(', ')}] (cluster "${cluster}"): ${why}; expected the topic to exist with these partitions. Nothing was committed`,
      { cluster, group: groupId, topic, partition: (missing[0] as { partition: number }).partition },
    );
  }
}

async function sendOffsetCommit(broker: Broker, groupId: string, wanted: readonly TopicOffsets[]): Promise<PartitionCommitAnswer[]> {
  const answer = await sendUnparsed<OffsetCommitAnswer>(broker, apiKeys.OffsetCommit, requests.OffsetCommit, {
    groupId,
    groupGenerationId: -1,
    memberId: '',
    topics: wanted.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => ({ partition: p.partition, offset: p.offset })) })),
  });
  const offsetOf = new Map(wanted.flatMap((t) => t.partitions.map((p) => [`${t.topic}\u0000${p.partition}`, p.offset] as const)));
  const answers = answer.responses.flatMap((r) => r.partitions.map((p) => ({ topic: r.topic, partition: p.partition, offset: offsetOf.get(`${r.topic}\u0000${p.partition}`) ?? '?', errorCode: p.errorCode })));
  // A partition the broker did not answer for was not committed: never report it as done.
  for (const [key, offset] of offsetOf) {
    const [topic, partition] = key.split('\u0000') as [string, string];
    if (!answers.some((a) => a.topic === topic && a.partition === Number(partition))) answers.push({ topic, partition: Number(partition), offset, errorCode: -1 });
  }
  return answers;
}
