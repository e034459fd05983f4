import { readOffsetMap } from '../bridge/offsetMapStore';
import type { OffsetMapEntry } from '../bridge/offsetMap';
import { OffsetTranslationError } from '../errors';
import { withKafkaAdmin, type CommittedPartitionOffset, type TopicOffsets } from '../kafka';
import type { CutoverDeps } from './context';
import { peerBridgeOf, translateFailbackOffset } from './failback';
import { targetTopicOf } from './plan';

/**
 * The source offset a group should resume from after consuming a replicated target partition up to
 * `targetCommitted` (the next target offset it would read): one past the source offset of the last replicated
 * record below `targetCommitted`. `undefined` when the group consumed no replicated record of this partition
 * (records produced directly on the target have no map entry and no source twin).
 *
 * @example
 * ```ts
 * const entries = [{ ...e, runs: [{ sourceStart: 0n, targetStart: 100n, length: 10 }] }];
 * sourceOffsetAfterTarget(entries, 'orders', 0, 104n); // 4n: source 0-3 (target 100-103) were consumed
 * ```
 */
export function sourceOffsetAfterTarget(entries: readonly OffsetMapEntry[], sourceTopic: string, partition: number, targetCommitted: bigint): bigint | undefined {
  let next: bigint | undefined;
  for (const e of entries) {
    if (e.sourceTopic !== sourceTopic || e.sourcePartition !== partition) continue;
    for (const run of e.runs) {
      if (run.targetStart >= targetCommitted) continue;
      const lastTarget = run.targetStart + BigInt(run.length) - 1n;
      const consumed = lastTarget < targetCommitted ? lastTarget : targetCommitted - 1n;
      const after = run.sourceStart + (consumed - run.targetStart) + 1n;
      if (next === undefined || after > next) next = after;
    }
  }
  return next;
}

/**
 * With a peer bridge copying the target back into the source (the reverse bridge; on a failback plan the forward
 * bridge), the source offset a group resumes from after consuming the target partition up to `targetCommitted`:
 * the source twin of the first target record it has not consumed, through the bridge's map (`bridged`: records
 * copied from the source) and the peer's (`peer`: records written on the target and copied back), as
 * {@link translateFailbackOffset} does it. An offset neither map covers (the peer has not copied what the group
 * consumed) is an OffsetTranslationError naming the group, topic, partition and offset: never a guess.
 *
 * @example
 * ```ts
 * // bridged: source 0-9 → target 0-9; peer: target 11-12 → source 10-11
 * sourceOffsetThroughPeer({ groupId: 'billing', bridged, peer, sourceTopic: 'orders', targetTopic: 'orders', partition: 0, targetCommitted: 12n }); // 11n
 * ```
 */
export function sourceOffsetThroughPeer(input: {
  groupId: string;
  bridged: readonly OffsetMapEntry[];
  peer: readonly OffsetMapEntry[];
  sourceTopic: string;
  targetTopic: string;
  partition: number;
  targetCommitted: bigint;
}): bigint {
  const { groupId, sourceTopic, targetTopic, partition, targetCommitted } = input;
  try {
    return translateFailbackOffset({ forward: input.bridged, reverse: input.peer, oldTopic: sourceTopic, mskTopic: targetTopic, partition, committed: targetCommitted }).offset;
  } catch (err) {
    if (!(err instanceof OffsetTranslationError)) throw err;
    throw new OffsetTranslationError(
      `Rollback cannot carry group ${groupId} back to ${sourceTopic}-${partition}: it consumed ${targetTopic}-${partition} up to offset ${targetCommitted} on the target, and the offset maps give no exact source offset for it (${err.message})`,
      { group: groupId, topic: targetTopic, sourceTopic, partition, offset: targetCommitted.toString(), cause: err },
    );
  }
}

/** One partition moved forward on the source group. Offsets are decimal strings. */
export interface ReseededPartition {
  topic: string;
  partition: number;
  from: string;
  to: string;
  targetCommitted: string;
}

/**
 * Rollback after the target consumers ran: carry their progress back to the source group, so the re-enabled
 * source consumer neither re-reads what the target consumer already processed nor skips anything. Without a peer
 * bridge the target consumers can only have read bridged records (consumers-first) and the bridge's map says
 * where they stopped ({@link sourceOffsetAfterTarget}); with one, records producers wrote on the target were
 * copied to the source too, and both maps are needed ({@link sourceOffsetThroughPeer}; the rollback waits for the
 * peer to catch up first). Only moves offsets forward, in one OffsetCommit
 * (`KafkaAdmin.commitGroupOffsets`); the source group must be empty (its mapping still disabled: GroupNotEmptyError
 * otherwise) and the target group stopped (its committed offsets final). With `dryRun`, computes without committing.
 *
 * @example
 * ```ts
 * const moved = await reseedSourceFromTarget(deps, 'orders-billing'); // [{ topic: 'orders', partition: 0, from: '40', to: '57', ... }]
 * ```
 */
export async function reseedSourceFromTarget(deps: CutoverDeps, groupId: string, options: { dryRun?: boolean } = {}): Promise<ReseededPartition[]> {
  const { plan } = deps;
  const { entries, targetCommitted } = await withKafkaAdmin(deps.kafka.target, async (admin) => ({
    entries: await readOffsetMap(deps.kafka.target, admin, { bridgeId: plan.bridge.bridgeId, ...(plan.bridge.offsetMapTopic ? { topic: plan.bridge.offsetMapTopic } : {}) }),
    targetCommitted: await admin.fetchCommittedOffsets(groupId, plan.topics.map((t) => targetTopicOf(plan, t))),
  }));
  const peer = peerBridgeOf(plan);
  return withKafkaAdmin(deps.kafka.source, async (admin) => {
    const peerEntries = peer ? await readOffsetMap(deps.kafka.source, admin, { bridgeId: peer.bridgeId, ...(peer.offsetMapTopic ? { topic: peer.offsetMapTopic } : {}) }) : undefined;
    const sourceCommitted = new Map((await admin.fetchCommittedOffsets(groupId, plan.topics)).map((c) => [`${c.topic}:${c.partition}`, c.offset]));
    const moved: ReseededPartition[] = [];
    const commits: TopicOffsets[] = [];
    for (const topic of plan.topics) {
      const targetTopic = targetTopicOf(plan, topic);
      const partitions: Array<{ partition: number; offset: string }> = [];
      for (const p of targetCommitted.filter((t: CommittedPartitionOffset) => t.topic === targetTopic)) {
        if (p.offset === null) continue;
        const next = peerEntries
          ? sourceOffsetThroughPeer({ groupId, bridged: entries, peer: peerEntries, sourceTopic: topic, targetTopic, partition: p.partition, targetCommitted: BigInt(p.offset) })
          : sourceOffsetAfterTarget(entries, topic, p.partition, BigInt(p.offset));
        // "-1": no commit on the source, as OffsetFetch answers it.
        const from = sourceCommitted.get(`${topic}:${p.partition}`) ?? '-1';
        if (next === undefined || next <= BigInt(from)) continue;
        partitions.push({ partition: p.partition, offset: next.toString() });
        moved.push({ topic, partition: p.partition, from, to: next.toString(), targetCommitted: p.offset });
      }
      if (partitions.length > 0) commits.push({ topic, partitions });
    }
    // One OffsetCommit for every topic (refused with GroupNotEmptyError while the source group has members).
    if (commits.length > 0 && options.dryRun !== true) await admin.commitGroupOffsets(groupId, commits);
    return moved;
  });
}
