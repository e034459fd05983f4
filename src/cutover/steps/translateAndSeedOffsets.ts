import { readOffsetMap } from '../../bridge/offsetMapStore';
import { withKafkaAdmin, type KafkaAdmin, type TopicOffsets } from '../../kafka';
import { runStep, type CutoverDeps, type StepContext, type StepResult } from '../context';
import { offsetTranslatorFor } from '../failback';
import { targetTopicOf } from '../plan';

/**
 * Translate each group's committed source offsets through the bridge's offset map (exact only: an offset the
 * bridge has not reached is an OffsetTranslationError) and commit them to the same group id on the target.
 * Refuses while the target group has members (GroupNotEmptyError: Kafka rejects offset commits from outside an
 * active group, and a running consumer would race us). Each group's offsets go out in one OffsetCommit
 * (`KafkaAdmin.commitGroupOffsets`), not one consumer join per topic. Partitions the group never committed on are left
 * uncommitted: the target mapping's starting position then applies, as it did on the source.
 *
 * @example
 * ```ts
 * const { detail } = await translateAndSeedOffsets(deps); // { groups: { orders: { 'orders:0': { source: '42', target: '40' } } } }
 * ```
 */
export function translateAndSeedOffsets(deps: CutoverDeps): Promise<StepResult> {
  return runStep('translateAndSeedOffsets', deps, async (ctx) => {
    const { plan } = deps;
    const committed = await withKafkaAdmin(deps.kafka.source, async (admin) => {
      const out = new Map<string, Array<{ topic: string; partition: number; offset: string | null }>>();
      for (const g of plan.consumerGroups) out.set(g.groupId, await admin.fetchCommittedOffsets(g.groupId, plan.topics));
      return out;
    });
    return withKafkaAdmin(deps.kafka.target, async (admin) => {
      const entries = await readOffsetMap(deps.kafka.target, admin, {
        bridgeId: plan.bridge.bridgeId,
        ...(plan.bridge.offsetMapTopic ? { topic: plan.bridge.offsetMapTopic } : {}),
      });
      // A failback plan translates through the reverse bridge's map and the forward bridge's (src/cutover/failback.ts).
      const translate = await offsetTranslatorFor(deps, entries);
      const groups: Record<string, Record<string, { source: string; target: string }>> = {};
      for (const g of plan.consumerGroups) {
        const seeded: Record<string, { source: string; target: string }> = {};
        const byTopic = new Map<string, Array<{ partition: number; offset: string }>>();
        for (const c of committed.get(g.groupId) ?? []) {
          if (c.offset === null) continue;
          const target = translate(c.topic, c.partition, BigInt(c.offset));
          seeded[`${c.topic}:${c.partition}`] = { source: c.offset, target: target.toString() };
          const tt = targetTopicOf(plan, c.topic);
          const partition = { partition: c.partition, offset: target.toString() };
          const list = byTopic.get(tt);
          if (list) list.push(partition);
          else byTopic.set(tt, [partition]);
        }
        const topics = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
        // One OffsetCommit for all the group's topics; it refuses while the target group has members, also in a
        // dry run, and the changes are audited only once the group was found empty.
        await admin.commitGroupOffsets(g.groupId, topics, {
          dryRun: ctx.dryRun,
          beforeCommit: () => recordChanges(ctx, admin, g.groupId, topics),
        });
        if (ctx.dryRun) await recordChanges(ctx, admin, g.groupId, topics);
        groups[g.groupId] = seeded;
      }
      return { detail: { groups } };
    });
  });
}

/** Audit one change per group and topic (from → to), as the rollback reads them, before the commit. */
async function recordChanges(ctx: StepContext, admin: KafkaAdmin, groupId: string, topics: readonly TopicOffsets[]): Promise<void> {
  if (topics.length === 0) return;
  const before = await admin.fetchCommittedOffsets(groupId, topics.map((t) => t.topic));
  for (const { topic, partitions } of topics) {
    await ctx.change({
      kind: 'offsets',
      target: `${groupId}@${topic}`,
      // "-1": no commit, as OffsetFetch answers it (the audit log's format).
      from: Object.fromEntries(before.filter((b) => b.topic === topic).map((p) => [p.partition, p.offset ?? '-1'])),
      to: Object.fromEntries(partitions.map((p) => [p.partition, p.offset])),
    });
  }
}
