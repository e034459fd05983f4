import { withKafkaAdmin } from '../../kafka';
import { repartitionCheckpointGroupId } from '../../bridge/replicate';
import { describeTopic } from '../../bridge/topics';
import { describeError, KBridgeError, PreflightError } from '../../errors';
import { describeEntry } from '../../ports/clientConfigStore';
import { measureLag } from '../kafkaOps';
import { runStep, type CutoverDeps, type StepResult } from '../context';
import { targetTopicOf } from '../plan';

/**
 * Preflight: credentials work on both clusters, no topic is one the bridge repartitions by key (its groups'
 * offsets cannot be translated, so translateAndSeedOffsets would fail after the producers were fenced), every
 * target topic exists with the source's partition count, the bridge has replicated every partition and reports
 * no error, the target consumer groups are empty, every config entry exists and every mapping answers. Changes
 * nothing; all problems in one PreflightError.
 *
 * @example
 * ```ts
 * await preflight(deps); // throws PreflightError listing every problem
 * ```
 */
export function preflight(deps: CutoverDeps): Promise<StepResult> {
  return runStep('preflight', deps, async () => {
    const { plan } = deps;
    const problems: string[] = [];
    const shapes: Record<string, { source: number; target: number }> = {};
    const guard = async (what: string, fn: () => Promise<void>): Promise<void> => {
      try {
        await fn();
      } catch (err) {
        problems.push(`${what}: ${describeError(err)}`);
      }
    };
    await guard('source cluster', () =>
      withKafkaAdmin(deps.kafka.source, async (admin) => {
        for (const t of plan.topics) {
          const shape = await describeTopic(admin, t);
          if (!shape) problems.push(`source topic ${t} does not exist`);
          else shapes[t] = { source: shape.partitions, target: -1 };
        }
      }),
    );
    const repartitioned = new Set<string>();
    await guard('target cluster', () =>
      withKafkaAdmin(deps.kafka.target, async (admin) => {
        // The bridge checkpoints a repartitioned topic in one group per source partition: their presence is what
        // tells it apart (the plan's topicMapping holds names only).
        const listed = new Set((await admin.listGroups()).map((g) => g.groupId));
        for (const t of plan.topics) {
          const found = Array.from({ length: shapes[t]?.source ?? 0 }, (_, p) => repartitionCheckpointGroupId(plan.bridge.bridgeId, t, p)).filter((g) => listed.has(g));
          if (found.length === 0) continue;
          repartitioned.add(t);
          problems.push(
            `topic ${t} is repartitioned by key by bridge ${plan.bridge.bridgeId} (checkpoint group ${found[0]} and ${found.length - 1} more on the target): ` +
              `consumer group offsets cannot be translated for it, so this plan would fail at translateAndSeedOffsets after fencing the producers; ` +
              `remove ${t} from "topics" (and its groups from "consumerGroups") and move those consumers as functions/bridge/README.md "Key-based repartitioning" describes ` +
              `(once producers are stopped and the group and the bridge are caught up, start the target group at the latest offsets; otherwise reset it by time)`,
          );
        }
        for (const t of plan.topics.filter((x) => !repartitioned.has(x))) {
          const tt = targetTopicOf(plan, t);
          const shape = await describeTopic(admin, tt);
          if (!shape) problems.push(`target topic ${tt} does not exist`);
          else if (shapes[t]) {
            shapes[t].target = shape.partitions;
            if (shape.partitions !== shapes[t].source) problems.push(`target topic ${tt} has ${shape.partitions} partitions, source ${t} has ${shapes[t].source}`);
          }
        }
        const groups = plan.consumerGroups.map((g) => g.groupId);
        if (groups.length > 0) {
          const described = await admin.describeGroups(groups);
          for (const g of described) {
            if (g.members.length > 0) problems.push(`target group ${g.groupId} has ${g.members.length} active members (state ${g.state}); expected empty`);
          }
        }
      }),
    );
    await guard('bridge', async () => {
      const { replication } = await measureLag(plan, deps.kafka.source, 'source', deps.kafka.target);
      if (!replication) return;
      if (replication.error) problems.push(`bridge ${plan.bridge.bridgeId}: ${replication.error}`);
      for (const p of replication.partitions) {
        if (p.replicatedOffset === null && !repartitioned.has(p.sourceTopic)) problems.push(`bridge ${plan.bridge.bridgeId} has not replicated ${p.sourceTopic}[${p.partition}] yet`);
      }
    });
    for (const entry of plan.configEntries) {
      await guard(`config entry ${entry.name}`, async () => {
        if ((await deps.configStore.read(entry)) === undefined) problems.push(`config entry ${entry.name} (${describeEntry(entry)}) does not exist`);
      });
    }
    for (const g of plan.consumerGroups) {
      for (const ref of [...g.sourceTriggers, ...g.targetTriggers.filter((t) => 'id' in t)]) {
        const id = (ref as { id: string }).id;
        await guard(`mapping ${id}`, async () => {
          await deps.triggers.status(ref as { id: string });
        });
      }
    }
    if (problems.length > 0) {
      throw new PreflightError(`Preflight found ${problems.length} problem(s): ${problems.join('; ')}`, { problems, ...(repartitioned.size > 0 ? { repartitionedTopics: [...repartitioned] } : {}) });
    }
    // The approval state's timeout reads it from here (the execution input may omit the default).
    return { detail: { topics: shapes, approvalSeconds: plan.timeouts.approvalSeconds } };
  }).catch((err: unknown) => {
    if (err instanceof KBridgeError) throw err;
    throw new PreflightError(`Preflight failed: ${describeError(err)}`, { cause: err });
  });
}
