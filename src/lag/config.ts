import { z } from 'zod';
import { parseConfig, parseJsonVariable } from '../config/parse';

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
    topicMapping: z.record(z.string().min(1)).optional(),
  })
  .strict();

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

/** Read `LAG_MONITOR_CONFIG` from environment-style input. */
export function parseLagMonitorEnv(env: Record<string, string | undefined>): LagMonitorConfig {
  return parseLagMonitorConfig(parseJsonVariable('LAG_MONITOR_CONFIG', env.LAG_MONITOR_CONFIG), 'LAG_MONITOR_CONFIG');
}

/** The Kafka variable prefix of a configured cluster. */
export function clusterEnvPrefix(cluster: { name: string; envPrefix?: string }): string {
  return cluster.envPrefix ?? cluster.name.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}
