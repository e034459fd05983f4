import type { NextRecordRequest } from '../kafka/port';
import type { CommittedOffset, GroupDescription, NextRecord, PartitionOffsets } from './types';

/**
 * What the lag core needs from a Kafka cluster. `kafkaLagReader.ts` implements it over the Kafka port's
 * admin (requests batched per broker by the adapter); unit tests implement it with plain data.
 */
export interface LagReader {
  /** A human name for the cluster, used in results and metric dimensions. */
  readonly cluster: string;
  /** Every group the cluster knows, with its protocol type (`consumer`, or `''` for offsets-only groups). */
  listGroups(): Promise<{ groupId: string; protocolType: string }[]>;
  /** State and members of each group (unknown groups come back as `Dead` with no members). */
  describeGroups(groupIds: string[]): Promise<GroupDescription[]>;
  /** All committed offsets of each group; a group that cannot be read maps to the error instead. */
  fetchCommittedOffsets(groupIds: string[]): Promise<Map<string, CommittedOffset[] | Error>>;
  /** Log start, high watermark and last stable offset of every partition of `topics`; absent topics in `missingTopics`. */
  fetchPartitionOffsets(topics: string[]): Promise<{ partitions: PartitionOffsets[]; missingTopics: string[] }>;
  /** For each position, the first consumable record at or after `offset` and below `endOffset` (read_committed). */
  fetchNextRecords(positions: NextRecordRequest[]): Promise<NextRecord[]>;
}

export type { NextRecordRequest } from '../kafka/port';

/** Which groups to measure: an explicit list, or every group filtered by include/exclude patterns. */
export interface GroupSelection {
  groups?: string[];
  include?: RegExp;
  exclude?: RegExp;
}
