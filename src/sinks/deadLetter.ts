import type { SQSClient } from '@aws-sdk/client-sqs';
import { clientOf, type ClientSource } from '../adapters/aws/lazy';
import { buildDeadLetterBody, type DeadLetterDestination } from '../deadLetter/body';
import { partitionKey } from '../event/codec';
import { fifoId } from './attributes';
import type { SinkConfig } from './config';
import { chunkEntries, sendWithRetry, type RetryOptions } from './batching';
import type { DeadLetterPort } from './deliver';
import type { Message } from './messages';
import { coordinatesOf, utf8Length } from './shape';
import { isFifoQueueUrl, SqsLimits } from './sqsQueue';
import type { BatchLimits, Entry, EntryOutcome, Reject } from './types';

/**
 * Where a sink delivers, as dead letters name it: the queue URL, topic ARN, event bus, stream, bucket
 * (with the key prefix) or table.
 *
 * @example
 * ```ts
 * sinkDestination(parseSinkConfig('sns', process.env)); // { kind: 'sns', name: 'arn:aws:sns:eu-west-1:123456789012:orders' }
 * ```
 */
export function sinkDestination(config: SinkConfig): DeadLetterDestination {
  switch (config.kind) {
    case 'sqs':
      return { kind: config.kind, name: config.queueUrl };
    case 'sns':
      return { kind: config.kind, name: config.topicArn };
    case 'eventbridge':
      return { kind: config.kind, name: config.eventBusName };
    case 'kinesis':
      return { kind: config.kind, name: config.streamArn ?? config.streamName ?? '' };
    case 's3':
      return { kind: config.kind, name: `s3://${config.bucket}/${config.keyPrefix}` };
    case 'dynamodb':
      return { kind: config.kind, name: config.tableName };
  }
}

/**
 * A dead-letter queue on SQS: one message per reject in the shared format (`buildDeadLetterBody`, cut to the
 * queue's entry limit; docs/dead-letters.md), sent with the same
 * batching and retry loop as the sinks; on a FIFO DLQ grouped per source partition and deduplicated by
 * source coordinates.
 *
 * @example
 * ```ts
 * const deadLetter = createSqsDeadLetterQueue(sqs, config.deadLetterQueueUrl, { retry: config.retry, destination: sinkDestination(config) });
 * ```
 *
 * `client` may be a getter, so that a sink whose destination is not SQS loads the SQS client only when a dead
 * letter is sent (`src/sinks/open.ts`).
 */
export function createSqsDeadLetterQueue(
  client: ClientSource<SQSClient>,
  queueUrl: string,
  options: { retry: RetryOptions; destination: DeadLetterDestination; limits?: BatchLimits },
): DeadLetterPort {
  const limits = options.limits ?? SqsLimits;
  const fifo = isFifoQueueUrl(queueUrl);
  return {
    async send(rejects: Reject[], sourceCluster: string): Promise<EntryOutcome[]> {
      const entries: Entry<Message>[] = rejects.map(({ record, reason, code }) => {
        const letter = { record, reason: code ?? 'unshapeable', detail: reason, sourceCluster, destination: options.destination } as const;
        const body = JSON.stringify(buildDeadLetterBody(letter, limits.maxEntryBytes));
        const message: Message = { body, attributes: {} };
        if (fifo) {
          message.groupId = fifoId(partitionKey(record.topic, record.partition));
          message.deduplicationId = fifoId(coordinatesOf(record));
        }
        return { records: [record], payload: message, bytes: utf8Length(body) };
      });
      const outcomes = new Map<Entry<Message>, EntryOutcome>();
      // The same module as the SQS sink's (a chunk of its own in the other sinks' bundles).
      const [{ sendSqsBatch }, sqs] = await Promise.all([import('./sqs'), clientOf(client)]);
      for (const chunk of chunkEntries(entries, limits)) {
        const results = await sendWithRetry(chunk, (batch) => sendSqsBatch(sqs, queueUrl, batch), options.retry);
        chunk.forEach((entry, i) => outcomes.set(entry, results[i] as EntryOutcome));
      }
      return entries.map((e) => outcomes.get(e) as EntryOutcome);
    },
  };
}
