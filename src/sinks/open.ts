import type { SQSClient } from '@aws-sdk/client-sqs';
import type { AwsClientConfig } from '../adapters/aws/clientConfig';
import { lazyClient, lazyModule } from '../adapters/aws/lazy';
import { ConfigError } from '../errors';
import type { KafkaBatch } from '../event/types';
import type { SinkConfig } from './config';
import { createSqsDeadLetterQueue, sinkDestination } from './deadLetter';
import { deliverBatch } from './deliver';
import type { SinkClients, SinkDestination } from './types';
import type { Sink } from './types';

// Dead letters are the rare path of every sink but sink-sqs: their SQS client is loaded when the first one is sent.
const sqsSdk = lazyModule(() => import('../adapters/aws/sdk/sqs'));

/**
 * Open the sink a configuration describes on its destination, with its dead-letter queue when `DLQ_URL` is set.
 *
 * @example
 * ```ts
 * const sink = openSink(sqsDestination, parseSinkConfig('sqs', process.env), resolveAwsClientConfig(process.env));
 * const result = await sink.deliver(batch);
 * ```
 */
export function openSink<K extends SinkConfig['kind']>(
  destination: SinkDestination<K>,
  config: SinkConfig,
  aws: AwsClientConfig,
  clients: SinkClients = {},
): Sink & { destroy(): void } {
  if (config.kind !== destination.kind) {
    throw new ConfigError(`sink configuration is for ${config.kind} but the function delivers to ${destination.kind}`, { field: 'kind' });
  }
  const opened = destination.open(config as Extract<SinkConfig, { kind: K }>, aws, clients);
  // sink-sqs's dead letters share its client; the other sinks create one at their first dead letter.
  const dlqClient = opened.sqs ?? lazyClient<SQSClient>(async () => new (await sqsSdk()).SQSClient(aws.client), clients.sqs);
  const deadLetter = config.deadLetterQueueUrl
    ? createSqsDeadLetterQueue(() => dlqClient.get(), config.deadLetterQueueUrl, { retry: config.retry, destination: sinkDestination(config) })
    : undefined;
  const options = { retry: config.retry, ...(deadLetter ? { deadLetter } : {}), ...(config.sourceClusterName ? { sourceClusterName: config.sourceClusterName } : {}) };
  return {
    kind: config.kind,
    deliver: (batch: KafkaBatch) => deliverBatch(batch, opened.adapter, options),
    destroy: () => {
      opened.client.destroy();
      if (dlqClient !== opened.sqs) dlqClient.destroy();
    },
  };
}
