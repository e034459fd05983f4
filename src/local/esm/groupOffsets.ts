import type { Kafka } from 'kafkajs';
import { commitGroupOffsets } from '../../kafka/groupOffsets';

/**
 * Commit offsets of one topic for a consumer group with no live member: {@link commitGroupOffsets} (one
 * OffsetCommit, refused with GroupNotEmptyError while the group has members), kept under this name for the ESM
 * emulator's AT_TIMESTAMP positioning and its tests.
 *
 * @example
 * ```ts
 * await commitForEmptyGroup(kafka, 'orders-esm', 'orders', [{ partition: 0, offset: '42' }]);
 * ```
 */
export async function commitForEmptyGroup(kafka: Kafka, groupId: string, topic: string, partitions: Array<{ partition: number; offset: string }>): Promise<void> {
  await commitGroupOffsets(kafka, groupId, [{ topic, partitions }]);
}
