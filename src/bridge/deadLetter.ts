import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { AwsServiceError, DeliveryError } from '../errors';
import { buildDeadLetterBody, type DeadLetterBody, type DeadLetterReason } from '../deadLetter/body';
import type { SourceRecord } from '../event/types';
import type { KafkaTransaction } from '../kafka/port';

/** One record the bridge could not write to the target, with where it came from and why. */
export interface DeadLetter {
  record: SourceRecord;
  sourceCluster: string;
  targetTopic: string;
  reason: Extract<DeadLetterReason, 'record-too-large' | 'null-key-on-compacted-topic' | 'rejected-by-broker'>;
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
  deliver(letters: readonly DeadLetter[], txn: KafkaTransaction): Promise<void>;
}

/** The shared dead-letter body of one bridge dead letter, cut to `maxBytes` (complete without it). */
function bridgeDeadLetterBody(letter: DeadLetter, maxBytes?: number): DeadLetterBody {
  const { record, reason, detail, sourceCluster, targetTopic } = letter;
  return buildDeadLetterBody({ record, reason, detail, sourceCluster, destination: { kind: 'kafka', name: targetTopic } }, maxBytes);
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
      await txn.send(
        options.topic,
        letters.map((l) => ({ key: deadLetterKey(l), value: JSON.stringify(bridgeDeadLetterBody(l, maxBytes)) })),
      );
    },
  };
}

/** SQS allows 256 KiB per message body (the historical limit, which moto enforces too). */
export const SQS_MAX_BODY_BYTES = 256 * 1024;

/**
 * A dead-letter SQS queue. A body too big for SQS is cut (`truncated: true`, original sizes kept); when a bucket
 * is given, the complete body is stored in S3 first and the message carries `payloadS3`.
 *
 * @example
 * ```ts
 * const dlq = sqsDeadLetterSink({ sqs: new SQSClient(aws.client), queueUrl, s3: { client: new S3Client(aws.s3), bucket } });
 * ```
 */
export function sqsDeadLetterSink(options: {
  /** A client, or a getter that creates it on first use (the Lambda: dead letters are its rare path, issue 15). */
  sqs: SQSClient | (() => Promise<SQSClient>);
  queueUrl: string;
  s3?: { client: S3Client | (() => Promise<S3Client>); bucket: string; prefix?: string };
}): DeadLetterSink {
  return {
    kind: 'sqs',
    async deliver(letters) {
      for (const letter of letters) {
        // 1 KiB of room for `payloadS3`.
        let body = bridgeDeadLetterBody(letter, SQS_MAX_BODY_BYTES - 1024);
        try {
          if (body.truncated && options.s3) {
            const key = `${options.s3.prefix ?? 'kbridge-dead-letters/'}${deadLetterKey(letter)}.json`;
            const [{ PutObjectCommand }, s3] = await Promise.all([import('../adapters/aws/sdk/s3'), clientOf(options.s3.client)]);
            await s3.send(
              new PutObjectCommand({ Bucket: options.s3.bucket, Key: key, Body: JSON.stringify(bridgeDeadLetterBody(letter)), ContentType: 'application/json' }),
            );
            body = { ...body, payloadS3: { bucket: options.s3.bucket, key } };
          }
          const [{ SendMessageCommand }, sqs] = await Promise.all([import('../adapters/aws/sdk/sqs'), clientOf(options.sqs)]);
          await sqs.send(new SendMessageCommand({ QueueUrl: options.queueUrl, MessageBody: JSON.stringify(body) }));
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

const clientOf = <C>(client: C | (() => Promise<C>)): Promise<C> => (typeof client === 'function' ? (client as () => Promise<C>)() : Promise.resolve(client));

/** Raised when poison records appear and no dead-letter destination is configured: never drop silently. */
export function noDeadLetterSinkError(letters: readonly DeadLetter[]): DeliveryError {
  const first = letters[0];
  return new DeliveryError(
    `${letters.length} record(s) cannot be replicated (first: ${first ? `${deadLetterKey(first)}: ${first.reason}, ${first.detail}` : '?'}) and no dead-letter destination is configured (set DLQ_TYPE and DLQ_URL or DLQ_TOPIC)`,
    { retriable: false, topic: first?.record.topic, partition: first?.record.partition, offset: first?.record.offset.toString() },
  );
}
