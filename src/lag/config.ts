import { z } from 'zod';
import { parseConfig, parseJsonVariable } from '../config/parse';
import { isRepartitioned, mapTopic, parseTopicMapping, TopicMappingSchema, type TopicMapping } from '../bridge/topicMapping';
import { ConfigError } from '../errors';
import type { ReplicationLagRequest } from './replication';

const Regex = z
  .string()
  .min(1)
  .refine(
    (s) => {
      try {
        new RegExp(s);
        return true;
      } catch {
        return false;
      }
    },
    { message: 'expected a valid regular expression' },
  );

const ClusterSchema = z
  .object({
    /** Cluster name: the `Cluster Name` dimension. */
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'expected letters, digits, ".", "_" or "-" (1-64 characters)'),
    /** Prefix of its Kafka connection variables (`<PREFIX>_BOOTSTRAP_SERVERS`, …); default the name upper-cased. */
    envPrefix: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'expected upper-case letters, digits and "_"').optional(),
    groups: z.array(z.string().min(1)).optional(),
    include: Regex.optional(),
    exclude: Regex.optional(),
  })
  .strict();

const BridgeSchema = z
  .object({
    bridgeId: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'expected letters, digits, ".", "_" or "-"'),
    /** Cluster (by name) the bridge reads from. */
    sourceCluster: z.string().min(1),
    /** Cluster (by name) holding the bridge's progress commits. */
    targetCluster: z.string().min(1),
    sourceTopics: z.array(z.string().min(1)).min(1, 'expected at least one source topic'),
    /** Source topic → target topic, names only (partitions kept). Superseded by `bridgeTopicMapping`. */
    topicMapping: z.record(z.string().min(1)).optional(),
    /**
     * The bridge's own `TOPIC_MAPPING` value (same JSON, same parser): target names and which topics are
     * repartitioned by key, whose checkpoints are read from their per-partition groups.
     */
    bridgeTopicMapping: TopicMappingSchema.optional(),
    /** Name of a variable of the monitor's environment holding the bridge's `TOPIC_MAPPING` text (one source of truth). */
    bridgeTopicMappingVariable: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name').optional(),
    /** The bridge's `OFFSET_MAP_TOPIC` (default `__kbridge_offset_map`): repartitioned topics' checkpoints are committed there. */
    offsetMapTopic: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'expected a Kafka topic name ([A-Za-z0-9._-], 1-249 chars)').optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    const given = (['topicMapping', 'bridgeTopicMapping', 'bridgeTopicMappingVariable'] as const).filter((k) => b[k] !== undefined);
    if (given.length > 1) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: [given[1]!], message: `give one of "topicMapping", "bridgeTopicMapping", "bridgeTopicMappingVariable", not ${given.map((k) => `"${k}"`).join(' and ')}` });
    }
    if (b.bridgeTopicMapping) {
      for (const problem of unmappedTopics(b.bridgeTopicMapping, b.sourceTopics)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['bridgeTopicMapping', 'map'], message: problem });
    }
  });

/**
 * The lag monitor's configuration, shared by the Lambda (env `LAG_MONITOR_CONFIG`, JSON), the dashboard and
 * alarm generators in `infra/`, and the CLI. Connection details stay in the factory's `<PREFIX>_*` variables.
 */
export const LagMonitorConfigSchema = z
  .object({
    namespace: z.string().min(1).max(255).default('KafkaMskBridge'),
    monitorName: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/).default('kbridge-lag-monitor'),
    clusters: z.array(ClusterSchema).min(1, 'expected at least one cluster'),
    bridges: z.array(BridgeSchema).default([]),
    /** OffsetLag / EstimatedTimeLag per partition cost one metric each: off unless asked for. */
    perPartitionMetrics: z.boolean().default(false),
    window: z
      .object({
        samples: z.number().int().min(2).max(60).default(10),
        minSamples: z.number().int().min(2).max(60).default(3),
      })
      .strict()
      .default({}),
    /** DynamoDB table keeping the sample window (partition key `pk`, string). Without it, status uses one sample. */
    sampleTable: z.string().min(3).max(255).optional(),
    alarms: z
      .object({
        maxOffsetLag: z.number().int().positive().default(10_000),
        maxTimeLagSeconds: z.number().positive().default(300),
        periodSeconds: z.number().int().min(60).default(60),
        evaluationPeriods: z.number().int().min(1).default(3),
        /** SNS topic ARNs to notify. */
        actions: z.array(z.string()).default([]),
      })
      .strict()
      .default({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    const names = new Set(c.clusters.map((k) => k.name));
    if (names.size !== c.clusters.length) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['clusters'], message: 'cluster names must be unique' });
    c.bridges.forEach((b, i) => {
      for (const field of ['sourceCluster', 'targetCluster'] as const) {
        if (!names.has(b[field])) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['bridges', i, field], message: `expected one of the cluster names (${[...names].join(', ')})` });
        }
      }
    });
    if (c.window.minSamples > c.window.samples) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['window', 'minSamples'], message: 'expected at most window.samples' });
    }
  });

export type LagMonitorConfig = z.output<typeof LagMonitorConfigSchema>;
export type LagMonitorConfigInput = z.input<typeof LagMonitorConfigSchema>;

/**
 * Parse and validate a lag monitor configuration (an object, e.g. from serverless.yml, or the JSON of
 * `LAG_MONITOR_CONFIG`).
 *
 * @example
 * ```ts
 * const config = parseLagMonitorConfig({ clusters: [{ name: 'source', include: '^orders' }] });
 * ```
 */
export function parseLagMonitorConfig(input: unknown, source = 'lag monitor configuration'): LagMonitorConfig {
  return parseConfig(LagMonitorConfigSchema, input, source);
}

/**
 * Read `LAG_MONITOR_CONFIG` from environment-style input, and resolve each bridge's
 * `bridgeTopicMappingVariable` from the same environment with the bridge's own parser (the result lands in
 * `bridgeTopicMapping`). A named variable that is not set is a ConfigError, never the identity mapping.
 *
 * @example
 * ```ts
 * const config = parseLagMonitorEnv(process.env);
 * ```
 */
export function parseLagMonitorEnv(env: Record<string, string | undefined>): LagMonitorConfig {
  const config = parseLagMonitorConfig(parseJsonVariable('LAG_MONITOR_CONFIG', env.LAG_MONITOR_CONFIG), 'LAG_MONITOR_CONFIG');
  const bridges = config.bridges.map((b, i) => {
    const variable = b.bridgeTopicMappingVariable;
    if (variable === undefined) return b;
    const field = `LAG_MONITOR_CONFIG.bridges.${i}.bridgeTopicMappingVariable`;
    const raw = env[variable];
    if (raw === undefined || raw.trim() === '') {
      throw new ConfigError(`${field} names ${variable}, which is not set; expected the bridge's TOPIC_MAPPING value in it (e.g. "identity" or {"map":{...},"repartition":[...]})`, { field: variable });
    }
    const mapping = parseTopicMapping(raw, variable);
    const problems = unmappedTopics(mapping, b.sourceTopics);
    if (problems.length > 0) throw new ConfigError(`${variable} (named by ${field}): ${problems.join('; ')}`, { field: variable, problems });
    return { ...b, bridgeTopicMapping: mapping };
  });
  return { ...config, bridges };
}

/** A `map` mapping must name every source topic the monitor measures (the bridge fails unmapped topics too). */
function unmappedTopics(mapping: TopicMapping, sourceTopics: readonly string[]): string[] {
  if (mapping.kind !== 'map') return [];
  return sourceTopics
    .filter((t) => !Object.hasOwn(mapping.map, t))
    .map((t) => `source topic "${t}" has no entry in "map" (expected one of: ${Object.keys(mapping.map).join(', ')})`);
}

/**
 * The replication-lag request of a configured bridge: target names and repartitioned topics from its
 * `bridgeTopicMapping` (or the plain `topicMapping`). A `bridgeTopicMappingVariable` that was not resolved (the
 * config was parsed without an environment) is a ConfigError: guessing "not repartitioned" would show no progress.
 *
 * @example
 * ```ts
 * const request = replicationRequestOf(config.bridges[0]);
 * // { bridgeId: 'dr', sourceTopics: ['orders'], topicMapping: { orders: 'orders-v2' }, repartitioned: ['orders'] }
 * ```
 */
export function replicationRequestOf(bridge: LagMonitorConfig['bridges'][number]): ReplicationLagRequest {
  const { bridgeId, sourceTopics, offsetMapTopic } = bridge;
  const mapping = bridge.bridgeTopicMapping;
  if (!mapping && bridge.bridgeTopicMappingVariable !== undefined) {
    throw new ConfigError(`bridge ${bridgeId}: bridgeTopicMappingVariable ${bridge.bridgeTopicMappingVariable} was not resolved; parse the configuration with parseLagMonitorEnv`, {
      field: 'bridgeTopicMappingVariable',
    });
  }
  const base = { bridgeId, sourceTopics, ...(offsetMapTopic ? { offsetMapTopic } : {}) };
  if (!mapping) return { ...base, ...(bridge.topicMapping ? { topicMapping: bridge.topicMapping } : {}) };
  const repartitioned = sourceTopics.filter((t) => isRepartitioned(mapping, t));
  return {
    ...base,
    topicMapping: Object.fromEntries(sourceTopics.map((t) => [t, mapTopic(mapping, t)])),
    ...(repartitioned.length > 0 ? { repartitioned } : {}),
  };
}

/** The Kafka variable prefix of a configured cluster. */
export function clusterEnvPrefix(cluster: { name: string; envPrefix?: string }): string {
  return cluster.envPrefix ?? cluster.name.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}
