import type { BatchLimits } from './types';

// The facts about each destination service that sink configuration needs (src/sinks/config.ts) apart from the
// adapters: every sink's bundle parses its config with them, while an adapter module loads its SDK client (a chunk of
// its own). An adapter module imported only for a constant would bring that chunk into every sink's zip. SQS's are in
// ./sqsQueue, which the dead-letter queue shares. Each adapter module re-exports its own.

/**
 * EventBridge PutEvents limits: 10 entries; the total entry size must stay under 1 MB — raised from
 * 256 KiB in January 2026 (PutEvents API reference). Set `MAX_ENTRY_BYTES`/`MAX_REQUEST_BYTES` to
 * 262144 for a bus or Region that still has the old limit.
 */
export const EventBridgeLimits: BatchLimits = { maxEntries: 10, maxRequestBytes: 1_048_575, maxEntryBytes: 1_048_575 };

/**
 * Kinesis PutRecords limits: 500 records per request. Per record (data + partition key) the stream's
 * `MaxRecordSizeInKiB` applies: 1 MiB by default, up to 10 MiB if raised; per request the documented
 * limit is now 10 MiB (was 5 MiB, which moto still enforces). Defaults stay at 1 MiB / 5 MiB, which
 * every stream accepts; raise them with `MAX_ENTRY_BYTES`/`MAX_REQUEST_BYTES`.
 */
export const KinesisLimits: BatchLimits = { maxEntries: 500, maxRequestBytes: 5 * 1_048_576, maxEntryBytes: 1_048_576 };

/** One PutObject per request; a single PUT takes up to 5 GiB, far above any Lambda batch (6 MB payload). */
export const S3Limits: BatchLimits = { maxEntries: 1, maxRequestBytes: 5 * 1024 ** 3, maxEntryBytes: 5 * 1024 ** 3 };

/**
 * SNS PublishBatch limits: 10 messages; by default 256 KiB (262,144 bytes) per message and per request,
 * body and attributes included. A topic's `MaximumMessageSize` may raise that to 1 MiB; then set
 * `MAX_ENTRY_BYTES`/`MAX_REQUEST_BYTES` to match (PublishBatch API reference).
 */
export const SnsLimits: BatchLimits = { maxEntries: 10, maxRequestBytes: 262_144, maxEntryBytes: 262_144 };

/** FIFO topics end in `.fifo`. */
export function isFifoTopicArn(topicArn: string): boolean {
  return topicArn.endsWith('.fifo');
}

/**
 * DynamoDB BatchWriteItem limits: 25 put/delete requests, 16 MB per request, 400 KB per item
 * (BatchWriteItem API reference). Item sizes are estimated by DynamoDB's rules, rounding up.
 */
export const DynamoDbLimits: BatchLimits = { maxEntries: 25, maxRequestBytes: 16 * 1024 * 1024, maxEntryBytes: 400 * 1024 };

/** Attribute names every item carries; key attributes must not reuse them. */
export const DynamoDbItemAttributes = ['topic', 'partition', 'offset', 'timestamp', 'timestampType', 'key', 'value', 'headers'] as const;
