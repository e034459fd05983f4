import { z } from 'zod';
import { parseConfig, parseJsonVariable } from '../config/parse';
import { TopicMismatchError } from '../errors';
import { inverseTopic } from './inverseMapping';

/**
 * Which source topics are repartitioned by key instead of keeping partition numbers: every topic (`'all'`)
 * or the listed source topics. See {@link isRepartitioned}.
 */
export type RepartitionSelection = 'all' | readonly string[];

/**
 * How source topic names become target topic names (`TOPIC_MAPPING`): identity (default), a prefix, or an
 * explicit map, optionally with key-based repartitioning for some or all topics. An explicit map must be
 * one-to-one: each target partition receives exactly one source partition (same number) unless the topic is
 * repartitioned, and the offset map and the bridge's checkpoints are keyed by target topic.
 */
export type TopicMapping = (
  | { kind: 'identity' }
  | { kind: 'prefix'; prefix: string }
  | { kind: 'map'; map: Record<string, string> }
  /** The reverse bridge's mapping: back through `forward` (src/bridge/inverseMapping.ts). */
  | { kind: 'inverse'; forward: TopicMapping }
) & { repartition?: RepartitionSelection };

const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;
const TopicName = z.string().regex(TOPIC_NAME, 'expected a Kafka topic name ([A-Za-z0-9._-], 1-249 chars)');

const SHAPES = 'expected "identity", {"prefix":"x."} or {"map":{"a":"b"}}, each optionally with "repartition": "all" or ["topic", ...]';

const RepartitionSchema = z.union([z.literal('all'), z.array(TopicName).min(1, 'expected at least one source topic (or "all")')], {
  errorMap: (issue, ctx) =>
    issue.code === 'invalid_union' ? { message: 'expected "all" or a non-empty list of source topic names' } : { message: ctx.defaultError },
});

/**
 * Zod schema for the parsed JSON of `TOPIC_MAPPING` (`undefined`/`"identity"` → identity). An object without
 * `prefix` and `map` is the identity mapping (useful with `repartition`).
 */
export const TopicMappingSchema = z.preprocess(
  (v) => (v === undefined || v === 'identity' ? {} : v),
  z
    .object({
      prefix: z.string().regex(/^[A-Za-z0-9._-]{1,200}$/, 'expected a topic-name prefix ([A-Za-z0-9._-])').optional(),
      map: z.record(TopicName, TopicName).optional(),
      repartition: RepartitionSchema.optional(),
    })
    .strict()
    .superRefine((v, ctx) => {
      if (v.prefix !== undefined && v.map !== undefined) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['map'], message: 'give either "prefix" or "map", not both' });
      }
      if (v.map !== undefined) {
        const seen = new Map<string, string>();
        for (const [from, to] of Object.entries(v.map)) {
          const other = seen.get(to);
          if (other !== undefined) {
            ctx.addIssue({
              code: z.ZodIssueCode.custom,
              path: ['map', from],
              message: `topics "${other}" and "${from}" both map to "${to}"; the mapping must be one-to-one`,
            });
          }
          seen.set(to, from);
        }
      }
      if (Array.isArray(v.repartition)) {
        const listed = new Set<string>();
        v.repartition.forEach((topic, i) => {
          if (listed.has(topic)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['repartition', i], message: `"${topic}" is listed twice` });
          listed.add(topic);
          if (v.map !== undefined && !Object.hasOwn(v.map, topic)) {
            ctx.addIssue({
              code: z.ZodIssueCode.custom,
              path: ['repartition', i],
              message: `"${topic}" is not a source topic of "map" (expected one of: ${Object.keys(v.map).join(', ')})`,
            });
          }
        });
      }
    })
    .transform((v): TopicMapping => {
      const repartition = v.repartition === undefined ? {} : { repartition: v.repartition };
      if (v.map !== undefined) return { kind: 'map', map: v.map, ...repartition };
      if (v.prefix !== undefined) return { kind: 'prefix', prefix: v.prefix, ...repartition };
      return { kind: 'identity', ...repartition };
    }),
);

/**
 * The target topic for a source topic.
 *
 * @example
 * ```ts
 * mapTopic({ kind: 'prefix', prefix: 'dr.' }, 'orders'); // 'dr.orders'
 * ```
 */
export function mapTopic(mapping: TopicMapping, sourceTopic: string): string {
  switch (mapping.kind) {
    case 'identity':
      return sourceTopic;
    case 'prefix':
      return `${mapping.prefix}${sourceTopic}`;
    case 'map': {
      const target = Object.hasOwn(mapping.map, sourceTopic) ? mapping.map[sourceTopic] : undefined;
      if (target === undefined) {
        throw new TopicMismatchError(
          `Source topic "${sourceTopic}" has no entry in TOPIC_MAPPING.map; add it (expected one of: ${Object.keys(mapping.map).join(', ')})`,
          { topic: sourceTopic, field: 'TOPIC_MAPPING' },
        );
      }
      return target;
    }
    case 'inverse':
      return inverseTopic(mapping.forward, sourceTopic);
  }
}

/**
 * Whether the mapping asks for key-based repartitioning of a source topic: its records then go to the target
 * partition Kafka's default partitioner picks for their key, not to the same partition number.
 *
 * @example
 * ```ts
 * isRepartitioned({ kind: 'map', map: { orders: 'orders-v2' }, repartition: ['orders'] }, 'orders'); // true
 * isRepartitioned({ kind: 'identity' }, 'orders'); // false
 * ```
 */
export function isRepartitioned(mapping: TopicMapping, sourceTopic: string): boolean {
  const r = mapping.repartition;
  return r === 'all' || (r !== undefined && r.includes(sourceTopic));
}

/**
 * Parse a `--topic-mapping`/`TOPIC_MAPPING` value given as raw text. Errors are {@link ConfigError}s naming
 * the field (e.g. `TOPIC_MAPPING.repartition.1`) and what was expected.
 *
 * @example
 * ```ts
 * parseTopicMapping('{"prefix":"dr."}', 'TOPIC_MAPPING'); // { kind: 'prefix', prefix: 'dr.' }
 * parseTopicMapping('{"map":{"orders":"orders-v2"},"repartition":["orders"]}', 'TOPIC_MAPPING');
 * // { kind: 'map', map: { orders: 'orders-v2' }, repartition: ['orders'] }
 * ```
 */
export function parseTopicMapping(raw: string | undefined, field: string): TopicMapping {
  if (raw === undefined || raw.trim() === '' || raw.trim() === 'identity') return { kind: 'identity' };
  const json = parseJsonVariable(field, raw);
  // Wrapping under the field name makes every issue path start with it (TOPIC_MAPPING.repartition.1).
  return parseConfig(z.object({ [field]: TopicMappingSchema }), { [field]: json }, `${field} (${SHAPES})`)[field] as TopicMapping;
}
