import { TopicMismatchError } from '../errors';
import type { KafkaAdmin } from '../kafka/port';

/** Topic configs copied from source to target when the bridge (or `kbridge topics sync`) creates a target topic. */
export const MIRRORED_TOPIC_CONFIGS = [
  'cleanup.policy',
  'retention.ms',
  'retention.bytes',
  'min.compaction.lag.ms',
  'max.compaction.lag.ms',
  'delete.retention.ms',
  'max.message.bytes',
  'min.insync.replicas',
  'message.timestamp.type',
  'segment.ms',
  'segment.bytes',
  'compression.type',
] as const;

/** Broker default for `max.message.bytes` (Kafka 3.x/4.x `message.max.bytes`). */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

export interface TopicShape {
  topic: string;
  partitions: number;
  replicationFactor: number;
  /** Every effective config value. */
  configs: Record<string, string>;
}

/** What the bridge needs to know about a target topic before writing. */
export interface TargetTopicInfo {
  topic: string;
  partitions: number;
  maxMessageBytes: number;
  compacted: boolean;
}

/**
 * Partition count, replication factor and effective configs of a topic, or `undefined` if it does not exist.
 *
 * @example
 * ```ts
 * const shape = await describeTopic(admin, 'orders'); // { partitions: 8, configs: { 'cleanup.policy': 'delete', ... } }
 * ```
 */
export async function describeTopic(admin: KafkaAdmin, topic: string): Promise<TopicShape | undefined> {
  const [described] = await admin.describeTopics([topic]);
  if (!described || described.partitions.length === 0) return undefined;
  const configs = (await admin.describeTopicConfigs([topic])).get(topic) ?? {};
  return {
    topic,
    partitions: described.partitions.length,
    replicationFactor: described.partitions[0]?.replicas.length ?? 0,
    configs,
  };
}

export function targetInfoFromShape(shape: TopicShape): TargetTopicInfo {
  const max = Number(shape.configs['max.message.bytes'] ?? DEFAULT_MAX_MESSAGE_BYTES);
  return {
    topic: shape.topic,
    partitions: shape.partitions,
    maxMessageBytes: Number.isFinite(max) && max > 0 ? max : DEFAULT_MAX_MESSAGE_BYTES,
    compacted: (shape.configs['cleanup.policy'] ?? 'delete').split(',').includes('compact'),
  };
}

export interface SyncTopicResult {
  sourceTopic: string;
  targetTopic: string;
  action: 'created' | 'exists';
  partitions: number;
  configs: Record<string, string>;
}

/**
 * Make the target topic match the source topic's shape: create it with the source's partition count and
 * mirrored configs if missing; if it exists with another partition count, throw {@link TopicMismatchError}
 * (naming the topic and both counts) so nothing is written to the wrong partitions.
 * `min.insync.replicas` is copied only when the target has enough brokers to honour it.
 * With `repartition` (the mapping repartitions this topic by key) an existing target topic is accepted with any
 * partition count, and a missing one is refused: its partition count is the user's choice.
 *
 * @example
 * ```ts
 * await syncTopic({ source: sourceAdmin, target: targetAdmin, sourceTopic: 'orders', targetTopic: 'dr.orders' });
 * ```
 */
export async function syncTopic(options: {
  source: KafkaAdmin;
  target: KafkaAdmin;
  sourceTopic: string;
  targetTopic: string;
  replicationFactor?: number;
  repartition?: boolean;
}): Promise<SyncTopicResult> {
  const source = await describeTopic(options.source, options.sourceTopic);
  if (!source) {
    throw new TopicMismatchError(`Source topic "${options.sourceTopic}" does not exist`, { topic: options.sourceTopic, cluster: 'source' });
  }
  const existing = await describeTopic(options.target, options.targetTopic);
  if (!existing && options.repartition) throw missingRepartitionedTarget(options.sourceTopic, options.targetTopic);
  if (existing) {
    if (!options.repartition) assertSamePartitionCount(options.sourceTopic, source.partitions, options.targetTopic, existing.partitions);
    return { sourceTopic: options.sourceTopic, targetTopic: options.targetTopic, action: 'exists', partitions: existing.partitions, configs: {} };
  }
  const brokers = (await options.target.describeCluster()).brokers.length;
  // Only what was set on the source topic itself: the target's own broker defaults apply to the rest.
  const explicit = (await options.source.describeTopicConfigs([options.sourceTopic], { explicitOnly: true })).get(options.sourceTopic) ?? {};
  const configs: Record<string, string> = {};
  for (const name of MIRRORED_TOPIC_CONFIGS) {
    const value = explicit[name];
    if (value === undefined) continue;
    if (name === 'min.insync.replicas' && Number(value) > Math.min(brokers, options.replicationFactor ?? brokers)) continue;
    configs[name] = value;
  }
  // Waits until every partition has a leader in the metadata, so the first produce does not meet
  // UNKNOWN_TOPIC_OR_PARTITION / NOT_LEADER.
  await options.target.createTopics([
    {
      topic: options.targetTopic,
      numPartitions: source.partitions,
      ...(options.replicationFactor === undefined ? {} : { replicationFactor: options.replicationFactor }),
      configs,
    },
  ]);
  // Another bridge instance may have created it at the same time: check what is there now.
  const created = await describeTopic(options.target, options.targetTopic);
  if (!created) throw new TopicMismatchError(`Target topic "${options.targetTopic}" was not created`, { topic: options.targetTopic, cluster: 'target' });
  assertSamePartitionCount(options.sourceTopic, source.partitions, options.targetTopic, created.partitions);
  return { sourceTopic: options.sourceTopic, targetTopic: options.targetTopic, action: 'created', partitions: created.partitions, configs };
}

/**
 * The error for a target topic that does not exist although the mapping repartitions its source topic by key:
 * the partition count is the point of repartitioning, so nothing guesses it.
 *
 * @example
 * ```ts
 * throw missingRepartitionedTarget('orders', 'orders-v2');
 * ```
 */
export function missingRepartitionedTarget(sourceTopic: string, targetTopic: string): TopicMismatchError {
  return new TopicMismatchError(
    `Target topic "${targetTopic}" does not exist; TOPIC_MAPPING repartitions source topic "${sourceTopic}" by key, ` +
      'so create the target topic with the partition count you want before the bridge writes to it',
    { topic: targetTopic, sourceTopic, cluster: 'target', field: 'TOPIC_MAPPING' },
  );
}

/**
 * Throw {@link TopicMismatchError} when the partition counts differ.
 *
 * @example
 * ```ts
 * assertSamePartitionCount('orders', 8, 'dr.orders', 8); // ok
 * ```
 */
export function assertSamePartitionCount(sourceTopic: string, sourcePartitions: number, targetTopic: string, targetPartitions: number): void {
  if (sourcePartitions !== targetPartitions) {
    throw new TopicMismatchError(
      `Target topic "${targetTopic}" has ${targetPartitions} partition(s) but source topic "${sourceTopic}" has ${sourcePartitions}; ` +
        'the bridge keeps partition numbers, so they must match (recreate the target topic, or ask for key-based repartitioning ' +
        `with "repartition": ["${sourceTopic}"] in TOPIC_MAPPING, which makes consumer offsets untranslatable)`,
      { topic: targetTopic, sourceTopic, sourcePartitions, targetPartitions },
    );
  }
}

/**
 * Create a topic if missing (offset map, dead-letter topic). `TOPIC_ALREADY_EXISTS` from a concurrent
 * creator is fine.
 *
 * @example
 * ```ts
 * await ensureTopic(admin, '__kbridge_offset_map', { numPartitions: 1, configs: { 'cleanup.policy': 'compact' } });
 * ```
 */
export async function ensureTopic(
  admin: KafkaAdmin,
  topic: string,
  options: { numPartitions?: number; configs?: Record<string, string> } = {},
): Promise<TopicShape> {
  const existing = await describeTopic(admin, topic);
  if (existing) return existing;
  await admin.createTopics([{ topic, numPartitions: options.numPartitions ?? 1, configs: options.configs ?? {} }]);
  const created = await describeTopic(admin, topic);
  if (!created) throw new TopicMismatchError(`Topic "${topic}" could not be created`, { topic });
  return created;
}
