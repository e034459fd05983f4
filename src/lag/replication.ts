import { clampPosition, finishPartition } from './computeLag';
import type { LagReader } from './port';
import type { CommittedOffset, ReplicationLag, ReplicationPartitionLag } from './types';
import { DEFAULT_OFFSET_MAP_TOPIC } from '../bridge/offsetMap';
import { bridgeGroupId, repartitionCheckpointGroupId } from '../bridge/replicate';
import { ConfigError, describeError } from '../errors';

export interface ReplicationLagRequest {
  bridgeId: string;
  /** Source topics the bridge replicates. */
  sourceTopics: string[];
  /** Source topic → target topic (identity when absent). */
  topicMapping?: Record<string, string>;
  /**
   * Source topics the bridge repartitions by key (its `TOPIC_MAPPING.repartition`, as topic names). Their
   * checkpoint is not the bridge group's commit on the target topic-partition but one group per source
   * partition ({@link repartitionCheckpointGroupId}) committed on partition 0 of `offsetMapTopic`.
   */
  repartitioned?: readonly string[];
  /** The bridge's `OFFSET_MAP_TOPIC` (default `__kbridge_offset_map`): where repartitioned topics' checkpoints are committed. */
  offsetMapTopic?: string;
}

/**
 * Replication lag of the bridge per source partition: the source's last stable offset minus the next source
 * offset the bridge will write (its checkpoint on the target), and the time lag of the oldest unreplicated
 * source record. The checkpoint of a kept-partition topic is the commit of group `kbridge-bridge-<id>` on the
 * target topic-partition; that of a topic in `repartitioned` is the commit of group
 * `kbridge-bridge-<id>.repartition.<topic>.<partition>` on partition 0 of the offset-map topic. The same
 * clamping and marker rules as consumer lag apply ({@link clampPosition}, {@link finishPartition}).
 *
 * @example
 * ```ts
 * const lag = await computeReplicationLag(
 *   { source: sourceReader, progress: targetReader },
 *   { bridgeId: 'orders', sourceTopics: ['orders', 'clicks'], topicMapping: { clicks: 'clicks-v2' }, repartitioned: ['clicks'] },
 * );
 * ```
 */
export async function computeReplicationLag(
  readers: { source: LagReader; progress: Pick<LagReader, 'fetchCommittedOffsets'> },
  request: ReplicationLagRequest,
  options: { now?: () => number } = {},
): Promise<ReplicationLag> {
  const now = options.now ?? Date.now;
  const group = bridgeGroupId(request.bridgeId);
  const base = { bridgeId: request.bridgeId, sourceCluster: readers.source.cluster };
  const targetOf = (t: string): string => request.topicMapping?.[t] ?? t;
  const repartitioned = new Set(request.repartitioned ?? []);
  const keptTopics = request.sourceTopics.some((t) => !repartitioned.has(t));
  try {
    const [progress, offsets] = await Promise.all([
      keptTopics ? readers.progress.fetchCommittedOffsets([group]) : Promise.resolve(new Map<string, CommittedOffset[] | Error>()),
      readers.source.fetchPartitionOffsets([...request.sourceTopics].sort()),
    ]);
    const committed = progress.get(group);
    if (committed instanceof Error) throw committed;
    const byTarget = new Map((committed ?? []).map((c) => [`${c.topic}\u0000${c.partition}`, c.offset]));
    const checkpoints = await fetchRepartitionCheckpoints(
      readers.progress,
      request.bridgeId,
      offsets.partitions.filter((o) => repartitioned.has(o.topic)),
      request.offsetMapTopic ?? DEFAULT_OFFSET_MAP_TOPIC,
    );
    const rows = [
      ...offsets.partitions.map((o) => ({ topic: o.topic, partition: o.partition, offsets: o })),
      ...offsets.missingTopics.map((t) => ({ topic: t, partition: -1, offsets: undefined })),
    ]
      .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
      .map((r) => {
        const replicated = repartitioned.has(r.topic)
          ? (checkpoints.get(`${r.topic}\u0000${r.partition}`) ?? null)
          : (byTarget.get(`${targetOf(r.topic)}\u0000${r.partition}`) ?? null);
        return { ...r, replicated, position: clampPosition(replicated, r.offsets) };
      });
    const toFetch = rows.filter((r) => r.position.position !== null && r.offsets && r.position.position < r.offsets.lastStableOffset);
    const next = toFetch.length
      ? await readers.source.fetchNextRecords(
          toFetch.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.position.position as bigint, endOffset: r.offsets!.lastStableOffset })),
        )
      : [];
    const nextByKey = new Map(next.map((n) => [`${n.topic}\u0000${n.partition}`, n]));
    const atMs = now();
    const partitions: ReplicationPartitionLag[] = rows.map((r) => {
      const lag = finishPartition({
        topic: r.topic,
        partition: r.partition,
        committed: r.replicated,
        offsets: r.offsets,
        position: r.position,
        next: nextByKey.get(`${r.topic}\u0000${r.partition}`),
        nowMs: atMs,
        consumerId: null,
      });
      return {
        sourceTopic: r.topic,
        targetTopic: targetOf(r.topic),
        partition: r.partition,
        replicatedOffset: r.replicated,
        sourceEndOffset: lag.endOffset,
        sourceHighWatermark: lag.highWatermark,
        offsetLag: lag.offsetLag,
        timeLagMs: lag.timeLagMs,
        flags: lag.flags,
      };
    });
    let sumOffsetLag = 0n;
    let maxOffsetLag = 0n;
    let maxTimeLagMs: number | null = null;
    for (const p of partitions) {
      if (p.offsetLag !== null) {
        sumOffsetLag += p.offsetLag;
        if (p.offsetLag > maxOffsetLag) maxOffsetLag = p.offsetLag;
      }
      if (p.timeLagMs !== null) maxTimeLagMs = Math.max(maxTimeLagMs ?? 0, p.timeLagMs);
    }
    return { ...base, atMs, partitions, sumOffsetLag, maxOffsetLag, maxTimeLagMs };
  } catch (err) {
    return { ...base, atMs: now(), partitions: [], sumOffsetLag: 0n, maxOffsetLag: 0n, maxTimeLagMs: null, error: describeError(err) };
  }
}

/**
 * The checkpoints of repartitioned source partitions, keyed `topic\u0000partition`: each partition's own group,
 * read with one OffsetFetch per group (the reader runs them in parallel). A group with commits, but none on
 * partition 0 of the offset-map topic, means the monitor was told another offset-map topic than the bridge
 * uses: a ConfigError, never a silent "not replicated".
 */
async function fetchRepartitionCheckpoints(
  progress: Pick<LagReader, 'fetchCommittedOffsets'>,
  bridgeId: string,
  partitions: readonly { topic: string; partition: number }[],
  offsetMapTopic: string,
): Promise<Map<string, bigint | null>> {
  const out = new Map<string, bigint | null>();
  if (partitions.length === 0) return out;
  const groupOf = (p: { topic: string; partition: number }): string => repartitionCheckpointGroupId(bridgeId, p.topic, p.partition);
  const fetched = await progress.fetchCommittedOffsets(partitions.map(groupOf));
  for (const p of partitions) {
    const groupId = groupOf(p);
    const commits = fetched.get(groupId);
    if (commits instanceof Error) throw commits;
    const own = (commits ?? []).find((c) => c.topic === offsetMapTopic && c.partition === 0);
    const elsewhere = (commits ?? []).filter((c) => c.offset !== null && c !== own);
    if (!own && elsewhere.length > 0) {
      throw new ConfigError(
        `checkpoint group ${groupId} of repartitioned ${p.topic}[${p.partition}] has commits on ${elsewhere.map((c) => `${c.topic}[${c.partition}]`).join(', ')}, not on ${offsetMapTopic}[0]; set offsetMapTopic to the bridge's OFFSET_MAP_TOPIC`,
        { field: 'offsetMapTopic', group: groupId, topic: p.topic, partition: p.partition },
      );
    }
    out.set(`${p.topic}\u0000${p.partition}`, own?.offset ?? null);
  }
  return out;
}
