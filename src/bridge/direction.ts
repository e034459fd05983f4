import { z } from 'zod';
import { parseConfig } from '../config/parse';
import { ConfigError } from '../errors';
import { invertTopicMapping } from './inverseMapping';
import { parseTopicMapping, type TopicMapping } from './topicMapping';

/**
 * Which way a bridge runs. `forward`: old cluster → MSK (the default). `reverse`: the same function with its
 * trigger on the MSK topics, writing back into the old cluster after the cutover (issue 14); its
 * `TOPIC_MAPPING` is the *forward* bridge's value and it maps topic names through the inverse.
 */
export const BridgeDirections = ['forward', 'reverse'] as const;
export type BridgeDirection = (typeof BridgeDirections)[number];

/** The direction-dependent part of the bridge's configuration. */
export interface BridgeDirectionConfig {
  direction: BridgeDirection;
  /** The mapping the bridge applies (the inverse of `TOPIC_MAPPING` for a reverse bridge). */
  topicMapping: TopicMapping;
  /**
   * Names for the origin header and the loop rule (src/bridge/origin.ts). For a forward bridge either may be
   * left out: the source name then comes from the event, the target name from `TARGET_MSK_CLUSTER_ARN` or the
   * target bootstrap list.
   */
  sourceClusterName?: string;
  targetClusterName?: string;
}

const Name = z.string().trim().min(1).max(200).regex(/^[^\s,]+$/, 'expected a cluster name without spaces or commas');

const Schema = z.object({
  BRIDGE_DIRECTION: z.enum(BridgeDirections, { errorMap: () => ({ message: 'expected "forward" or "reverse"' }) }).default('forward'),
  SOURCE_CLUSTER_NAME: Name.optional(),
  TARGET_CLUSTER_NAME: Name.optional(),
});

/**
 * Parse `BRIDGE_DIRECTION`, `TOPIC_MAPPING`, `SOURCE_CLUSTER_NAME` and `TARGET_CLUSTER_NAME`. A reverse bridge
 * needs both cluster names, and they must differ: they are how the two bridges tell each other's records
 * apart. The forward bridge must use the same two names the other way round.
 *
 * @example
 * ```ts
 * parseBridgeDirection({ BRIDGE_DIRECTION: 'reverse', TOPIC_MAPPING: '{"prefix":"dr."}', SOURCE_CLUSTER_NAME: 'msk', TARGET_CLUSTER_NAME: 'onprem' });
 * // { direction: 'reverse', topicMapping: { kind: 'inverse', forward: { kind: 'prefix', prefix: 'dr.' } }, sourceClusterName: 'msk', targetClusterName: 'onprem' }
 * ```
 */
export function parseBridgeDirection(env: Record<string, string | undefined>): BridgeDirectionConfig {
  const input: Record<string, string> = {};
  for (const key of Object.keys(Schema.shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') input[key] = value.trim();
  }
  const v = parseConfig(Schema, input, 'bridge environment');
  const mapping = parseTopicMapping(env.TOPIC_MAPPING, 'TOPIC_MAPPING');
  const names = { ...(v.SOURCE_CLUSTER_NAME ? { sourceClusterName: v.SOURCE_CLUSTER_NAME } : {}), ...(v.TARGET_CLUSTER_NAME ? { targetClusterName: v.TARGET_CLUSTER_NAME } : {}) };
  if (v.SOURCE_CLUSTER_NAME !== undefined && v.SOURCE_CLUSTER_NAME === v.TARGET_CLUSTER_NAME) {
    throw new ConfigError(`SOURCE_CLUSTER_NAME and TARGET_CLUSTER_NAME are both "${v.SOURCE_CLUSTER_NAME}"; expected two different names (the loop rule tells the clusters apart by them)`, {
      field: 'TARGET_CLUSTER_NAME',
    });
  }
  if (v.BRIDGE_DIRECTION === 'forward') return { direction: 'forward', topicMapping: mapping, ...names };
  for (const field of ['SOURCE_CLUSTER_NAME', 'TARGET_CLUSTER_NAME'] as const) {
    if (v[field] === undefined) {
      throw new ConfigError(
        `${field} is missing; a reverse bridge (BRIDGE_DIRECTION=reverse) needs it (expected the name the forward bridge uses for the ${field === 'SOURCE_CLUSTER_NAME' ? 'MSK (its target)' : 'old (its source)'} cluster)`,
        { field },
      );
    }
  }
  // Topics listed under "repartition" are refused one by one when a record of theirs arrives (inverseTopic).
  return { direction: 'reverse', topicMapping: invertTopicMapping(mapping, 'TOPIC_MAPPING'), ...names };
}
