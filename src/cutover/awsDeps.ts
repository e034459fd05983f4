import { z } from 'zod';
import { createS3AuditLog, DEFAULT_AUDIT_PREFIX } from '../adapters/aws/audit';
import { createAwsSecretReader } from '../adapters/aws/secrets';
import type { AwsClientConfig } from '../adapters/aws/clientConfig';
import { createAwsConfigStore } from '../adapters/aws/configStore';
import { createLambdaTriggerControl } from '../adapters/aws/triggerControl';
import { createFileConfigStore } from '../adapters/local/configStore';
import { parseConfig } from '../config/parse';
import { createKafkaClient, parseKafkaClientEnv, type CreateKafkaDeps, type KafkaClientKind } from '../kafka';
import { routeConfigStores } from '../ports/clientConfigStore';
import type { CutoverDeps } from './context';
import { connectionOf, parsePlan } from './plan';

/** Environment of the cutover task Lambdas (parsed once at module start). */
export const CutoverLambdaEnvSchema = z
  .object({
    CUTOVER_AUDIT_BUCKET: z.string().min(3),
    CUTOVER_AUDIT_PREFIX: z.string().default(DEFAULT_AUDIT_PREFIX),
  })
  .passthrough();
export type CutoverLambdaEnv = z.output<typeof CutoverLambdaEnvSchema> & {
  /** `KAFKA_CLIENT`: the Kafka client library of the steps' clients (default: the process default). */
  kafkaClient?: KafkaClientKind;
};

/**
 * Parse the cutover Lambdas' environment; a missing bucket, or a `KAFKA_CLIENT` that names no client library, is a
 * ConfigError naming the variable.
 *
 * @example
 * ```ts
 * const env = parseCutoverLambdaEnv(process.env);
 * ```
 */
export function parseCutoverLambdaEnv(env: Record<string, string | undefined>): CutoverLambdaEnv {
  return { ...parseConfig(CutoverLambdaEnvSchema, env, 'cutover Lambda environment'), kafkaClient: parseKafkaClientEnv(env) };
}

/**
 * Build step dependencies for one Task invocation on AWS: S3 audit, Secrets Manager/SSM config store, Lambda
 * trigger control, Kafka clients from the plan. `close` releases the SDK clients.
 *
 * @example
 * ```ts
 * const { deps, close } = await buildAwsCutoverDeps(event.plan, env, aws);
 * ```
 */
export async function buildAwsCutoverDeps(
  rawPlan: unknown,
  env: CutoverLambdaEnv,
  aws: AwsClientConfig,
  kafkaDeps: CreateKafkaDeps = {},
): Promise<{ deps: CutoverDeps; close(): void }> {
  const plan = parsePlan(rawPlan, 'state input $.plan');
  const audit = createS3AuditLog(aws, { bucket: env.CUTOVER_AUDIT_BUCKET, prefix: env.CUTOVER_AUDIT_PREFIX });
  const store = createAwsConfigStore(aws);
  const triggers = createLambdaTriggerControl(aws);
  // A plan's clusters may name Secrets Manager secrets (SASL, mTLS, root CA) in Lambda's formats: read them with
  // the task's own role unless the caller brings a reader.
  const withSecrets: CreateKafkaDeps = {
    ...(env.kafkaClient ? { client: env.kafkaClient } : {}),
    ...kafkaDeps,
    secrets: kafkaDeps.secrets ?? createAwsSecretReader({ clientConfig: aws }),
  };
  const [source, target] = await Promise.all([createKafkaClient(connectionOf(plan, 'source'), withSecrets), createKafkaClient(connectionOf(plan, 'target'), withSecrets)]);
  return {
    deps: { plan, audit, configStore: routeConfigStores({ secretsmanager: store, ssm: store }), triggers, kafka: { source, target } },
    close: () => {
      audit.close();
      store.close();
      triggers.close();
    },
  };
}

/**
 * Dependencies of a local run (`kbridge cutover`): local config file (plus Secrets Manager/SSM through
 * `aws`, which honours AWS_ENDPOINT_URL → moto), JSONL audit, the emulator's control API.
 *
 * @example
 * ```ts
 * const deps = await buildLocalCutoverDeps(plan, { configStorePath, auditPath, aws });
 * ```
 */
export async function buildLocalCutoverDeps(
  plan: CutoverDeps['plan'],
  options: { configStorePath: string; auditPath: string; aws?: AwsClientConfig; dryRun?: boolean; kafkaDeps?: CreateKafkaDeps },
): Promise<CutoverDeps> {
  const { createJsonlAuditLog, createMemoryAuditLog } = await import('../adapters/local/audit');
  const { createEmulatorTriggerControl } = await import('../adapters/local/triggerControl');
  const aws = options.aws ? createAwsConfigStore(options.aws) : undefined;
  const [source, target] = await Promise.all([
    createKafkaClient(connectionOf(plan, 'source'), options.kafkaDeps ?? {}),
    createKafkaClient(connectionOf(plan, 'target'), options.kafkaDeps ?? {}),
  ]);
  return {
    plan,
    audit: options.dryRun ? createMemoryAuditLog() : createJsonlAuditLog(options.auditPath),
    configStore: routeConfigStores({ local: createFileConfigStore(options.configStorePath), ...(aws ? { secretsmanager: aws, ssm: aws } : {}) }),
    triggers: createEmulatorTriggerControl(),
    kafka: { source, target },
    ...(options.dryRun ? { dryRun: true } : {}),
  };
}
