import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Transaction } from 'kafkajs';
import { AwsServiceError, DeliveryError } from '../errors';
import type { SourceRecord } from '../event/types';

/** Why a record could not be replicated. */
export type DeadLetterReason = 'record-too-large' | 'null-key-on-compacted-topic' | 'rejected-by-broker';

/** One record the bridge could not write to the target, with where it came from and why. */
export interface DeadLetter {
  record: SourceRecord;
  sourceCluster: string;
  targetTopic: string;
  reason: DeadLetterReason;
  /** A human explanation (broker error, sizes); never a payload or secret. */
  detail: string;
}

/**
 * Where dead letters go. A Kafka sink on the target adds them to the bridge's own transaction (exactly once
 * with the batch); an SQS sink delivers them before the transaction commits (at least once: a batch retried
 * after a failed commit sends them again, with the same source coordinates to de-duplicate on).
 */
export interface DeadLetterSink {
  readonly kind: 'sqs' | 'kafka';
  /** For `kafka`: the topic, so the bridge can make sure it exists. */
  readonly topic?: string;
  deliver(letters: readonly DeadLetter[], txn: Transaction): Promise<void>;
}

/** The JSON body of a dead letter (both sinks). Payload bytes are base64. */
export interface DeadLetterBody {
  kbridge: 'dead-letter';
  v: 1;
  reason: DeadLetterReason;
  detail: string;
  source: { cluster: string; topic: string; partition: number; offset: string; timestamp: number; timestampType: string };
  targetTopic: string;
  /** True when the payload did not fit and is neither inline nor in S3. */
  truncated: boolean;
  payloadBytes: number;
  key: string | null;
  value: string | null;
  headers: Array<{ key: string; value: string }> | null;
  payloadS3?: { bucket: string; key: string };
}

const b64 = (u: Uint8Array | null): string | null => (u === null ? null : Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('base64'));

/**
 * Build the dead-letter body; when the JSON would exceed `maxBytes`, the payload is left out and
 * `truncated: true` set (the caller may store it elsewhere and set `payloadS3`).
 *
 * @example
 * ```ts
 * const { body, full } = buildDeadLetterBody(letter, 256 * 1024);
 * ```
 */
export function buildDeadLetterBody(letter: DeadLetter, maxBytes: number): { body: DeadLetterBody; full: DeadLetterBody; fits: boolean } {
  const r = letter.record;
  const payloadBytes =
    (r.key?.byteLength ?? 0) + (r.value?.byteLength ?? 0) + r.headers.reduce((n, h) => n + h.key.length + h.value.byteLength, 0);
  const full: DeadLetterBody = {
    kbridge: 'dead-letter',
    v: 1,
    reason: letter.reason,
    detail: letter.detail,
    source: {
      cluster: letter.sourceCluster,
      topic: r.topic,
      partition: r.partition,
      offset: r.offset.toString(),
      timestamp: r.timestamp,
      timestampType: r.timestampType,
    },
    targetTopic: letter.targetTopic,
    truncated: false,
    payloadBytes,
    key: b64(r.key),
    value: b64(r.value),
    headers: r.headers.map((h) => ({ key: h.key, value: b64(h.value) ?? '' })),
  };
  if (Buffer.byteLength(JSON.stringify(full), 'utf8') <= maxBytes) return { body: full, full, fits: true };
  return { body: { ...full, truncated: true, key: null, value: null, headers: null }, full, fits: false };
}

/** The dead-letter message key: the source coordinates, so duplicates from retried batches are recognisable. */
export function deadLetterKey(letter: DeadLetter): string {
  return `${letter.sourceCluster}/${letter.record.topic}/${letter.record.partition}/${letter.record.offset.toString()}`;
}

/**
 * A dead-letter topic on the target cluster, written inside the bridge transaction.
 *
 * @example
 * ```ts
 * const dlq = kafkaDeadLetterSink({ topic: 'orders.dlq' });
 * ```
 */
export function kafkaDeadLetterSink(options: { topic: string; maxMessageBytes?: number }): DeadLetterSink {
  const maxBytes = options.maxMessageBytes ?? 900 * 1024;
  return {
    kind: 'kafka',
    topic: options.topic,
    async deliver(letters, txn) {
      if (letters.length === 0) return;
      await txn.send({
        topic: options.topic,
        acks: -1,
        messages: letters.map((l) => ({ key: deadLetterKey(l), value: JSON.stringify(buildDeadLetterBody(l, maxBytes).body) })),
      });
    },
  };
}

/** SQS allows 256 KiB per message body (the historical limit, which moto enforces too). */
export const SQS_MAX_BODY_BYTES = 256 * 1024;

/**
 * A dead-letter SQS queue. Payloads too big for SQS go to S3 when a bucket is given (the message carries
 * `payloadS3`), otherwise the message says `truncated: true` and carries the coordinates and sizes.
 *
 * @example
 * ```ts
 * const dlq = sqsDeadLetterSink({ sqs: new SQSClient(aws.client), queueUrl, s3: { client: new S3Client(aws.s3), bucket } });
 * ```
 */
export function sqsDeadLetterSink(options: {
  sqs: SQSClient;
  queueUrl: string;
  s3?: { client: S3Client; bucket: string; prefix?: string };
}): DeadLetterSink {
  return {
    kind: 'sqs',
    async deliver(letters) {
      for (const letter of letters) {
        const built = buildDeadLetterBody(letter, SQS_MAX_BODY_BYTES - 1024);
        let body = built.body;
        const { full, fits } = built;
        try {
          if (!fits && options.s3) {
            const key = `${options.s3.prefix ?? 'kbridge-dead-letters/'}${deadLetterKey(letter)}.json`;
            await options.s3.client.send(
              new PutObjectCommand({ Bucket: options.s3.bucket, Key: key, Body: JSON.stringify(full), ContentType: 'application/json' }),
            );
            body = { ...body, payloadS3: { bucket: options.s3.bucket, key } };
          }
          await options.sqs.send(new SendMessageCommand({ QueueUrl: options.queueUrl, MessageBody: JSON.stringify(body) }));
        } catch (err) {
          throw new AwsServiceError(`Could not dead-letter ${deadLetterKey(letter)} to SQS ${options.queueUrl}: ${(err as Error).message}`, {
            cause: err,
            retriable: true,
            topic: letter.record.topic,
            partition: letter.record.partition,
            offset: letter.record.offset.toString(),
          });
        }
      }
    },
  };
}

/** Raised when poison records appear and no dead-letter destination is configured: never drop silently. */
export function noDeadLetterSinkError(letters: readonly DeadLetter[]): DeliveryError {
  const first = letters[0];
  return new DeliveryError(
    `${letters.length} record(s) cannot be replicated (first: ${first ? `${deadLetterKey(first)}: ${first.reason}, ${first.detail}` : '?'}) and no dead-letter destination is configured (set DLQ_TYPE and DLQ_URL or DLQ_TOPIC)`,
    { retriable: false, topic: first?.record.topic, partition: first?.record.partition, offset: first?.record.offset.toString() },
  );
}
