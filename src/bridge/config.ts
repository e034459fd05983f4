import { z } from 'zod';
import { BooleanStringSchema, parseConfig } from '../config/parse';
import { ConfigError } from '../errors';
import { parseKafkaConnectionEnv } from '../kafka/env';
import type { KafkaConnectionConfig } from '../kafka/types';
import { DEFAULT_OFFSET_MAP_TOPIC } from './offsetMap';
import { parseBridgeDirection, type BridgeDirection } from './direction';
import type { TopicMapping } from './topicMapping';

export type BridgeDeadLetterConfig =
  | { type: 'none' }
  | { type: 'sqs'; queueUrl: string; s3Bucket?: string }
  | { type: 'kafka'; topic: string };

/** Everything the bridge Lambda reads from its environment, validated once at module start. */
export interface BridgeConfig {
  bridgeId: string;
  /** Target connection; `bootstrapServers` is empty when `mskClusterArn` is used (resolved at first invocation). */
  target: KafkaConnectionConfig;
  targetMskClusterArn?: string;
  /** Optional admin connection to the source, to create target topics with the source's shape. */
  source?: KafkaConnectionConfig;
  topicMapping: TopicMapping;
  /** `BRIDGE_DIRECTION`: `reverse` maps topics back through the inverse of `TOPIC_MAPPING` (docs/failback.md). */
  direction: BridgeDirection;
  /** `TARGET_CLUSTER_NAME`: the loop rule skips records whose origin header names it. */
  targetClusterName?: string;
  provenanceHeaders: boolean;
  sourceClusterName?: string;
  offsetMapTopic: string;
  deadLetter: BridgeDeadLetterConfig;
  reportBatchItemFailures: boolean;
  concurrency: number;
  transactionTimeoutMs: number;
}

const Bool = BooleanStringSchema;

const Int = (min: number, max: number, what: string) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `expected ${what}`)
    .transform(Number)
    .refine((v) => v >= min && v <= max, { message: `expected ${what} between ${min} and ${max}` });

const Schema = z.object({
  BRIDGE_ID: z.string().trim().regex(/^[A-Za-z0-9._-]{1,64}$/, 'expected 1-64 characters of [A-Za-z0-9._-]'),
  TARGET_MSK_CLUSTER_ARN: z.string().trim().regex(/^arn:aws[a-z-]*:kafka:[a-z0-9-]+:\d{12}:cluster\/.+/, 'expected an MSK cluster ARN').optional(),
  PROVENANCE_HEADERS: Bool.default('false'),
  SOURCE_CLUSTER_NAME: z.string().trim().min(1).max(200).optional(),
  OFFSET_MAP_TOPIC: z.string().trim().regex(/^[A-Za-z0-9._-]{1,249}$/, 'expected a Kafka topic name').default(DEFAULT_OFFSET_MAP_TOPIC),
  DLQ_TYPE: z.enum(['sqs', 'kafka'], { errorMap: () => ({ message: 'expected "sqs" or "kafka"' }) }).optional(),
  DLQ_URL: z.string().trim().url('expected an SQS queue URL').optional(),
  DLQ_TOPIC: z.string().trim().regex(/^[A-Za-z0-9._-]{1,249}$/, 'expected a Kafka topic name').optional(),
  DLQ_S3_BUCKET: z.string().trim().min(3).optional(),
  REPORT_BATCH_ITEM_FAILURES: Bool.default('false'),
  PARTITION_CONCURRENCY: Int(1, 64, 'a whole number').default('8'),
  TRANSACTION_TIMEOUT_MS: Int(1000, 900_000, 'milliseconds').default('120000'),
});

/**
 * Parse the bridge Lambda's environment (see functions/bridge/README.md). Every problem names the variable.
 *
 * @example
 * ```ts
 * const config = parseBridgeConfig(process.env); // at module start
 * ```
 */
export function parseBridgeConfig(env: Record<string, string | undefined>): BridgeConfig {
  const input: Record<string, string> = {};
  for (const key of Object.keys(Schema.shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') input[key] = value;
  }
  const v = parseConfig(Schema, input, 'bridge environment');
  if (v.TARGET_MSK_CLUSTER_ARN && env.TARGET_BOOTSTRAP_SERVERS) {
    throw new ConfigError('Give either TARGET_BOOTSTRAP_SERVERS or TARGET_MSK_CLUSTER_ARN, not both', { field: 'TARGET_MSK_CLUSTER_ARN' });
  }
  // With an MSK ARN the brokers are looked up at first invocation; a placeholder satisfies the parser.
  const target = parseKafkaConnectionEnv(
    'TARGET',
    v.TARGET_MSK_CLUSTER_ARN ? { ...env, TARGET_BOOTSTRAP_SERVERS: 'msk-cluster-arn:9098' } : env,
    { name: 'target' },
  );
  if (v.TARGET_MSK_CLUSTER_ARN) target.bootstrapServers = [];
  const source = env.SOURCE_BOOTSTRAP_SERVERS ? parseKafkaConnectionEnv('SOURCE', env, { name: 'source' }) : undefined;

  let deadLetter: BridgeDeadLetterConfig = { type: 'none' };
  if (v.DLQ_TYPE === 'sqs') {
    if (!v.DLQ_URL) throw new ConfigError('DLQ_URL is missing (expected the SQS queue URL for DLQ_TYPE=sqs)', { field: 'DLQ_URL' });
    deadLetter = { type: 'sqs', queueUrl: v.DLQ_URL, ...(v.DLQ_S3_BUCKET ? { s3Bucket: v.DLQ_S3_BUCKET } : {}) };
  } else if (v.DLQ_TYPE === 'kafka') {
    if (!v.DLQ_TOPIC) throw new ConfigError('DLQ_TOPIC is missing (expected a topic on the target for DLQ_TYPE=kafka)', { field: 'DLQ_TOPIC' });
    deadLetter = { type: 'kafka', topic: v.DLQ_TOPIC };
  } else if (v.DLQ_URL || v.DLQ_TOPIC) {
    throw new ConfigError('DLQ_TYPE is missing (expected "sqs" with DLQ_URL or "kafka" with DLQ_TOPIC)', { field: 'DLQ_TYPE' });
  }

  return {
    bridgeId: v.BRIDGE_ID,
    target,
    ...(v.TARGET_MSK_CLUSTER_ARN ? { targetMskClusterArn: v.TARGET_MSK_CLUSTER_ARN } : {}),
    ...(source ? { source } : {}),
    ...directionConfig(env),
    provenanceHeaders: v.PROVENANCE_HEADERS,
    ...(v.SOURCE_CLUSTER_NAME ? { sourceClusterName: v.SOURCE_CLUSTER_NAME } : {}),
    offsetMapTopic: v.OFFSET_MAP_TOPIC,
    deadLetter,
    reportBatchItemFailures: v.REPORT_BATCH_ITEM_FAILURES,
    concurrency: v.PARTITION_CONCURRENCY,
    transactionTimeoutMs: v.TRANSACTION_TIMEOUT_MS,
  };
}

function directionConfig(env: Record<string, string | undefined>): Pick<BridgeConfig, 'topicMapping' | 'direction' | 'targetClusterName'> {
  const d = parseBridgeDirection(env);
  return { topicMapping: d.topicMapping, direction: d.direction, ...(d.targetClusterName ? { targetClusterName: d.targetClusterName } : {}) };
}
