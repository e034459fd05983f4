import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { BootstrapServersSchema, parseConfig } from '../../config/parse';
import { ConfigError } from '../../errors';
import type { FilterPatternInput } from '../../event/filter';
import type { KafkaAuth } from '../../kafka/types';

/**
 * Configuration of the local event source mapping emulator (`kbridge esm run`).
 *
 * The file has the shape of serverless.yml's `functions` section; each trigger uses the keys of
 * serverless.yml's `kafka` (self-managed) or `msk` event, plus a few local-only keys (`sasl` inline
 * credentials, `bootstrapServers` for `msk`, `maximumRetryAttempts`, `destinations.onFailure`).
 */

export const StartingPositions = {
  TRIM_HORIZON: 'TRIM_HORIZON',
  LATEST: 'LATEST',
  AT_TIMESTAMP: 'AT_TIMESTAMP',
} as const;
export type StartingPosition = (typeof StartingPositions)[keyof typeof StartingPositions];

/** Lambda's limits for Kafka event source mappings (CreateEventSourceMapping API reference). */
export const EsmLimits = {
  maxBatchSize: 10_000,
  maxBatchingWindowSeconds: 300,
  /** Synchronous invocation payload limit. */
  maxPayloadBytes: 6 * 1024 * 1024,
  maxRetryAttempts: 10_000,
} as const;

// ProvisionedPollerConfig.MaximumPollers default for Kafka (CloudFormation/Lambda API reference).
const DEFAULT_MAXIMUM_POLLERS = 200;

const BootstrapListSchema = z.union([
  BootstrapServersSchema,
  z.array(z.string()).min(1).transform((list, ctx) => {
    const parsed = BootstrapServersSchema.safeParse(list.join(','));
    if (!parsed.success) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'expected ["host:port", ...]' });
      return z.NEVER;
    }
    return parsed.data;
  }),
]);

const SaslInlineSchema = z
  .object({
    mechanism: z.enum(['scram-sha-256', 'scram-sha-512', 'plain']),
    username: z.string().min(1),
    password: z.string().min(1),
  })
  .strict();

// serverless.yml's kafka `accessConfigurations`: secret ARNs in Lambda's secret formats.
const AccessConfigurationsSchema = z
  .object({
    saslPlainAuth: z.string().optional(),
    saslScram256Auth: z.string().optional(),
    saslScram512Auth: z.string().optional(),
    clientCertificateTlsAuth: z.string().optional(),
    serverRootCaCertificate: z.string().optional(),
    vpcSubnet: z.union([z.string(), z.array(z.string())]).optional(),
    vpcSecurityGroup: z.union([z.string(), z.array(z.string())]).optional(),
  })
  .strict();

const OnFailureSchema = z.union([
  z.string().regex(/^arn:aws[a-zA-Z-]*:sqs:[a-z0-9-]+:\d{12}:.+$/, 'expected an SQS queue ARN or "file:<path>"'),
  z.string().regex(/^file:.+/, 'expected an SQS queue ARN or "file:<path>"'),
  z.string().url(),
]);

const TriggerCommonShape = {
  topic: z.string().min(1),
  batchSize: z.number().int().min(1).max(EsmLimits.maxBatchSize).default(100),
  maximumBatchingWindow: z.number().min(0).max(EsmLimits.maxBatchingWindowSeconds).optional(),
  startingPosition: z.nativeEnum(StartingPositions).default('TRIM_HORIZON'),
  /** Unix time in seconds, as serverless.yml and the Lambda API take it. */
  startingPositionTimestamp: z.number().nonnegative().optional(),
  enabled: z.boolean().default(true),
  consumerGroupId: z.string().min(1).max(200).optional(),
  filterPatterns: z.array(z.union([z.string(), z.record(z.unknown())])).max(5).optional(),
  maximumRetryAttempts: z.number().int().min(-1).max(EsmLimits.maxRetryAttempts).default(-1),
  destinations: z.object({ onFailure: OnFailureSchema }).strict().optional(),
  /** Lambda's provisioned mode (ProvisionedPollerConfig); locally the pollers run fully scaled out (`maximumPollers`). */
  provisionedPollerConfig: z
    .object({
      minimumPollers: z.number().int().min(1).max(200).optional(),
      maximumPollers: z.number().int().min(1).max(2000).optional(),
    })
    .strict()
    .refine((p) => (p.minimumPollers ?? 1) <= (p.maximumPollers ?? DEFAULT_MAXIMUM_POLLERS), 'expected minimumPollers <= maximumPollers')
    .optional(),
  /** Local only: SASL credentials given inline (local clusters, tests). Never logged. */
  sasl: SaslInlineSchema.optional(),
};

const KafkaTriggerSchema = z
  .object({
    ...TriggerCommonShape,
    bootstrapServers: BootstrapListSchema,
    accessConfigurations: AccessConfigurationsSchema.optional(),
  })
  .strict();

const MskTriggerSchema = z
  .object({
    ...TriggerCommonShape,
    arn: z.string().regex(/^arn:aws[a-zA-Z-]*:kafka:[a-z0-9-]+:\d{12}:cluster\/.+/, 'expected an MSK cluster ARN'),
    /** Local only: where the emulator connects instead of calling MSK GetBootstrapBrokers. */
    bootstrapServers: BootstrapListSchema.optional(),
    saslScram512: z.string().optional(),
  })
  .strict();

const EventSchema = z.union([
  z.object({ kafka: KafkaTriggerSchema }).strict(),
  z.object({ msk: MskTriggerSchema }).strict(),
]);

const EnvironmentSchema = z.record(z.union([z.string(), z.number(), z.boolean()]).transform(String));

const FunctionSchema = z
  .object({
    handler: z.string().regex(/^[^\s]+\.[A-Za-z_$][\w$]*$/, 'expected "path/to/module.exportName"'),
    name: z.string().min(1).max(64).optional(),
    environment: EnvironmentSchema.optional(),
    /** Seconds; serverless.yml's default is 6. */
    timeout: z.number().positive().max(900).optional(),
    memorySize: z.number().int().min(128).max(10_240).optional(),
    events: z.array(EventSchema).min(1),
  })
  .strict();

const EsmConfigFileSchema = z
  .object({
    functions: z.record(FunctionSchema).refine((f) => Object.keys(f).length > 0, 'expected at least one function'),
  })
  .strict();

// In a service file, functions carry many deployment keys (role, layers, vpc...) that do not matter
// locally; only kafka/msk events are read, and those strictly.
const ServerlessFunctionSchema = z
  .object({
    handler: z.string(),
    name: z.string().optional(),
    environment: EnvironmentSchema.optional(),
    timeout: z.number().positive().max(900).optional(),
    memorySize: z.number().int().optional(),
    events: z.array(z.record(z.unknown())).optional(),
  })
  .passthrough();

const ServerlessFileSchema = z
  .object({
    service: z.union([z.string(), z.object({ name: z.string() }).passthrough()]),
    provider: z
      .object({
        stage: z.string().optional(),
        region: z.string().optional(),
        environment: EnvironmentSchema.optional(),
        timeout: z.number().positive().max(900).optional(),
        memorySize: z.number().int().optional(),
      })
      .passthrough()
      .optional(),
    functions: z.record(ServerlessFunctionSchema).optional(),
  })
  .passthrough();

/** Where the on-failure invocation records go. */
export type OnFailureDestination = { type: 'sqs'; queueArn: string } | { type: 'sqs-url'; queueUrl: string } | { type: 'file'; path: string };

/** One event source mapping, fully resolved: what {@link EsmMapping} runs. */
export interface EsmMappingConfig {
  /** Stable id for the control API: `<function key>-<event index>`. */
  id: string;
  /** Lambda function name (`context.functionName`). */
  functionName: string;
  /** `path/to/module.exportName` as written. */
  handler: string;
  /** Absolute path of the module without extension resolution, and the export name. */
  handlerModule: string;
  handlerExport: string;
  environment: Record<string, string>;
  timeoutSeconds: number;
  memorySize: number;
  region: string;
  eventSource: 'SelfManagedKafka' | 'aws:kafka';
  eventSourceArn?: string;
  /** What the event's `bootstrapServers` says (for MSK: what the broker list would be). */
  bootstrapServers: string[];
  auth: KafkaAuth;
  topic: string;
  consumerGroupId: string;
  batchSize: number;
  maximumBatchingWindowSeconds: number;
  startingPosition: StartingPosition;
  /** Epoch milliseconds; set only for AT_TIMESTAMP. */
  startingPositionTimestampMs?: number;
  enabled: boolean;
  /** Lambda filter patterns (objects or JSON text), ORed; compiled by `compileFilterCriteria`. */
  filterPatterns: FilterPatternInput[];
  maximumRetryAttempts: number;
  onFailure?: OnFailureDestination;
  /** Emulated event pollers (see `EsmRuntimeOptions.pollers`); from `provisionedPollerConfig.maximumPollers`. Default 1. */
  pollers?: number | 'per-partition';
}

/**
 * The retry limit Lambda applies: `maximumRetryAttempts`, except that infinite retries (-1) together with an
 * on-failure destination become 10 ("When you configure both infinite retries and an on-failure destination,
 * Lambda automatically applies a maximum of 10 retry attempts" — Lambda developer guide, Kafka retry configurations).
 *
 * @example
 * ```ts
 * effectiveMaximumRetryAttempts({ maximumRetryAttempts: -1, onFailure: { type: 'file', path: 'f.jsonl' } }); // 10
 * ```
 */
export function effectiveMaximumRetryAttempts(config: Pick<EsmMappingConfig, 'maximumRetryAttempts' | 'onFailure'>): number {
  return config.maximumRetryAttempts < 0 && config.onFailure !== undefined ? INFINITE_RETRIES_WITH_DESTINATION : config.maximumRetryAttempts;
}

const INFINITE_RETRIES_WITH_DESTINATION = 10;

/** Options that are not part of the file: where it lives, which function to run, the environment for defaults. */
export interface LoadEsmConfigOptions {
  /** Only this function (config key). */
  functionName?: string;
  /** Region for ARNs and context (default `AWS_REGION` as passed, else us-east-1). */
  region?: string;
  /** Environment used to resolve `${env:...}` in serverless files. */
  env?: Record<string, string | undefined>;
  /** Stage for `${sls:stage}`/`${opt:stage}` and the function name (default provider.stage or "dev"). */
  stage?: string;
}

const DEFAULT_TIMEOUT_SECONDS = 6;
const DEFAULT_MEMORY_MB = 1024;
// Lambda's default batching window for Kafka sources (MSK, self-managed) is 500 ms.
const DEFAULT_BATCHING_WINDOW_SECONDS = 0.5;

/**
 * Read an emulator config file (JSON or YAML, shaped like serverless.yml's `functions` section).
 * Every key is validated; an unknown key is a {@link ConfigError} naming the key and the file.
 *
 * @example
 * ```ts
 * const mappings = await loadEsmConfigFile('esm.yml');
 * const emulator = new EsmEmulator(mappings, { logger });
 * ```
 */
export async function loadEsmConfigFile(file: string, options: LoadEsmConfigOptions = {}): Promise<EsmMappingConfig[]> {
  const path = resolve(file);
  const raw = await readDocument(path);
  const parsed = parseConfig(EsmConfigFileSchema, raw, `config file ${path}`);
  return toMappings(parsed.functions, dirname(path), { ...options, source: `config file ${path}`, functionNameOf: (key, fn) => fn.name ?? key });
}

/**
 * Read the kafka/msk triggers of a serverless.yml service file. Non-Kafka events are ignored;
 * `${self:...}`, `${env:...}`, `${sls:stage}` and `${opt:stage}` are resolved (with `, default` fallbacks);
 * any other variable source is a {@link ConfigError}.
 *
 * @example
 * ```ts
 * const mappings = await loadServerlessFile('serverless.yml', { functionName: 'bridge', env: process.env });
 * ```
 */
export async function loadServerlessFile(file: string, options: LoadEsmConfigOptions = {}): Promise<EsmMappingConfig[]> {
  const path = resolve(file);
  const source = `serverless file ${path}`;
  const raw = await readDocument(path);
  const rawStage = lookupPath(raw, 'provider.stage');
  const stage = options.stage ?? (typeof rawStage === 'string' && !rawStage.includes('${') ? rawStage : 'dev');
  const resolved = resolveVariables(raw, raw, { env: options.env ?? {}, stage, source }, []);
  const service = parseConfig(ServerlessFileSchema, resolved, source);
  const serviceName = typeof service.service === 'string' ? service.service : service.service.name;
  const provider = service.provider ?? {};
  const functions: Record<string, z.input<typeof FunctionSchema>> = {};
  for (const [key, fn] of Object.entries(service.functions ?? {})) {
    const events = (fn.events ?? []).filter((e) => 'kafka' in e || 'msk' in e);
    if (events.length === 0) continue;
    functions[key] = {
      handler: fn.handler,
      ...(fn.name !== undefined ? { name: fn.name } : {}),
      environment: { ...(provider.environment ?? {}), ...(fn.environment ?? {}) },
      ...(fn.timeout ?? provider.timeout ? { timeout: fn.timeout ?? provider.timeout } : {}),
      ...(fn.memorySize ?? provider.memorySize ? { memorySize: fn.memorySize ?? provider.memorySize } : {}),
      events: events as z.input<typeof FunctionSchema>['events'],
    };
  }
  if (Object.keys(functions).length === 0) {
    throw new ConfigError(`${source} has no function with a kafka or msk event`, { field: 'functions' });
  }
  const parsed = parseConfig(z.record(FunctionSchema), functions, `${source} (functions)`);
  return toMappings(parsed, dirname(path), {
    ...options,
    region: options.region ?? provider.region,
    source,
    functionNameOf: (key, fn) => fn.name ?? `${serviceName}-${stage}-${key}`,
  });
}

async function readDocument(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`Cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { field: 'file', cause: err });
  }
  try {
    return path.endsWith('.json') ? (JSON.parse(text) as unknown) : (parseYaml(text) as unknown);
  } catch (err) {
    throw new ConfigError(`${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`, {
      field: 'file',
      cause: err,
    });
  }
}

type FunctionConfig = z.output<typeof FunctionSchema>;

function toMappings(
  functions: Record<string, FunctionConfig>,
  baseDir: string,
  options: LoadEsmConfigOptions & { source: string; functionNameOf: (key: string, fn: FunctionConfig) => string },
): EsmMappingConfig[] {
  const region = options.region ?? 'us-east-1';
  const keys = Object.keys(functions);
  if (options.functionName !== undefined && !keys.includes(options.functionName)) {
    throw new ConfigError(
      `Function "${options.functionName}" is not in ${options.source}; it has: ${keys.join(', ') || '(none)'}`,
      { field: 'function' },
    );
  }
  const mappings: EsmMappingConfig[] = [];
  for (const [key, fn] of Object.entries(functions)) {
    if (options.functionName !== undefined && key !== options.functionName) continue;
    const functionName = options.functionNameOf(key, fn);
    const dot = fn.handler.lastIndexOf('.');
    const handlerModule = resolve(baseDir, fn.handler.slice(0, dot));
    const handlerExport = fn.handler.slice(dot + 1);
    fn.events.forEach((event, index) => {
      const where = `functions.${key}.events.${index}`;
      const common = 'kafka' in event ? event.kafka : event.msk;
      let bootstrapServers: string[];
      let eventSourceArn: string | undefined;
      let auth: KafkaAuth = { type: 'none' };
      if ('kafka' in event) {
        bootstrapServers = event.kafka.bootstrapServers;
        auth = accessToAuth(event.kafka.accessConfigurations, where, options.source);
      } else {
        if (event.msk.bootstrapServers === undefined) {
          throw new ConfigError(
            `${where}.msk.bootstrapServers is missing in ${options.source}: locally the emulator cannot ask MSK for the brokers of ${event.msk.arn}; add "bootstrapServers: host:port[,host:port]"`,
            { field: `${where}.msk.bootstrapServers` },
          );
        }
        bootstrapServers = event.msk.bootstrapServers;
        eventSourceArn = event.msk.arn;
        if (event.msk.saslScram512 !== undefined) auth = { type: 'sasl', mechanism: 'scram-sha-512', secretArn: event.msk.saslScram512 };
      }
      if (common.sasl !== undefined) auth = { type: 'sasl-inline', ...common.sasl };
      if (common.startingPosition === 'AT_TIMESTAMP' && common.startingPositionTimestamp === undefined) {
        throw new ConfigError(`${where}: startingPosition AT_TIMESTAMP needs startingPositionTimestamp (Unix seconds) in ${options.source}`, {
          field: `${where}.startingPositionTimestamp`,
        });
      }
      const mapping: EsmMappingConfig = {
        id: `${key}-${index}`,
        functionName,
        handler: fn.handler,
        handlerModule,
        handlerExport,
        environment: fn.environment ?? {},
        timeoutSeconds: fn.timeout ?? DEFAULT_TIMEOUT_SECONDS,
        memorySize: fn.memorySize ?? DEFAULT_MEMORY_MB,
        region,
        eventSource: 'kafka' in event ? 'SelfManagedKafka' : 'aws:kafka',
        ...(eventSourceArn !== undefined ? { eventSourceArn } : {}),
        bootstrapServers,
        auth,
        topic: common.topic,
        consumerGroupId: common.consumerGroupId ?? defaultConsumerGroupId(functionName, common.topic, bootstrapServers, index),
        batchSize: common.batchSize,
        maximumBatchingWindowSeconds: common.maximumBatchingWindow ?? DEFAULT_BATCHING_WINDOW_SECONDS,
        startingPosition: common.startingPosition,
        ...(common.startingPosition === 'AT_TIMESTAMP' && common.startingPositionTimestamp !== undefined
          ? { startingPositionTimestampMs: Math.round(common.startingPositionTimestamp * 1000) }
          : {}),
        enabled: common.enabled,
        filterPatterns: common.filterPatterns ?? [],
        maximumRetryAttempts: common.maximumRetryAttempts,
        // Lambda never runs more pollers than partitions; lanes are only started for partitions that exist.
        ...(common.provisionedPollerConfig ? { pollers: common.provisionedPollerConfig.maximumPollers ?? DEFAULT_MAXIMUM_POLLERS } : {}),
        ...(common.destinations ? { onFailure: parseOnFailure(common.destinations.onFailure, baseDir) } : {}),
      };
      mappings.push(mapping);
    });
  }
  return mappings;
}

function accessToAuth(access: z.output<typeof AccessConfigurationsSchema> | undefined, where: string, source: string): KafkaAuth {
  if (access === undefined) return { type: 'none' };
  if (access.saslScram512Auth) return { type: 'sasl', mechanism: 'scram-sha-512', secretArn: access.saslScram512Auth };
  if (access.saslScram256Auth) return { type: 'sasl', mechanism: 'scram-sha-256', secretArn: access.saslScram256Auth };
  if (access.saslPlainAuth) return { type: 'sasl', mechanism: 'plain', secretArn: access.saslPlainAuth };
  if (access.clientCertificateTlsAuth) return { type: 'mtls', secretArn: access.clientCertificateTlsAuth };
  if (access.vpcSubnet !== undefined || access.vpcSecurityGroup !== undefined || access.serverRootCaCertificate !== undefined) {
    return { type: 'none' };
  }
  throw new ConfigError(`${where}.kafka.accessConfigurations in ${source} names no authentication`, { field: `${where}.kafka.accessConfigurations` });
}

function parseOnFailure(value: string, baseDir: string): OnFailureDestination {
  if (value.startsWith('file:')) return { type: 'file', path: resolve(baseDir, value.slice('file:'.length)) };
  if (value.startsWith('arn:')) return { type: 'sqs', queueArn: value };
  return { type: 'sqs-url', queueUrl: value };
}

/**
 * Lambda gives a mapping without `consumerGroupId` a generated UUID as its group. Locally the "mapping"
 * is re-created on every run, so the UUID is derived from what identifies the mapping: a restart
 * resumes from the same group's commits, as the one long-lived mapping on AWS would.
 */
export function defaultConsumerGroupId(functionName: string, topic: string, bootstrapServers: string[], index: number): string {
  const hex = createHash('sha256').update(`${functionName}\n${topic}\n${bootstrapServers.join(',')}\n${index}`).digest('hex');
  // RFC 4122 layout, version nibble 5 (name-based), variant bits 10.
  const variant = ((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
}

interface VariableContext {
  env: Record<string, string | undefined>;
  stage: string;
  source: string;
}

const VARIABLE = /\$\{([^{}]+)\}/g;

function resolveVariables(node: unknown, root: unknown, ctx: VariableContext, seen: string[]): unknown {
  if (typeof node === 'string') return resolveString(node, root, ctx, seen);
  if (Array.isArray(node)) return node.map((n) => resolveVariables(n, root, ctx, seen));
  if (node !== null && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, resolveVariables(v, root, ctx, seen)]));
  }
  return node;
}

function resolveString(value: string, root: unknown, ctx: VariableContext, seen: string[]): unknown {
  const whole = /^\$\{([^{}]+)\}$/.exec(value);
  if (whole?.[1] !== undefined) return resolveExpression(whole[1], root, ctx, seen);
  return value.replace(VARIABLE, (_m, expr: string) => String(resolveExpression(expr, root, ctx, seen)));
}

function resolveExpression(expr: string, root: unknown, ctx: VariableContext, seen: string[]): unknown {
  const [ref = '', ...fallbackParts] = expr.split(',');
  const fallbackRaw = fallbackParts.join(',').trim();
  const fallback = fallbackRaw === '' ? undefined : parseFallback(fallbackRaw);
  const [sourceName, ...rest] = ref.trim().split(':');
  const address = rest.join(':').trim();
  let result: unknown;
  if (sourceName === 'env') {
    result = ctx.env[address];
  } else if (sourceName === 'self') {
    if (seen.includes(address)) throw new ConfigError(`\${self:${address}} refers to itself in ${ctx.source}`, { field: address });
    result = lookupPath(root, address);
    if (result !== undefined) result = resolveVariables(result, root, ctx, [...seen, address]);
  } else if ((sourceName === 'sls' || sourceName === 'opt') && address === 'stage') {
    result = ctx.stage;
  } else {
    throw new ConfigError(
      `Variable \${${expr}} in ${ctx.source} is not supported locally; the emulator resolves only \${self:...}, \${env:...}, \${sls:stage} and \${opt:stage} (with ", default")`,
      { field: expr },
    );
  }
  if (result === undefined) result = fallback;
  if (result === undefined) {
    throw new ConfigError(`Variable \${${expr}} in ${ctx.source} has no value and no default`, { field: expr });
  }
  return result;
}

function parseFallback(raw: string): unknown {
  const quoted = /^(['"])(.*)\1$/.exec(raw);
  if (quoted) return quoted[2];
  if (/^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
  if (raw === 'true' || raw === 'false') return raw === 'true';
  return raw;
}

function lookupPath(root: unknown, path: string): unknown {
  let node: unknown = root;
  for (const part of path.split('.').filter((p) => p !== '')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}
