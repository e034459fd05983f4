/**
 * The Lambda Kafka event, exactly as AWS delivers it (self-managed Apache Kafka and Amazon MSK triggers),
 * and its decoded, byte-exact form used by the core.
 *
 * Wire facts (AWS docs, "Using Lambda with self-managed Apache Kafka" / "with Amazon MSK"):
 * - `records` is keyed `"<topic>-<partition>"`; topic names may themselves contain `-`.
 * - `key`/`value` are base64; either may be absent or null. Keys are bytes, not necessarily UTF-8.
 * - `headers` is an array of single-key objects whose values are arrays of *signed* Java bytes (-128..127).
 * - `offset` and `timestamp` arrive as JSON numbers; offsets are converted to bigint on decode.
 */

export type TimestampType = 'CREATE_TIME' | 'LOG_APPEND_TIME';

/** One record as it appears on the wire. */
export interface WireKafkaRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  timestampType: TimestampType | string;
  key?: string | null;
  value?: string | null;
  headers: Array<Record<string, number[]>>;
}

/** The whole event on the wire. */
export interface WireKafkaEvent {
  eventSource: 'SelfManagedKafka' | 'aws:kafka';
  /** Only for Amazon MSK triggers. */
  eventSourceArn?: string;
  bootstrapServers: string;
  records: Record<string, WireKafkaRecord[]>;
}

/** One Kafka header, bytes kept exactly. Headers may repeat a key; order is kept. */
export interface RecordHeader {
  key: string;
  value: Uint8Array;
}

/** A decoded record: bytes are bytes, offsets are bigint. */
export interface SourceRecord {
  topic: string;
  partition: number;
  offset: bigint;
  /** Epoch milliseconds. */
  timestamp: number;
  timestampType: TimestampType;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: RecordHeader[];
}

/** A decoded event: one entry per source topic-partition, records in offset order as delivered. */
export interface KafkaBatch {
  eventSource: 'SelfManagedKafka' | 'aws:kafka';
  eventSourceArn?: string;
  bootstrapServers: string[];
  partitions: PartitionBatch[];
}

export interface PartitionBatch {
  topic: string;
  partition: number;
  records: SourceRecord[];
}

/** Kafka partial-batch response (Lambda `FunctionResponseTypes: ReportBatchItemFailures`). */
export interface KafkaBatchResponse {
  batchItemFailures: Array<{ itemIdentifier: { partition: string; offset: number | string } }>;
}
