import { clampPosition, finishPartition } from './computeLag';
import type { LagReader } from './port';
import type { ReplicationLag, ReplicationPartitionLag } from './types';
import { describeError } from '../errors';

/** The consumer group under which the bridge commits its progress on the target cluster. */
export function bridgeProgressGroup(bridgeId: string): string {
  return `kbridge-bridge-${bridgeId}`;
}

export interface ReplicationLagRequest {
  bridgeId: string;
  /** Source topics the bridge replicates. */
  sourceTopics: string[];
  /** Source topic → target topic (identity when absent); partition numbers are kept. */
  topicMapping?: Record<string, string>;
}

/**
 * Replication lag of the bridge per source partition: the source's last stable offset minus the next source
 * offset the bridge will write (its progress commit, group `kbridge-bridge-<id>` on the target, keyed by
 * target topic-partition), and the time lag of the oldest unreplicated source record. The same clamping and
 * marker rules as consumer lag apply ({@link clampPosition}, {@link finishPartition}).
 *
 * @example
 * ```ts
 * const lag = await computeReplicationLag(
 *   { source: sourceReader, progress: targetReader },
 *   { bridgeId: 'orders', sourceTopics: ['orders'] },
 * );
 * ```
 */
export async function computeReplicationLag(
  readers: { source: LagReader; progress: Pick<LagReader, 'fetchCommittedOffsets'> },
  request: ReplicationLagRequest,
  options: { now?: () => number } = {},
): Promise<ReplicationLag> {
  const now = options.now ?? Date.now;
  const group = bridgeProgressGroup(request.bridgeId);
  const base = { bridgeId: request.bridgeId, sourceCluster: readers.source.cluster };
  const targetOf = (t: string): string => request.topicMapping?.[t] ?? t;
  try {
    const [progress, offsets] = await Promise.all([
      readers.progress.fetchCommittedOffsets([group]),
      readers.source.fetchPartitionOffsets([...request.sourceTopics].sort()),
    ]);
    const committed = progress.get(group);
    if (committed instanceof Error) throw committed;
    const byTarget = new Map((committed ?? []).map((c) => [`${c.topic}\u0000${c.partition}`, c.offset]));
    const rows = [
      ...offsets.partitions.map((o) => ({ topic: o.topic, partition: o.partition, offsets: o })),
      ...offsets.missingTopics.map((t) => ({ topic: t, partition: -1, offsets: undefined })),
    ]
      .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
      .map((r) => {
        const replicated = byTarget.get(`${targetOf(r.topic)}\u0000${r.partition}`) ?? null;
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
