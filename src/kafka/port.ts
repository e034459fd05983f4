/**
 * The Kafka port: everything the project does with Kafka, in the project's own types.
 *
 * `src/kafka/` is the only place that imports a Kafka client library. Two adapters implement this port:
 * `kafkajs/` (kafkajs 2.2) and `platformatic/` (@platformatic/kafka 2.x); {@link createKafkaClient} picks one by
 * {@link KafkaClientKind}. No client-library type appears outside `src/kafka/`, and only an adapter may reach
 * into a library's internals.
 *
 * Conventions every adapter keeps:
 * - Offsets are decimal strings on the wire-shaped results and `bigint` where the caller computes with them.
 * - Every error an adapter lets out is a {@link KBridgeError} from `src/errors.ts` (mapped inside the adapter
 *   with `cluster`, `mechanism` and `operation` in its context). A broker error code keeps its protocol name in
 *   `context.type` (e.g. `MESSAGE_TOO_LARGE`) and its number in `context.code`; a fenced transactional producer
 *   is a `ProducerFencedError`.
 * - Headers are an ordered list: repeated and interleaved keys keep their order where the library allows it.
 * - Reads at read_committed never deliver a record of an aborted transaction, nor a control record.
 */

import type { KafkaConnectionInfo } from './types';

/** The client libraries behind the port. `KAFKA_CLIENT` picks one at the edge. */
export const KafkaClientKinds = ['kafkajs', 'platformatic'] as const;
export type KafkaClientKind = (typeof KafkaClientKinds)[number];

/** One Kafka header. Values are bytes; a string given to a producer is written as UTF-8. */
export interface KafkaHeader {
  key: string;
  value: Buffer;
}

/** A record to write. */
export interface OutgoingRecord {
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: readonly KafkaHeader[];
  /** CreateTime in epoch milliseconds as a decimal string; default: now. */
  timestamp?: string;
  /** Target partition; default: Kafka's default partitioner (murmur2 of the key, as the Java client). */
  partition?: number;
}

/** A record read from Kafka. */
export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: bigint;
  /** Epoch milliseconds. */
  timestamp: number;
  /** 'CREATE_TIME' or 'LOG_APPEND_TIME', from the record batch attributes. */
  timestampType: 'CREATE_TIME' | 'LOG_APPEND_TIME';
  key: Buffer | null;
  value: Buffer | null;
  headers: KafkaHeader[];
}

/** Where one produce request put a partition's records: consecutive offsets from `baseOffset`. */
export interface PartitionWrite {
  topic: string;
  partition: number;
  baseOffset: bigint;
  /** Records of this request on this partition (they hold `baseOffset .. baseOffset + count - 1`, in order). */
  count: number;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

// ---------------------------------------------------------------------------------------------------------
// Producers
// ---------------------------------------------------------------------------------------------------------

export interface ProducerOptions {
  /** Default true: exactly one copy per record across the client's own retries (needs acks all). */
  idempotent?: boolean;
  /** Default -1 (all in-sync replicas). 1 only with `idempotent: false` (benchmark fill producers). */
  acks?: -1 | 0 | 1;
}

/** A producer (idempotent unless asked otherwise). */
export interface KafkaProducer {
  /** Write records of one topic; resolves when acknowledged. Records of one partition keep their order. */
  send(topic: string, records: readonly OutgoingRecord[]): Promise<PartitionWrite[]>;
  close(): Promise<void>;
}

export interface TransactionalProducerOptions {
  /** Stable per writer: a new instance with the same id fences the old one. */
  transactionalId: string;
  /** Kafka transaction timeout; keep it above the Lambda timeout. Default 60 s. */
  transactionTimeoutMs?: number;
}

/**
 * A transactional writer. The first {@link TransactionalProducer.begin} runs InitProducerId, which fences
 * older instances with the same transactional id and completes (aborts or finishes) any transaction they left
 * open: a read done after it sees final data.
 */
export interface TransactionalProducer {
  readonly transactionalId: string;
  begin(): Promise<KafkaTransaction>;
  close(): Promise<void>;
}

/** An offset to commit for a group inside a transaction (TxnOffsetCommit). */
export interface TransactionOffset {
  topic: string;
  partition: number;
  /** The next offset the group reads, as a decimal string. */
  offset: string;
  /** Commit metadata (OffsetCommit's free-form string), or null. */
  metadata?: string | null;
}

/** One open transaction. Each method throws a KBridgeError; after a failure call {@link abort} (or close). */
export interface KafkaTransaction {
  /** Write records (acks all) inside the transaction. */
  send(topic: string, records: readonly OutgoingRecord[]): Promise<PartitionWrite[]>;
  /**
   * Commit offsets for *any* consumer group inside the transaction (AddOffsetsToTxn + TxnOffsetCommit), as
   * generation -1 with no member: the group need not have consumed anything through this client.
   */
  commitOffsets(groupId: string, offsets: readonly TransactionOffset[]): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
  /** False once committed or aborted. */
  readonly active: boolean;
}

// ---------------------------------------------------------------------------------------------------------
// Consumers
// ---------------------------------------------------------------------------------------------------------

export interface GroupConsumerOptions {
  groupId: string;
  topics: readonly string[];
  /** Where a partition without a committed offset starts: earliest (true) or latest (false). */
  fromBeginning: boolean;
  /** Default false: read_committed. */
  readUncommitted?: boolean;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  rebalanceTimeoutMs?: number;
  /** Fetch long-poll; short values make close() quick on a caught-up topic. Default 500 ms. */
  maxWaitTimeMs?: number;
}

/** One fetched batch of one partition. */
export interface FetchedBatch {
  topic: string;
  partition: number;
  /** Data records in offset order; may be empty when the fetch held only control records or aborted data. */
  records: ConsumedRecord[];
  /**
   * The offset after everything this fetch covered, control records and aborted data included: the consumer's
   * position once the batch is handled. Moves even when `records` is empty.
   */
  nextOffset: bigint;
}

export interface GroupConsumerHandlers {
  /** After every (re)join, with this member's whole assignment. Seek or pause here. */
  onAssigned?(assignment: readonly TopicPartition[]): void;
  /**
   * Each fetched batch, one partition at a time, awaited before the next fetch result of that partition is
   * delivered. Offsets are never committed automatically.
   */
  onBatch(batch: FetchedBatch): Promise<void> | void;
  /** Each fetch response (for a poll counter). */
  onFetch?(): void;
  /** The consumer failed; `restarting` says whether it rejoins on its own. */
  onCrash?(error: Error, restarting: boolean): void;
}

/** A consumer-group member. Offsets are committed only by {@link GroupConsumer.commit}. */
export interface GroupConsumer {
  /** Connect, subscribe and start fetching; resolves once running (the join completes asynchronously). */
  start(handlers: GroupConsumerHandlers): Promise<void>;
  pause(topic: string, partitions: readonly number[]): void;
  resume(topic: string, partitions: readonly number[]): void;
  /** Fetch this partition from `offset` next (only for an assigned partition). */
  seek(topic: string, partition: number, offset: bigint): void;
  /** Commit offsets as this member of the group (the next offset to read). */
  commit(offsets: ReadonlyArray<TopicPartition & { offset: string }>): Promise<void>;
  /** Leave the group and disconnect; waits for the batch in progress. */
  close(): Promise<void>;
}

/** A half-open offset range `[from, to)` of one partition. */
export interface OffsetRange {
  from: bigint;
  to: bigint;
}

export interface ReadRangesOptions {
  /** Default 60 s: a {@link WaitTimeoutError} naming the unfinished ranges. */
  timeoutMs?: number;
  /** Default false: read_committed. */
  readUncommitted?: boolean;
}

// ---------------------------------------------------------------------------------------------------------
// Admin
// ---------------------------------------------------------------------------------------------------------

export interface TopicSpec {
  topic: string;
  numPartitions?: number;
  replicationFactor?: number;
  configs?: Readonly<Record<string, string>>;
}

export interface TopicDescription {
  topic: string;
  partitions: Array<{ partition: number; leader: number; replicas: number[]; isr: number[] }>;
}

/** Log start offset (`low`) and end (`high`) of one partition, as decimal strings. */
export interface TopicPartitionOffsets {
  partition: number;
  low: string;
  /** The last stable offset at read_committed (the default), the high watermark at read_uncommitted. */
  high: string;
}

/** A group's committed offset; `offset` null when the group has no commit there. */
export interface CommittedPartitionOffset {
  topic: string;
  partition: number;
  offset: string | null;
  metadata: string | null;
}

export type GroupState = 'Stable' | 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Dead' | 'Unknown';

export interface GroupMember {
  memberId: string;
  clientId: string;
  host: string;
  /** Decoded for protocol type `consumer`; empty otherwise. */
  assignment: { topic: string; partitions: number[] }[];
}

export interface GroupDescription {
  groupId: string;
  /** Unknown groups come back as `Dead` with no members (Kafka 3.x and 4.x alike). */
  state: GroupState;
  protocolType: string;
  members: GroupMember[];
}

export interface ClusterDescription {
  clusterId: string;
  controller: number | null;
  brokers: Array<{ nodeId: number; host: string; port: number }>;
}

/** Offsets to commit for one topic of an empty group. Offsets are decimal strings: the next record to read. */
export interface TopicOffsets {
  topic: string;
  partitions: ReadonlyArray<{ partition: number; offset: string }>;
}

export interface CommitGroupOffsetsOptions {
  /** Validate (group empty, partitions exist) without committing anything. */
  dryRun?: boolean;
  /** Called once the group was found empty and every partition exists, right before the commit (not in a dry run). */
  beforeCommit?: () => Promise<void>;
  /** Attempts when the coordinator moves or is still loading the group. Default 8. */
  coordinatorAttempts?: number;
}

export interface CommitGroupOffsetsResult {
  groupId: string;
  /** Group state the coordinator reported before the commit (`Empty`, `Dead` for a group never seen). */
  state: string;
  /** Partitions committed (none in a dry run). */
  committed: Array<{ topic: string; partition: number; offset: string }>;
}

/** Log offsets of one partition, as three ListOffsets requests see them. */
export interface PartitionOffsets {
  topic: string;
  partition: number;
  /** ListOffsets timestamp -2 (earliest). */
  logStartOffset: bigint;
  /** ListOffsets -1 with isolation READ_UNCOMMITTED: the high watermark. */
  highWatermark: bigint;
  /** ListOffsets -1 with isolation READ_COMMITTED: the last stable offset. */
  lastStableOffset: bigint;
}

export interface NextRecordRequest {
  topic: string;
  partition: number;
  offset: bigint;
  /** Last stable offset: nothing at or beyond it is consumable yet. */
  endOffset: bigint;
}

/** The first consumable record at or after `fromOffset` (read_committed, below the stable end). */
export interface NextRecord {
  topic: string;
  partition: number;
  fromOffset: bigint;
  /** `null` when there is none below the stable end, `undefined` when it could not be determined. */
  recordOffset: bigint | null | undefined;
  timestampMs?: number;
}

/**
 * Admin operations in use. Obtain with {@link KafkaClient.admin}; {@link KafkaAdmin.close} when done
 * (or use `withAdmin`).
 */
export interface KafkaAdmin {
  listTopics(): Promise<string[]>;
  /**
   * Create topics and wait until every partition has a leader in the metadata. Resolves false when every topic
   * already existed; existing topics are not an error.
   */
  createTopics(topics: readonly TopicSpec[], options?: { timeoutMs?: number }): Promise<boolean>;
  deleteTopics(topics: readonly string[]): Promise<void>;
  /** Partitions and leaders; a topic that does not exist is absent from the result (never an error). */
  describeTopics(topics: readonly string[]): Promise<TopicDescription[]>;
  /**
   * Every config entry's current value (defaults included) per topic; absent topics are absent. With
   * `explicitOnly`, only the entries set on the topic itself (config source DYNAMIC_TOPIC_CONFIG), not broker or
   * static defaults: what `kbridge topics sync` and the bridge copy to a target topic they create.
   */
  describeTopicConfigs(topics: readonly string[], options?: { explicitOnly?: boolean }): Promise<Map<string, Record<string, string>>>;
  /** Log start and end of every partition; `high` is the LSO unless `readUncommitted`. */
  fetchTopicOffsets(topic: string, options?: { readUncommitted?: boolean }): Promise<TopicPartitionOffsets[]>;
  /** Per partition, the first offset whose timestamp is >= `timestampMs`, or the end when there is none. */
  fetchTopicOffsetsByTimestamp(topic: string, timestampMs: number): Promise<Array<{ partition: number; offset: string }>>;
  /** A group's committed offsets for `topics` (every partition of each, null where none), or all it has. */
  fetchCommittedOffsets(groupId: string, topics?: readonly string[]): Promise<CommittedPartitionOffset[]>;
  listGroups(): Promise<Array<{ groupId: string; protocolType: string }>>;
  describeGroups(groupIds: readonly string[]): Promise<GroupDescription[]>;
  deleteGroups(groupIds: readonly string[]): Promise<void>;
  describeCluster(): Promise<ClusterDescription>;
  /**
   * Commit offsets for a group with no active member in one OffsetCommit to its coordinator (generation -1,
   * as `kafka-consumer-groups --reset-offsets`), after checking that the group is empty
   * (`GroupNotEmptyError`) and that every partition exists (`TopicMismatchError`).
   */
  commitGroupOffsets(groupId: string, topics: readonly TopicOffsets[], options?: CommitGroupOffsetsOptions): Promise<CommitGroupOffsetsResult>;
  /** Log start, high watermark and LSO of every partition of `topics`, batched per leader. */
  fetchPartitionOffsets(topics: readonly string[]): Promise<{ partitions: PartitionOffsets[]; missingTopics: string[] }>;
  /** All committed offsets of each group, batched; a group that cannot be read maps to its error. */
  fetchGroupsCommittedOffsets(groupIds: readonly string[]): Promise<Map<string, CommittedPartitionOffset[] | Error>>;
  /** For each position, the first consumable record at or after `offset` and below `endOffset` (read_committed). */
  fetchNextRecords(positions: readonly NextRecordRequest[]): Promise<NextRecord[]>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------------------------------------

/**
 * A connection to one Kafka cluster through one client library. Cheap to create; each method opens its own
 * connections, which the returned object's `close()` releases.
 */
export interface KafkaClient {
  readonly kind: KafkaClientKind;
  /** The cluster, mechanism and bootstrap list, for messages and logs. */
  readonly info: KafkaConnectionInfo;
  /** A connected admin. */
  admin(): Promise<KafkaAdmin>;
  /** A connected producer (idempotent by default). */
  producer(options?: ProducerOptions): Promise<KafkaProducer>;
  /** A connected transactional producer; InitProducerId runs on the first `begin()`. */
  transactionalProducer(options: TransactionalProducerOptions): Promise<TransactionalProducer>;
  /** A consumer-group member; nothing connects before `start`. */
  consumer(options: GroupConsumerOptions): GroupConsumer;
  /**
   * Read records of some partitions of one topic, each within its range, in offset order per partition,
   * each record once. Done for a partition once the position reaches `to` (a control record at `to - 1` counts).
   * An error thrown by `onRecord` ends the read with that error.
   */
  readRanges(topic: string, ranges: ReadonlyMap<number, OffsetRange>, onRecord: (record: ConsumedRecord) => void, options?: ReadRangesOptions): Promise<void>;
}
