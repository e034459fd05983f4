import { FetchIsolationLevels, type ClusterMetadata, type Consumer } from '@platformatic/kafka';

type FetchResponse = Awaited<ReturnType<Consumer['fetch']>>;
import { decodePartition, type DecodedPartition } from './records';
import { tpKey } from './raw';

export interface FetchPosition {
  topic: string;
  partition: number;
  offset: bigint;
}

export interface FetchOptions {
  readCommitted: boolean;
  maxWaitMs: number;
  /** Bytes asked per partition (the first batch of a partition comes whole whatever its size: KIP-74). */
  partitionMaxBytes: number;
  minBytes?: number;
}

/** A partition's share of one fetch answer: `undefined` in the map when the broker said nothing about it. */
export interface FetchedPartition extends DecodedPartition {
  topic: string;
  partition: number;
  fetchOffset: bigint;
  /** Set when the batches held anything at or after `fetchOffset` (records, control or aborted batches). */
  progressed: boolean;
}

/**
 * One Fetch request to broker `node` for `positions` (all led by it), decoded per partition with our
 * read_committed filtering ({@link decodePartition}). The consumer's topics must be tracked (it reads their ids
 * from its metadata); it never joins a group for this.
 *
 * @example
 * ```ts
 * const answers = await fetchFrom(consumer, leader, metadata, [{ topic, partition: 0, offset: 0n }], { readCommitted: true, maxWaitMs: 100, partitionMaxBytes: 1 << 20 });
 * ```
 */
export async function fetchFrom(consumer: Consumer, node: number, metadata: ClusterMetadata, positions: readonly FetchPosition[], options: FetchOptions): Promise<Map<string, FetchedPartition>> {
  const requested = new Map<string, FetchPosition>();
  const byTopic = new Map<string, { topicId: string; partitions: Array<{ partition: number; fetchOffset: bigint; partitionMaxBytes: number; currentLeaderEpoch: number; lastFetchedEpoch: number }> }>();
  const names = new Map<string, string>();
  for (const p of positions) {
    requested.set(tpKey(p.topic, p.partition), p);
    const id = metadata.topics.get(p.topic)?.id ?? p.topic;
    names.set(id, p.topic);
    let entry = byTopic.get(p.topic);
    if (entry === undefined) {
      entry = { topicId: id, partitions: [] };
      byTopic.set(p.topic, entry);
    }
    entry.partitions.push({ partition: p.partition, fetchOffset: p.offset, partitionMaxBytes: options.partitionMaxBytes, currentLeaderEpoch: -1, lastFetchedEpoch: -1 });
  }
  const response = (await consumer.fetch({
    node,
    topics: [...byTopic.values()],
    isolationLevel: options.readCommitted ? FetchIsolationLevels.READ_COMMITTED : FetchIsolationLevels.READ_UNCOMMITTED,
    maxWaitTime: options.maxWaitMs,
    minBytes: options.minBytes ?? 1,
    maxBytes: 64 * 1024 * 1024,
  })) as FetchResponse;
  const out = new Map<string, FetchedPartition>();
  for (const topicAnswer of response.responses) {
    const topic = names.get(topicAnswer.topicId) ?? topicAnswer.topicId;
    for (const answer of topicAnswer.partitions) {
      const key = tpKey(topic, answer.partitionIndex);
      const position = requested.get(key);
      // A partition lingering in an incremental fetch session may come back unasked: its data is stale.
      if (position === undefined) continue;
      const decoded = decodePartition(topic, answer.partitionIndex, answer.records ?? [], answer.abortedTransactions, position.offset, options.readCommitted);
      out.set(key, { ...decoded, topic, partition: answer.partitionIndex, fetchOffset: position.offset, progressed: decoded.nextOffset > position.offset });
    }
  }
  return out;
}
