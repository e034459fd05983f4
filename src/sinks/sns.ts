import type { SNSClient } from '@aws-sdk/client-sns';
import { clientOf, lazyClient, lazyModule, type ClientSource } from '../adapters/aws/lazy';
import type { KafkaBatch } from '../event/types';
import type { SinkAdapter } from './deliver';
import { batchEntryId, buildMessages, outcomesFromBatchResult, type Message, type MessageOptions } from './messages';
import type { BatchLimits, SinkDestination } from './types';
export { SnsLimits, isFifoTopicArn } from './limits';

export interface SnsSinkOptions extends MessageOptions {
  topicArn: string;
  limits: BatchLimits;
}

// Loaded at the first send, not at module init (a chunk of its own: docs/deploy.md, "Lean bundles").
const snsSdk = lazyModule(() => import('../adapters/aws/sdk/sns'));

/**
 * The SNS sink adapter: the same messages as SQS, published with PublishBatch.
 *
 * @example
 * ```ts
 * const adapter = createSnsAdapter({ topicArn, fifo: isFifoTopicArn(topicArn), messageGroup: 'partition', payloadFormat: 'text', limits: SnsLimits }, sns);
 * ```
 */
export function createSnsAdapter(options: SnsSinkOptions, client: ClientSource<SNSClient>): SinkAdapter<Message> {
  return {
    kind: 'sns',
    limits: options.limits,
    prepare: (batch: KafkaBatch) => buildMessages(batch, options),
    send: async (entries) => {
      const [{ PublishBatchCommand }, sns] = await Promise.all([snsSdk(), clientOf(client)]);
      const response = await sns.send(
        new PublishBatchCommand({
          TopicArn: options.topicArn,
          PublishBatchRequestEntries: entries.map(({ payload }, i) => ({
            Id: batchEntryId(i),
            Message: payload.body,
            MessageAttributes: payload.attributes,
            ...(payload.groupId ? { MessageGroupId: payload.groupId } : {}),
            ...(payload.deduplicationId ? { MessageDeduplicationId: payload.deduplicationId } : {}),
          })),
        }),
      );
      return outcomesFromBatchResult(entries.length, response.Failed, response.Successful);
    },
  };
}

/** @example `createSinkLambda(snsDestination, process.env)` */
export const snsDestination: SinkDestination<'sns'> = {
  kind: 'sns',
  open(config, aws, clients) {
    const client = lazyClient(async () => new (await snsSdk()).SNSClient(aws.client), clients.sns);
    return { adapter: createSnsAdapter(config, client.get) as SinkAdapter<unknown>, client };
  },
};
