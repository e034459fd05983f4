import { withKafkaAdmin, type KafkaClient } from '../kafka';
import { computeLag } from '../lag/computeLag';
import { KafkaLagReader } from '../lag/kafkaLagReader';
import { computeReplicationLag } from '../lag/replication';
import type { GroupLag, ReplicationLag } from '../lag/types';
import type { CutoverPlan } from './plan';

/**
 * Lag of the plan's groups on one cluster, and (optionally) the bridge's replication lag, in one connection.
 *
 * @example
 * ```ts
 * const { groups, replication } = await measureLag(plan, kafka.source, 'source', kafka.target);
 * ```
 */
export async function measureLag(
  plan: CutoverPlan,
  kafka: KafkaClient,
  cluster: 'source' | 'target',
  bridgeTarget?: KafkaClient,
): Promise<{ groups: GroupLag[]; replication?: ReplicationLag }> {
  const reader = await KafkaLagReader.connect(kafka, { cluster: plan[cluster].name });
  try {
    const snapshot = await computeLag(reader, { groups: plan.consumerGroups.map((g) => g.groupId) });
    if (!bridgeTarget) return { groups: snapshot.groups };
    const progress = await KafkaLagReader.connect(bridgeTarget, { cluster: plan.target.name });
    try {
      const replication = await computeReplicationLag(
        { source: reader, progress },
        { bridgeId: plan.bridge.bridgeId, sourceTopics: plan.topics, ...(plan.bridge.topicMapping ? { topicMapping: plan.bridge.topicMapping } : {}) },
      );
      return { groups: snapshot.groups, replication };
    } finally {
      await progress.close();
    }
  } finally {
    await reader.close();
  }
}

/**
 * High watermark of every partition of `topics`, keyed `topic:partition` (decimal strings).
 *
 * @example
 * ```ts
 * await endOffsets(kafka, ['orders']); // { 'orders:0': '120', 'orders:1': '98' }
 * ```
 */
export async function endOffsets(kafka: KafkaClient, topics: string[]): Promise<Record<string, string>> {
  return withKafkaAdmin(kafka, async (admin) => {
    const out: Record<string, string> = {};
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) out[`${topic}:${p.partition}`] = p.high;
    }
    return out;
  });
}

/** Sum of `after − before` over the keys of `after` (missing `before` counts from 0). */
export function sumGrowth(before: Record<string, string>, after: Record<string, string>): bigint {
  let total = 0n;
  for (const [k, v] of Object.entries(after)) total += BigInt(v) - BigInt(before[k] ?? '0');
  return total;
}
