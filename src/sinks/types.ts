import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { AwsClientConfig } from '../adapters/aws/clientConfig';
import type { LazyClient } from '../adapters/aws/lazy';
import type { DeadLetterReason } from '../deadLetter/body';
import type { BatchItemFailure } from '../event/codec';
import type { KafkaBatch, SourceRecord } from '../event/types';
import type { SinkConfig } from './config';
import type { SinkAdapter } from './deliver';

/**
 * The shared batch model of every AWS-service sink (SQS, SNS, EventBridge, Kinesis, S3, DynamoDB).
 *
 * A sink receives one decoded Lambda Kafka batch and answers, for every record, what happened to it.
 * Nothing is dropped silently: a record is either delivered, dead-lettered (with a reason, to the DLQ),
 * or failed — and a failed record becomes a Kafka partial-batch failure, so Lambda redelivers it.
 */

/** What happened to one source record. */
export type RecordOutcome =
  | { status: 'delivered' }
  | { status: 'dead-lettered'; reason: string }
  | { status: 'failed'; retriable: boolean; reason: string };

/** One record's coordinates and outcome. `offset` is a bigint, as everywhere in the core. */
export interface RecordResult {
  topic: string;
  partition: number;
  offset: bigint;
  outcome: RecordOutcome;
}

/** The earliest failed offset of one source partition: Lambda redelivers that partition from there. */
export type PartitionFailure = BatchItemFailure;

/** Counts for logs and metrics. Records after a partition's earliest failure count as `redelivered`, not done. */
export interface SinkCounts {
  delivered: number;
  deadLettered: number;
  failed: number;
  /** Delivered or dead-lettered, but after an earlier failure in the same partition: Lambda sends them again. */
  redelivered: number;
}

export interface SinkResult {
  /** One entry per input record, in input order (partition by partition, offset order). */
  records: RecordResult[];
  /** Earliest failed offset per partition (empty when everything is done). */
  failures: PartitionFailure[];
  counts: SinkCounts;
}

/** A sink delivers a decoded Kafka batch to one destination. */
export interface Sink {
  /** `sqs`, `sns`, `eventbridge`, `kinesis`, `s3`, `dynamodb`. */
  readonly kind: SinkKind;
  deliver(batch: KafkaBatch): Promise<SinkResult>;
}

export const SinkKinds = ['sqs', 'sns', 'eventbridge', 'kinesis', 's3', 'dynamodb'] as const;
export type SinkKind = (typeof SinkKinds)[number];

/**
 * One unit the destination accepts or rejects as a whole: a message/event/record/item for most
 * services (one source record), or one S3 object (all records of one source partition batch).
 */
export interface Entry<P> {
  records: SourceRecord[];
  /** The service-specific request entry. */
  payload: P;
  /** Size as the service counts it against its per-entry and per-request limits. */
  bytes: number;
  /** Entries with the same conflict key must not share one request (DynamoDB rejects duplicate keys in a batch). */
  conflictKey?: string;
}

/** A record the sink cannot send (too big, unshapeable) and hands to the dead-letter queue. */
export interface Reject {
  record: SourceRecord;
  /** Human text: what was wrong and what was expected. */
  reason: string;
  /** The dead letter's machine code; `unshapeable` when absent. */
  code?: DeadLetterReason;
}

/** The destination's answer for one entry of a request. */
export type EntryOutcome = { ok: true } | { ok: false; retriable: boolean; reason: string };

/** Count and byte limits of one service's batch API. */
export interface BatchLimits {
  maxEntries: number;
  maxRequestBytes: number;
  maxEntryBytes: number;
}

/** Ready-made SDK clients, e.g. stubs in unit tests; whatever is missing is created from `aws`. */
export interface SinkClients {
  sqs?: SQSClient;
  sns?: SNSClient;
  eventBridge?: EventBridgeClient;
  kinesis?: KinesisClient;
  s3?: S3Client;
  dynamoDb?: DynamoDBClient;
}

/**
 * A destination's adapter over its own SDK client. The client is created at the adapter's first send (module init
 * loads no SDK client); `client.destroy()` destroys it only when it was created here, not when given in `SinkClients`.
 */
export interface OpenedDestination {
  adapter: SinkAdapter<unknown>;
  client: LazyClient<{ destroy(): void }>;
  /** The SQS sink's client, which its dead-letter queue shares. */
  sqs?: LazyClient<SQSClient>;
}

/**
 * One destination kind and how to open it, exported by its adapter module (`sqsDestination` from `./sqs`, …). A
 * `functions/sink-<kind>` imports only its own, so that its bundle carries one SDK client; `sinkDestinations`
 * (`./destinations`) lists all six for the CLI and tests.
 */
export interface SinkDestination<K extends SinkKind = SinkKind> {
  readonly kind: K;
  open(config: Extract<SinkConfig, { kind: K }>, aws: AwsClientConfig, clients: SinkClients): OpenedDestination;
}
