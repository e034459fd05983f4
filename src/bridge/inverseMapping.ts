import { ConfigError, TopicMismatchError } from '../errors';
import type { TopicMapping } from './topicMapping';

/**
 * The inverse of a forward topic mapping, for the reverse bridge (MSK → old cluster) and the failback plan.
 * A target topic maps back to the one source topic the forward bridge wrote it from, with the same partition
 * numbers. There is no inverse for a topic the forward bridge repartitioned by key (a target partition mixes
 * several source partitions), nor for a target name the forward mapping never produces.
 */

function repartitioned(forward: TopicMapping, sourceTopic: string): boolean {
  const r = forward.repartition;
  return r === 'all' || (r !== undefined && r.includes(sourceTopic));
}

function refuse(targetTopic: string, why: string): TopicMismatchError {
  return new TopicMismatchError(`Topic "${targetTopic}" cannot be replicated back: ${why}`, { topic: targetTopic, field: 'TOPIC_MAPPING' });
}

/**
 * The source topic the forward mapping wrote `targetTopic` from. Throws a {@link TopicMismatchError} naming the
 * topic where no inverse exists.
 *
 * @example
 * ```ts
 * inverseTopic({ kind: 'prefix', prefix: 'dr.' }, 'dr.orders'); // 'orders'
 * inverseTopic({ kind: 'map', map: { orders: 'orders-v2' } }, 'orders-v2'); // 'orders'
 * inverseTopic({ kind: 'prefix', prefix: 'dr.' }, 'payments'); // throws TopicMismatchError
 * ```
 */
export function inverseTopic(forward: TopicMapping, targetTopic: string): string {
  let source: string;
  switch (forward.kind) {
    case 'identity':
      source = targetTopic;
      break;
    case 'prefix':
      if (!targetTopic.startsWith(forward.prefix) || targetTopic.length === forward.prefix.length) {
        throw refuse(targetTopic, `the forward mapping adds the prefix "${forward.prefix}", and this name does not start with it (expected "${forward.prefix}<source topic>")`);
      }
      source = targetTopic.slice(forward.prefix.length);
      break;
    case 'map': {
      const sources = Object.entries(forward.map).filter(([, to]) => to === targetTopic).map(([from]) => from);
      if (sources.length === 0) {
        throw refuse(targetTopic, `no source topic maps to it in the forward mapping (expected one of: ${Object.values(forward.map).join(', ')})`);
      }
      if (sources.length > 1) throw refuse(targetTopic, `source topics ${sources.join(', ')} all map to it (the forward mapping is not one-to-one)`);
      source = sources[0] as string;
      break;
    }
    case 'inverse':
      throw refuse(targetTopic, 'the given mapping is already an inverse (expected the forward bridge\'s TOPIC_MAPPING)');
  }
  if (repartitioned(forward, source)) {
    throw refuse(
      targetTopic,
      `the forward bridge repartitions "${source}" by key, so a partition of "${targetTopic}" mixes records of several source partitions; ` +
        'move its consumers and producers back as docs/failback.md "What cannot be failed back" describes',
    );
  }
  return source;
}

/**
 * The reverse bridge's mapping: the inverse of the forward one. Refuses at configuration time (ConfigError
 * naming `field`) when the forward mapping repartitions every topic, since nothing could be replicated back.
 *
 * @example
 * ```ts
 * invertTopicMapping({ kind: 'prefix', prefix: 'dr.' }, 'TOPIC_MAPPING'); // { kind: 'inverse', forward: { kind: 'prefix', prefix: 'dr.' } }
 * ```
 */
export function invertTopicMapping(forward: TopicMapping, field: string): TopicMapping {
  if (forward.repartition === 'all') {
    throw new ConfigError(`${field}: the forward mapping repartitions every topic by key ("repartition": "all"), so no topic can be replicated back; expected a mapping that keeps partition numbers for the topics to fail back`, {
      field,
    });
  }
  return { kind: 'inverse', forward };
}

/**
 * Invert a plan's `topicMapping` (source topic → target topic): target topic → source topic. Throws a
 * ConfigError naming both source topics when two map to the same target.
 *
 * @example
 * ```ts
 * invertTopicRecord({ orders: 'dr.orders' }, 'bridge.topicMapping'); // { 'dr.orders': 'orders' }
 * ```
 */
export function invertTopicRecord(mapping: Readonly<Record<string, string>>, field: string): Record<string, string> {
  const inverse: Record<string, string> = {};
  for (const [from, to] of Object.entries(mapping)) {
    const other = Object.hasOwn(inverse, to) ? inverse[to] : undefined;
    if (other !== undefined) {
      throw new ConfigError(`${field}: topics "${other}" and "${from}" both map to "${to}", so "${to}" has no inverse; expected a one-to-one mapping`, { field, topic: to });
    }
    inverse[to] = from;
  }
  return inverse;
}
