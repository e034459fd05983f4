import { z } from 'zod';
import { BootstrapServersSchema, parseConfig } from '../config/parse';
import type { KafkaConnectionConfig } from '../kafka/types';

/**
 * The cutover plan: the input of the state machine (`$.plan`), of `kbridge cutover --plan`, and of every step.
 * Strict everywhere: an unknown key is a ConfigError naming it, so a typo never silently skips a step.
 */

const SaslMechanismSchema = z.enum(['scram-sha-256', 'scram-sha-512', 'plain']);

const KafkaAuthSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }).strict(),
  z.object({ type: z.literal('sasl'), mechanism: SaslMechanismSchema, secretArn: z.string().min(1) }).strict(),
  z.object({ type: z.literal('sasl-inline'), mechanism: SaslMechanismSchema, username: z.string().min(1), password: z.string().min(1) }).strict(),
  z.object({ type: z.literal('mtls'), secretArn: z.string().min(1) }).strict(),
  z.object({ type: z.literal('iam'), region: z.string().optional() }).strict(),
]);

export const KafkaConnectionSchema = z
  .object({
    name: z.string().min(1),
    bootstrapServers: z.union([BootstrapServersSchema, z.array(z.string().regex(/^[^\s:,]+:\d{1,5}$/, 'expected "host:port"')).min(1)]),
    auth: KafkaAuthSchema.default({ type: 'none' }),
    tls: z.object({ enabled: z.boolean(), rootCaSecretArn: z.string().optional() }).strict().optional(),
  })
  .strict();

/** Where a client-config entry lives: a Secrets Manager secret, an SSM parameter, or the local JSON file store. */
export const ConfigEntryRefSchema = z
  .object({
    store: z.enum(['secretsmanager', 'ssm', 'local']),
    /** Secret id/ARN, parameter name, or local key. */
    id: z.string().min(1),
  })
  .strict();

/** What services read from a config entry. Extra keys (client id, auth) are kept as they are. */
export const ClientConfigValueSchema = z
  .object({
    bootstrapServers: z.string().min(1),
    /** Which cluster this value points at; the cutover writes it so a service can log it. */
    cluster: z.string().optional(),
    /** The fence: while true, a producer reading this entry must not write (see ProducerFence). */
    paused: z.boolean().optional(),
  })
  .passthrough();

export const ConfigEntrySchema = ConfigEntryRefSchema.extend({
  /** Human name used in the audit and progress lines. */
  name: z.string().min(1),
  role: z.enum(['consumer', 'producer']),
  /** The value written at the switch (the target cluster's bootstrap servers and auth). */
  targetValue: ClientConfigValueSchema,
  /** The value failback writes back (the source cluster's); default: the value the forward switch replaced (audit). */
  sourceValue: ClientConfigValueSchema.optional(),
}).strict();

/** An event source mapping: an AWS UUID, or a local emulator mapping id reached through `controlUrl`. */
export const TriggerRefSchema = z
  .object({
    id: z.string().min(1),
    /** Local only: the emulator's control API, e.g. `http://127.0.0.1:7070`. */
    controlUrl: z.string().url().optional(),
  })
  .strict();

/** A target mapping that does not exist yet: created (Enabled) at startTargetConsumers. AWS only. */
export const TriggerCreateSpecSchema = z
  .object({
    functionName: z.string().min(1),
    topic: z.string().min(1),
    bootstrapServers: z.string().min(1).optional(),
    /** MSK cluster ARN for an `aws:kafka` mapping. */
    eventSourceArn: z.string().optional(),
    batchSize: z.number().int().min(1).max(10_000).optional(),
    sourceAccessConfigurations: z.array(z.object({ Type: z.string(), URI: z.string() }).strict()).optional(),
  })
  .strict();

/**
 * One of the reverse bridge's event source mappings. A Kafka trigger reads one topic, so a bridge over several topics
 * has one mapping per topic. `consumerGroupId` is the mapping's consumer group on the target (its `ConsumerGroupId`),
 * a group of the bridge's own that reportMskOnly does not list as a group left on MSK.
 */
export const ReverseTriggerRefSchema = TriggerRefSchema.extend({
  consumerGroupId: z.string().min(1).optional(),
}).strict();

/**
 * The reverse bridge (target → source, issue 14): enabled at the switch, disabled by the decommission input.
 * `triggers` lists its mappings. A plan written before that list existed names one `trigger`; parsing turns it
 * into a one-element `triggers`, so the parsed plan only ever has `triggers`.
 */
export const ReverseBridgeSchema = z
  .object({
    /** Its BRIDGE_ID: its own transactional ids, checkpoint group and offset-map keys (on the source cluster). */
    bridgeId: z.string().min(1),
    offsetMapTopic: z.string().optional(),
    /** Its event source mappings on the target topics (deployed disabled), one per topic. */
    triggers: z.array(ReverseTriggerRefSchema).min(1).optional(),
    /** Plans written before `triggers`: one mapping, read as `triggers: [trigger]`. */
    trigger: ReverseTriggerRefSchema.optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.triggers !== undefined && r.trigger !== undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['trigger'], message: 'give either "triggers" (a list) or the older single "trigger", not both' });
    } else if (r.triggers === undefined && r.trigger === undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['triggers'], message: 'expected the reverse bridge\'s event source mappings, one per topic, e.g. [{"id": "<mapping UUID>"}] (or the older single "trigger")' });
    }
    const ids = (r.triggers ?? []).map((t) => t.id);
    const repeated = ids.filter((id, i) => ids.indexOf(id) !== i);
    if (repeated.length > 0) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['triggers'], message: `mapping ${repeated[0]} is listed twice` });
  })
  .transform(({ trigger, triggers, ...rest }) => ({ ...rest, triggers: triggers ?? (trigger ? [trigger] : []) }));

/** Set on a failback plan (built by `kbridge cutover failback`): the forward bridge whose offset map is on the plan's source. */
export const FailbackOfSchema = z
  .object({
    /** The forward cutover this plan undoes. */
    cutoverId: z.string().min(1),
    forwardBridge: z.object({ bridgeId: z.string().min(1), offsetMapTopic: z.string().optional() }).strict(),
    /** The reverse bridge's trigger consumer groups on the plan's source (MSK): its own, left out by reportMskOnly. */
    reverseBridgeGroups: z.array(z.string().min(1)).optional(),
  })
  .strict();

export const ConsumerGroupPlanSchema = z
  .object({
    groupId: z.string().min(1),
    /** Source mappings of this group (disabled at stopSourceConsumers, re-enabled by rollback). */
    sourceTriggers: z.array(TriggerRefSchema).default([]),
    /** Target mappings with the same group id; existing ones are enabled, `create` ones are created. */
    targetTriggers: z.array(z.union([TriggerRefSchema, z.object({ create: TriggerCreateSpecSchema }).strict()])).default([]),
  })
  .strict();

export const CutoverSteps = [
  'preflight',
  'fenceProducers',
  'waitDrained',
  'stopSourceConsumers',
  'translateAndSeedOffsets',
  'switchConsumerConfig',
  'switchProducerConfig',
  'startTargetConsumers',
  'startTargetProducers',
  'verify',
] as const;
export type CutoverStepName = (typeof CutoverSteps)[number];

const SecondsSchema = z.number().positive().max(86_400);

export const CutoverPlanSchema = z
  .object({
    /** Names this cutover in the audit log; re-running with the same id resumes (done steps are no-ops). */
    cutoverId: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'expected 1-100 of [A-Za-z0-9._-]'),
    pattern: z.enum(['stop-drain-switch', 'consumers-first']),
    approval: z.enum(['none', 'manual']).default('none'),
    source: KafkaConnectionSchema,
    target: KafkaConnectionSchema,
    bridge: z
      .object({
        bridgeId: z.string().min(1),
        offsetMapTopic: z.string().optional(),
        /** Source topic → target topic where they differ (partition numbers are kept). */
        topicMapping: z.record(z.string()).optional(),
      })
      .strict(),
    /** Keep the source current after the switch with the reverse bridge (see docs/failback.md). */
    reverseBridge: ReverseBridgeSchema.optional(),
    /** Present on a failback plan only. */
    failbackOf: FailbackOfSchema.optional(),
    /** Source topics the groups consume and the producers write. */
    topics: z.array(z.string().min(1)).min(1),
    consumerGroups: z.array(ConsumerGroupPlanSchema).default([]),
    /** Config entries services read (consumers' and producers'). */
    configEntries: z.array(ConfigEntrySchema).default([]),
    timeouts: z
      .object({
        drainSeconds: SecondsSchema.default(600),
        triggerSeconds: SecondsSchema.default(300),
        verifySeconds: SecondsSchema.default(300),
        approvalSeconds: SecondsSchema.default(86_400),
      })
      .strict()
      .default({}),
    drain: z
      .object({
        /** Consecutive drained probes needed… */
        minSamples: z.number().int().min(1).max(100).default(3),
        /** …spanning at least this long. */
        minWindowSeconds: z.number().min(0).max(3600).default(30),
        /** Require the bridge's replication to be caught up (stop-drain-switch: yes). */
        requireBridge: z.boolean().default(true),
      })
      .strict()
      .default({}),
    verify: z
      .object({
        /** Records that must arrive on the target topics after the switch (0: do not require traffic). */
        minNewTargetRecords: z.number().int().min(0).default(1),
        /** Probes over which each target group's lag must fall (or be 0 at the newest): see targetLagReasons. */
        minSamples: z.number().int().min(1).default(2),
      })
      .strict()
      .default({}),
    /** Tests and rehearsals: make this step fail after it acted, to exercise rollback. */
    failAt: z.enum(CutoverSteps).optional(),
  })
  .strict();

export type CutoverPlan = z.output<typeof CutoverPlanSchema>;
export type CutoverPlanInput = z.input<typeof CutoverPlanSchema>;
export type ConfigEntry = z.output<typeof ConfigEntrySchema>;
export type ConfigEntryRef = z.output<typeof ConfigEntryRefSchema>;
export type ClientConfigValue = z.output<typeof ClientConfigValueSchema>;
export type TriggerRef = z.output<typeof TriggerRefSchema>;
export type ReverseTriggerRef = z.output<typeof ReverseTriggerRefSchema>;
export type TriggerCreateSpec = z.output<typeof TriggerCreateSpecSchema>;
export type ConsumerGroupPlan = z.output<typeof ConsumerGroupPlanSchema>;
export type ReverseBridgePlan = z.output<typeof ReverseBridgeSchema>;

/**
 * Parse a cutover plan (JSON already decoded). Throws a ConfigError naming every bad field.
 *
 * @example
 * ```ts
 * const plan = parsePlan(JSON.parse(await readFile('plan.json', 'utf8')), 'plan.json');
 * ```
 */
export function parsePlan(input: unknown, source = 'cutover plan'): CutoverPlan {
  return parseConfig(CutoverPlanSchema, input, source);
}

/**
 * The connection config of one side of the plan, as `createKafkaClient` takes it.
 *
 * @example
 * ```ts
 * const kafka = await createKafkaClient(connectionOf(plan, 'target'));
 * ```
 */
export function connectionOf(plan: CutoverPlan, side: 'source' | 'target'): KafkaConnectionConfig {
  const c = plan[side];
  return { name: c.name, bootstrapServers: c.bootstrapServers, auth: c.auth, ...(c.tls ? { tls: c.tls } : {}) };
}

/** The target topic of a source topic (partition numbers are kept by the bridge). */
export function targetTopicOf(plan: CutoverPlan, sourceTopic: string): string {
  return plan.bridge.topicMapping?.[sourceTopic] ?? sourceTopic;
}
