import type { SQSClient } from '@aws-sdk/client-sqs';
import { clientOf, lazyClient, lazyModule, type ClientSource } from '../adapters/aws/lazy';
import type { KafkaBatch } from '../event/types';
import type { SinkAdapter } from './deliver';
import { batchEntryId, buildMessages, outcomesFromBatchResult, type Message, type MessageOptions } from './messages';
import type { BatchLimits, Entry, EntryOutcome, SinkDestination } from './types';

// The queue facts live apart from the SDK calls: config.ts and the dead-letter queue need them in every sink's
// bundle, the SQS client only in sink-sqs's (and, loaded when a dead letter is sent, in the others').
export { isFifoQueueUrl, SqsLimits } from './sqsQueue';

export interface SqsSinkOptions extends MessageOptions {
  queueUrl: string;
  limits: BatchLimits;
}

// Loaded at the first send, not at module init (a chunk of its own: docs/deploy.md, "Lean bundles").
const sqsSdk = lazyModule(() => import('../adapters/aws/sdk/sqs'));

/**
 * Send one SendMessageBatch request; one outcome per entry. `SenderFault: false` entries are retriable.
 *
 * @example
 * ```ts
 * const outcomes = await sendSqsBatch(sqs, queueUrl, entries);
 * ```
 */
export async function sendSqsBatch(client: SQSClient, queueUrl: string, entries: Entry<Message>[]): Promise<EntryOutcome[]> {
  const { SendMessageBatchCommand } = await sqsSdk();
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
export function createSqsAdapter(options: SqsSinkOptions, client: ClientSource<SQSClient>): SinkAdapter<Message> {
  return {
    kind: 'sqs',
    limits: options.limits,
    prepare: (batch: KafkaBatch) => buildMessages(batch, options),
    send: async (entries) => sendSqsBatch(await clientOf(client), options.queueUrl, entries),
  };
}

/** @example `createSinkLambda(sqsDestination, process.env)` */
export const sqsDestination: SinkDestination<'sqs'> = {
  kind: 'sqs',
  open(config, aws, clients) {
    const client = lazyClient(async () => new (await sqsSdk()).SQSClient(aws.client), clients.sqs);
    return { adapter: createSqsAdapter(config, client.get) as SinkAdapter<unknown>, client, sqs: client };
  },
};
