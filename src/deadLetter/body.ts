import type { KafkaBatch, SourceRecord } from '../event/types';
import { toBase64, utf8Length } from '../sinks/shape';

/**
 * The one dead-letter format of the bridge and the six sinks (documented in docs/dead-letters.md).
 * Each side keeps its own transport (Kafka topic, SQS with S3 offload, batched SQS); only the body is shared.
 */

/**
 * Why a record was dead-lettered, as a short machine code (`detail` carries the human explanation).
 * - `record-too-large`: bigger than the destination accepts (topic `max.message.bytes`, a service's entry limit).
 * - `null-key-on-compacted-topic`: the bridge's target topic is compacted and the record has no key.
 * - `rejected-by-broker`: the target broker refused this one record (e.g. `INVALID_TIMESTAMP`).
 * - `unshapeable`: a sink cannot turn the bytes into what the service carries (invalid UTF-8 or JSON,
 *   characters SQS/SNS refuse, no usable DynamoDB item key).
 */
export const DeadLetterReasons = ['record-too-large', 'null-key-on-compacted-topic', 'rejected-by-broker', 'unshapeable'] as const;
export type DeadLetterReason = (typeof DeadLetterReasons)[number];

/** Where the record was going: the bridge's target topic (`kafka`) or a sink's destination. */
export const DeadLetterDestinationKinds = ['kafka', 'sqs', 'sns', 'eventbridge', 'kinesis', 's3', 'dynamodb'] as const;
export type DeadLetterDestinationKind = (typeof DeadLetterDestinationKinds)[number];

export interface DeadLetterDestination {
  kind: DeadLetterDestinationKind;
  /** Topic name, queue URL, topic ARN, event bus, stream name or ARN, bucket, table. */
  name: string;
}

/** The JSON body of every dead letter. Payload bytes are base64; sizes are the original byte counts. */
export interface DeadLetterBody {
  kbridge: 'dead-letter';
  v: 2;
  reason: DeadLetterReason;
  /** Human explanation (broker error, sizes, the field that failed); never a payload or a secret. */
  detail: string;
  source: {
    /** Absent only when the writer did not know it; the bridge and the sinks always set it. */
    cluster?: string;
    topic: string;
    partition: number;
    /** Decimal string: offsets are never `number`. */
    offset: string;
    timestamp: number;
    timestampType: string;
  };
  destination: DeadLetterDestination;
  /** The inline payload is incomplete: `value` is a byte prefix, and `key`/`headers` may be null (dropped). */
  truncated: boolean;
  key: string | null;
  /** `null` for a null key. */
  keyBytes: number | null;
  value: string | null;
  /** `null` for a null value (tombstone). */
  valueBytes: number | null;
  /** `null` only when dropped by truncation (a record without headers has `[]`). */
  headers: Array<{ key: string; value: string }> | null;
  /** UTF-8 bytes of the header keys plus the bytes of their values. */
  headersBytes: number;
  /** Bridge SQS DLQ with `DLQ_S3_BUCKET`: the untruncated body is this S3 object. */
  payloadS3?: { bucket: string; key: string };
}

/** What a writer knows about one dead letter. */
export interface DeadLetterInput {
  record: SourceRecord;
  reason: DeadLetterReason;
  detail: string;
  sourceCluster?: string;
  destination: DeadLetterDestination;
}

/** Longest `detail` kept when even a body without payload does not fit. */
const MAX_DETAIL_WHEN_CUT = 1024;

/**
 * Build the body of one dead letter. When its JSON would exceed `maxBytes` (UTF-8), `truncated` is set
 * and the value is cut to whole base64 quanta (so it decodes to a byte prefix of the original); if that is
 * not enough, key and headers are dropped (the value gets the room back), then `detail` is cut. The
 * original sizes stay. Without `maxBytes` the body is complete.
 *
 * @example
 * ```ts
 * const body = buildDeadLetterBody(
 *   { record, reason: 'record-too-large', detail: 'record needs 2000000 bytes; orders accepts 1048588', sourceCluster: 'onprem', destination: { kind: 'kafka', name: 'orders' } },
 *   256 * 1024,
 * );
 * body.truncated; // true
 * ```
 */
export function buildDeadLetterBody(letter: DeadLetterInput, maxBytes = Number.POSITIVE_INFINITY): DeadLetterBody {
  const r = letter.record;
  const value = r.value === null ? null : toBase64(r.value);
  const body: DeadLetterBody = {
    kbridge: 'dead-letter',
    v: 2,
    reason: letter.reason,
    detail: letter.detail,
    source: {
      ...(letter.sourceCluster !== undefined ? { cluster: letter.sourceCluster } : {}),
      topic: r.topic,
      partition: r.partition,
      offset: r.offset.toString(),
      timestamp: r.timestamp,
      timestampType: r.timestampType,
    },
    destination: { kind: letter.destination.kind, name: letter.destination.name },
    truncated: false,
    key: r.key === null ? null : toBase64(r.key),
    keyBytes: r.key === null ? null : r.key.byteLength,
    value,
    valueBytes: r.value === null ? null : r.value.byteLength,
    headers: r.headers.map((h) => ({ key: h.key, value: toBase64(h.value) })),
    headersBytes: r.headers.reduce((n, h) => n + utf8Length(h.key) + h.value.byteLength, 0),
  };
  const size = (): number => utf8Length(JSON.stringify(body));
  if (size() <= maxBytes) return body;
  body.truncated = true;
  // Base64 is ASCII that JSON does not escape: one character is one byte of the body.
  const fitValue = (): void => {
    if (value === null) return;
    body.value = '';
    const room = maxBytes - size();
    body.value = room >= 4 ? value.slice(0, Math.floor(room / 4) * 4) : '';
  };
  fitValue();
  if (size() > maxBytes) {
    body.key = null;
    body.headers = null;
    fitValue();
  }
  if (size() > maxBytes) body.detail = body.detail.slice(0, MAX_DETAIL_WHEN_CUT);
  return body;
}

/**
 * The source cluster a dead letter names when no `SOURCE_CLUSTER_NAME` is configured: the MSK trigger's
 * cluster ARN, otherwise the event's bootstrap list.
 *
 * @example
 * ```ts
 * sourceClusterOf(batch); // 'arn:aws:kafka:…:cluster/source/…' or 'b-1:9092,b-2:9092'
 * ```
 */
export function sourceClusterOf(batch: Pick<KafkaBatch, 'eventSourceArn' | 'bootstrapServers'>, configuredName?: string): string {
  return configuredName ?? batch.eventSourceArn ?? batch.bootstrapServers.join(',');
}
