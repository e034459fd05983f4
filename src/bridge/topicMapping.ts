import { z } from 'zod';
import { ConfigError, TopicMismatchError } from '../errors';

/**
 * How source topic names become target topic names (`TOPIC_MAPPING`):
 * identity (default), a prefix, or an explicit map. An explicit map must be one-to-one, because each target
 * partition receives exactly one source partition (same partition number) and the offset map is exact only then.
 */
export type TopicMapping = { kind: 'identity' } | { kind: 'prefix'; prefix: string } | { kind: 'map'; map: Record<string, string> };

const TopicName = z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'expected a Kafka topic name ([A-Za-z0-9._-], 1-249 chars)');

/** Zod schema for the parsed JSON of `TOPIC_MAPPING` (`undefined`/`"identity"` → identity). */
export const TopicMappingSchema = z
  .union([
    z.undefined().transform((): TopicMapping => ({ kind: 'identity' })),
    z.literal('identity').transform((): TopicMapping => ({ kind: 'identity' })),
    z
      .object({ prefix: z.string().regex(/^[A-Za-z0-9._-]{1,200}$/, 'expected a topic-name prefix ([A-Za-z0-9._-])') })
      .strict()
      .transform((v): TopicMapping => ({ kind: 'prefix', prefix: v.prefix })),
    z
      .object({ map: z.record(TopicName, TopicName) })
      .strict()
      .transform((v): TopicMapping => ({ kind: 'map', map: v.map })),
  ])
  .superRefine((m, ctx) => {
    if (m.kind !== 'map') return;
    const seen = new Map<string, string>();
    for (const [from, to] of Object.entries(m.map)) {
      const other = seen.get(to);
      if (other !== undefined) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          message: `topics "${other}" and "${from}" both map to "${to}"; the mapping must be one-to-one (partitions are kept)`,
        });
      }
      seen.set(to, from);
    }
  });

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
      const target = mapping.map[sourceTopic];
      if (target === undefined) {
        throw new TopicMismatchError(
          `Source topic "${sourceTopic}" has no entry in TOPIC_MAPPING.map; add it (expected one of: ${Object.keys(mapping.map).join(', ')})`,
          { topic: sourceTopic, field: 'TOPIC_MAPPING' },
        );
      }
      return target;
    }
  }
}

/**
 * Parse a `--topic-mapping`/`TOPIC_MAPPING` value given as raw text.
 *
 * @example
 * ```ts
 * parseTopicMapping('{"prefix":"dr."}', 'TOPIC_MAPPING'); // { kind: 'prefix', prefix: 'dr.' }
 * ```
 */
export function parseTopicMapping(raw: string | undefined, field: string): TopicMapping {
  if (raw === undefined || raw.trim() === '' || raw.trim() === 'identity') return { kind: 'identity' };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new ConfigError(`${field} is not valid JSON; expected "identity", {"prefix":"x."} or {"map":{"a":"b"}}`, { field });
  }
  const parsed = TopicMappingSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(
      `${field}: ${issue?.message ?? 'invalid'}; expected "identity", {"prefix":"x."} or {"map":{"a":"b"}}`,
      { field },
    );
  }
  return parsed.data;
}
