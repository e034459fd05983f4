import type { GroupState } from '../kafka/port';

/**
 * Data model of the lag core. Offsets are `bigint` here and decimal strings in JSON ({@link toLagJson}).
 * Every rule that turns broker answers into these numbers is in `computeLag.ts` and `docs/lag-status.md`.
 */

/** Burrow-style group status, ordered by severity (see `status.ts`). */
export const LagStatus = {
  OK: 'OK',
  WARN: 'WARN',
  REWIND: 'REWIND',
  STALL: 'STALL',
  STOP: 'STOP',
  ERR: 'ERR',
} as const;
export type LagStatus = (typeof LagStatus)[keyof typeof LagStatus];

/** Why a partition's numbers are not plain `end - committed`. */
export const PartitionFlag = {
  /** The group has no committed offset here; `committedOffset` and `offsetLag` are null, never 0. */
  NoCommit: 'noCommit',
  /** Committed offset is below the log start: records were deleted before the group read them. Clamped. */
  DataLoss: 'dataLoss',
  /** Committed offset is above the log end (topic recreated, or truncated); clamped to the end. */
  AboveEnd: 'aboveEnd',
  /** The topic no longer exists; all numbers are null. */
  TopicDeleted: 'topicDeleted',
  /** An open transaction holds the last stable offset below the high watermark. */
  OpenTransaction: 'openTransaction',
  /** Only control markers / aborted records lie between the position and the stable end: lag counted as 0. */
  OnlyControlRecords: 'onlyControlRecords',
  /** The next record could not be fetched (too large, timeout): `timeLagMs` is null. */
  TimeLagUnknown: 'timeLagUnknown',
} as const;
export type PartitionFlag = (typeof PartitionFlag)[keyof typeof PartitionFlag];

/** What the Kafka port's admin returns for the lag operations: one definition, in `src/kafka/port.ts`. */
export type { PartitionOffsets, NextRecord, GroupState, GroupMember, GroupDescription } from '../kafka/port';

/** A committed offset as OffsetFetch returns it; `null` means "no commit" (the broker's -1). */
export interface CommittedOffset {
  topic: string;
  partition: number;
  offset: bigint | null;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  /** As committed by the group; null when there is no commit. */
  committedOffset: bigint | null;
  logStartOffset: bigint | null;
  highWatermark: bigint | null;
  /** The end used for lag: the last stable offset. */
  endOffset: bigint | null;
  /** endOffset − (clamped position, moved past control records); null when undefined (no commit, deleted topic). */
  offsetLag: bigint | null;
  /** now − timestamp of the next unconsumed record; 0 when caught up; null when unknown. */
  timeLagMs: number | null;
  /** Member currently assigned this partition, if any. */
  consumerId: string | null;
  flags: PartitionFlag[];
}

export interface TopicLagSummary {
  topic: string;
  sumOffsetLag: bigint;
  maxOffsetLag: bigint;
  maxTimeLagMs: number | null;
  partitions: number;
  partitionsWithoutCommit: number;
}

export interface GroupLag {
  groupId: string;
  cluster: string;
  state: GroupState;
  members: number;
  /** Sample time (ms since epoch) all time lags were measured against. */
  atMs: number;
  partitions: PartitionLag[];
  topics: TopicLagSummary[];
  sumOffsetLag: bigint;
  maxOffsetLag: bigint;
  maxTimeLagMs: number | null;
  /** Set when the group could not be read; `partitions` is then empty. */
  error?: string;
}

/** The result of one lag computation over a set of groups. */
export interface LagSnapshot {
  cluster: string;
  atMs: number;
  groups: GroupLag[];
  /** Milliseconds the measurement took. */
  durationMs: number;
}

/** Replication lag of the bridge for one source partition. */
export interface ReplicationPartitionLag {
  sourceTopic: string;
  targetTopic: string;
  partition: number;
  /** Next source offset the bridge will replicate (from its progress commit on the target); null if none. */
  replicatedOffset: bigint | null;
  sourceEndOffset: bigint | null;
  sourceHighWatermark: bigint | null;
  offsetLag: bigint | null;
  /** now − timestamp of the oldest unreplicated source record; 0 when caught up. */
  timeLagMs: number | null;
  flags: PartitionFlag[];
}

export interface ReplicationLag {
  bridgeId: string;
  sourceCluster: string;
  atMs: number;
  partitions: ReplicationPartitionLag[];
  sumOffsetLag: bigint;
  maxOffsetLag: bigint;
  maxTimeLagMs: number | null;
  error?: string;
}
