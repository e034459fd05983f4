import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { KafkaBatch } from '../event/types';
import type { SinkAdapter } from './deliver';
import { batchEntryId, buildMessages, outcomesFromBatchResult, type Message, type MessageOptions } from './messages';
import type { BatchLimits, Entry, EntryOutcome } from './types';

/**
 * SQS SendMessageBatch limits: 10 messages; 1 MiB (1,048,576 bytes) per message and per request —
 * raised from 256 KiB in 2025 (SendMessageBatch API reference, SDK 3.11xx docs). A queue whose
 * `MaximumMessageSize` is lower needs `MAX_ENTRY_BYTES`/`MAX_REQUEST_BYTES` set to match.
 */
export const SqsLimits: BatchLimits = { maxEntries: 10, maxRequestBytes: 1_048_576, maxEntryBytes: 1_048_576 };

export interface SqsSinkOptions extends MessageOptions {
  queueUrl: string;
  limits: BatchLimits;
}

/** FIFO queues end in `.fifo` (SQS requires the suffix). */
export function isFifoQueueUrl(queueUrl: string): boolean {
  return queueUrl.endsWith('.fifo');
}

/**
 * Send one SendMessageBatch request; one outcome per entry. `SenderFault: false` entries are retriable.
 *
 * @example
 * ```ts
 * const outcomes = await sendSqsBatch(sqs, queueUrl, entries);
 * ```
 */
export async function sendSqsBatch(client: SQSClient, queueUrl: string, entries: Entry<Message>[]): Promise<EntryOutcome[]> {
  const response = await client.send(
    new SendMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: entries.map(({ payload }, i) => ({
        Id: batchEntryId(i),
        MessageBody: payload.body,
        MessageAttributes: payload.attributes,
        ...(payload.groupId ? { MessageGroupId: payload.groupId } : {}),
        ...(payload.deduplicationId ? { MessageDeduplicationId: payload.deduplicationId } : {}),
      })),
    }),
  );
  return outcomesFromBatchResult(entries.length, response.Failed, response.Successful);
}

/**
 * The SQS sink adapter: one message per record, body = shaped value, Kafka coordinates/key/headers as
 * message attributes, FIFO group and deduplication ids from the source.
 *
 * @example
 * ```ts
 * const adapter = createSqsAdapter({ queueUrl, fifo: isFifoQueueUrl(queueUrl), messageGroup: 'key', payloadFormat: 'json', limits: SqsLimits }, sqs);
 * ```
 */
export function createSqsAdapter(options: SqsSinkOptions, client: SQSClient): SinkAdapter<Message> {
  return {
    kind: 'sqs',
    limits: options.limits,
    prepare: (batch: KafkaBatch) => buildMessages(batch, options),
    send: (entries) => sendSqsBatch(client, options.queueUrl, entries),
  };
}
