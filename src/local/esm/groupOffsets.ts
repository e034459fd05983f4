import type { Kafka } from 'kafkajs';
import { createKafkaCluster } from '../../lag/kafkaLagReader';

/**
 * Commit offsets for a consumer group with no live member in one OffsetCommit (generation -1, no member id,
 * as Kafka's own tools send). `admin.setOffsets` joins the group with a consumer to do the same: seconds
 * instead of milliseconds. The broker refuses it (an error) when the group has members.
 *
 * @example
 * ```ts
 * await commitForEmptyGroup(kafka, 'orders-esm', 'orders', [{ partition: 0, offset: '42' }]);
 * ```
 */
export async function commitForEmptyGroup(kafka: Kafka, groupId: string, topic: string, partitions: Array<{ partition: number; offset: string }>): Promise<void> {
  const cluster = createKafkaCluster(kafka);
  await cluster.connect();
  try {
    const coordinator = await cluster.findGroupCoordinator({ groupId });
    await coordinator.offsetCommit({ groupId, groupGenerationId: -1, memberId: '', topics: [{ topic, partitions }] });
  } finally {
    await cluster.disconnect();
  }
}
