import { z } from 'zod';
import { parseConfig } from '../config/parse';
import { DefaultRetryOptions, type RetryOptions } from './batching';
import type { ItemKeySource } from './dynamodb';
import { DynamoDbItemAttributes, DynamoDbLimits, EventBridgeLimits, isFifoTopicArn, KinesisLimits, S3Limits, SnsLimits } from './limits';
import { KeyFormats, PayloadFormats, type KeyFormat, type PayloadFormat } from './shape';
import { isFifoQueueUrl, SqsLimits } from './sqsQueue';
import type { BatchLimits, SinkKind } from './types';

/** Settings every sink shares. */
export interface CommonSinkConfig {
  payloadFormat: PayloadFormat;
  keyFormat: KeyFormat;
  deadLetterQueueUrl?: string;
  /** `SOURCE_CLUSTER_NAME`: the cluster name in dead letters (default: the event's source ARN or bootstrap list). */
  sourceClusterName?: string;
  retry: RetryOptions;
  limits: BatchLimits;
}

export type SinkConfig = CommonSinkConfig &
  (
    | { kind: 'sqs'; queueUrl: string; fifo: boolean; messageGroup: 'partition' | 'key' }
    | { kind: 'sns'; topicArn: string; fifo: boolean; messageGroup: 'partition' | 'key' }
    | { kind: 'eventbridge'; eventBusName: string; source: string; detailType: string }
    | { kind: 'kinesis'; streamName?: string; streamArn?: string }
    | { kind: 's3'; bucket: string; keyPrefix: string }
    | { kind: 'dynamodb'; tableName: string; partitionKeyAttribute: string; sortKeyAttribute?: string; itemKey: ItemKeySource }
  );

const positiveInt = z.coerce.number().int().positive();
const nonEmpty = z.string().trim().min(1);

const CommonEnv = {
  PAYLOAD_FORMAT: z.enum(PayloadFormats).default('base64'),
  KEY_FORMAT: z.enum(KeyFormats).default('auto'),
  DLQ_URL: z.string().trim().url('expected the dead-letter SQS queue URL').optional(),
  MAX_ATTEMPTS: positiveInt.max(10).default(DefaultRetryOptions.maxAttempts),
  SOURCE_CLUSTER_NAME: z.string().trim().min(1).max(200).optional(),
  MAX_ENTRY_BYTES: positiveInt.optional(),
  MAX_REQUEST_BYTES: positiveInt.optional(),
};
const MessageGroup = z.enum(['partition', 'key']).default('partition');

/** Environment variables per sink kind (documented in src/sinks/README.md). Unknown variables are ignored. */
export const SinkEnvSchemas = {
  sqs: z.object({ ...CommonEnv, QUEUE_URL: z.string().trim().url('expected an SQS queue URL'), MESSAGE_GROUP: MessageGroup }),
  sns: z.object({
    ...CommonEnv,
    TOPIC_ARN: z.string().trim().regex(/^arn:[^:]+:sns:[^:]*:[^:]*:.+$/, 'expected an SNS topic ARN'),
    MESSAGE_GROUP: MessageGroup,
  }),
  eventbridge: z.object({
    ...CommonEnv,
    EVENT_BUS_NAME: nonEmpty.default('default'),
    EVENT_SOURCE: nonEmpty.max(256).refine((s) => !s.startsWith('aws.'), 'must not start with "aws." (reserved by AWS)').default('kafka-msk-bridge'),
    DETAIL_TYPE: nonEmpty.max(128).default('Kafka Record'),
  }),
  kinesis: z
    .object({ ...CommonEnv, STREAM_NAME: nonEmpty.optional(), STREAM_ARN: nonEmpty.optional() })
    .refine((e) => e.STREAM_NAME !== undefined || e.STREAM_ARN !== undefined, { message: 'set STREAM_NAME or STREAM_ARN', path: ['STREAM_NAME'] }),
  s3: z.object({ ...CommonEnv, BUCKET: nonEmpty, KEY_PREFIX: z.string().trim().default('') }),
  dynamodb: z
    .object({
      ...CommonEnv,
      TABLE_NAME: nonEmpty,
      PARTITION_KEY_ATTRIBUTE: nonEmpty.default('pk'),
      SORT_KEY_ATTRIBUTE: nonEmpty.optional(),
      ITEM_KEY: z
        .string()
        .trim()
        .regex(/^(coordinates|kafka-key|value:[^.\s]+(\.[^.\s]+)*)$/, 'expected "coordinates", "kafka-key" or "value:<field>[.<field>...]"')
        .default('coordinates'),
    })
    .refine((e) => !(DynamoDbItemAttributes as readonly string[]).includes(e.PARTITION_KEY_ATTRIBUTE), {
      message: `must not be one of the item's own attributes (${DynamoDbItemAttributes.join(', ')})`,
      path: ['PARTITION_KEY_ATTRIBUTE'],
    })
    .refine((e) => e.SORT_KEY_ATTRIBUTE === undefined || (e.ITEM_KEY === 'coordinates' && !(DynamoDbItemAttributes as readonly string[]).includes(e.SORT_KEY_ATTRIBUTE)), {
      message: 'a sort key is only supported with ITEM_KEY=coordinates and must not be one of the item\'s own attributes',
      path: ['SORT_KEY_ATTRIBUTE'],
    })
    .refine((e) => !e.ITEM_KEY.startsWith('value:') || e.PAYLOAD_FORMAT === 'json', {
      message: 'ITEM_KEY=value:<field> needs PAYLOAD_FORMAT=json',
      path: ['ITEM_KEY'],
    }),
} as const;

const DefaultLimits: Record<SinkKind, BatchLimits> = {
  sqs: SqsLimits,
  sns: SnsLimits,
  eventbridge: EventBridgeLimits,
  kinesis: KinesisLimits,
  s3: S3Limits,
  dynamodb: DynamoDbLimits,
};

/**
 * Parse one sink's environment (at the edge: handler module start). Errors name every bad variable.
 *
 * @example
 * ```ts
 * const config = parseSinkConfig('sqs', process.env); // ConfigError "QUEUE_URL is missing (expected string)" when unset
 * ```
 */
export function parseSinkConfig(kind: SinkKind, env: Record<string, string | undefined>): SinkConfig {
  // An empty variable means "not set", as in serverless.yml `${env:X, ''}` fallbacks.
  const input = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const e = parseConfig(SinkEnvSchemas[kind] as z.ZodTypeAny, input, `environment of sink-${kind}`) as Record<string, string | number | undefined>;
  const defaults = DefaultLimits[kind];
  const common: CommonSinkConfig = {
    payloadFormat: e.PAYLOAD_FORMAT as PayloadFormat,
    keyFormat: e.KEY_FORMAT as KeyFormat,
    ...(e.DLQ_URL ? { deadLetterQueueUrl: e.DLQ_URL as string } : {}),
    ...(e.SOURCE_CLUSTER_NAME ? { sourceClusterName: e.SOURCE_CLUSTER_NAME as string } : {}),
    retry: { ...DefaultRetryOptions, maxAttempts: e.MAX_ATTEMPTS as number },
    limits: {
      maxEntries: defaults.maxEntries,
      maxEntryBytes: (e.MAX_ENTRY_BYTES as number | undefined) ?? defaults.maxEntryBytes,
      maxRequestBytes: (e.MAX_REQUEST_BYTES as number | undefined) ?? defaults.maxRequestBytes,
    },
  };
  const str = (name: string): string => e[name] as string;
  switch (kind) {
    case 'sqs':
      return { ...common, kind, queueUrl: str('QUEUE_URL'), fifo: isFifoQueueUrl(str('QUEUE_URL')), messageGroup: str('MESSAGE_GROUP') as 'partition' | 'key' };
    case 'sns':
      return { ...common, kind, topicArn: str('TOPIC_ARN'), fifo: isFifoTopicArn(str('TOPIC_ARN')), messageGroup: str('MESSAGE_GROUP') as 'partition' | 'key' };
    case 'eventbridge':
      return { ...common, kind, eventBusName: str('EVENT_BUS_NAME'), source: str('EVENT_SOURCE'), detailType: str('DETAIL_TYPE') };
    case 'kinesis':
      return { ...common, kind, ...(e.STREAM_NAME ? { streamName: str('STREAM_NAME') } : {}), ...(e.STREAM_ARN ? { streamArn: str('STREAM_ARN') } : {}) };
    case 's3':
      return { ...common, kind, bucket: str('BUCKET'), keyPrefix: str('KEY_PREFIX') };
    case 'dynamodb': {
      const itemKeyText = str('ITEM_KEY');
      const itemKey: ItemKeySource = itemKeyText.startsWith('value:')
        ? { kind: 'value-field', path: itemKeyText.slice('value:'.length).split('.') }
        : { kind: itemKeyText as 'coordinates' | 'kafka-key' };
      return {
        ...common,
        kind,
        tableName: str('TABLE_NAME'),
        partitionKeyAttribute: str('PARTITION_KEY_ATTRIBUTE'),
        ...(e.SORT_KEY_ATTRIBUTE ? { sortKeyAttribute: str('SORT_KEY_ATTRIBUTE') } : {}),
        itemKey,
      };
    }
  }
}
