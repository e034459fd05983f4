import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
// Already installed with every AWS SDK v3 client (not yet declared in package.json).
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsClientConfig } from '../adapters/aws/clientConfig';
import type { KafkaBatch } from '../event/types';
import type { SinkConfig } from './config';
import { createSqsDeadLetterQueue, sinkDestination } from './deadLetter';
import { deliverBatch, type SinkAdapter } from './deliver';
import { createDynamoDbAdapter } from './dynamodb';
import { createEventBridgeAdapter } from './eventbridge';
import { createKinesisAdapter } from './kinesis';
import { createS3Adapter } from './s3';
import { createSnsAdapter } from './sns';
import { createSqsAdapter } from './sqs';
import type { Sink } from './types';

/** Ready-made SDK clients, e.g. stubs in unit tests; whatever is missing is created from `aws`. */
export interface SinkClients {
  sqs?: SQSClient;
  sns?: SNSClient;
  eventBridge?: EventBridgeClient;
  kinesis?: KinesisClient;
  s3?: S3Client;
  dynamoDb?: DynamoDBClient;
}

/**
 * Build the sink a configuration describes, with its dead-letter queue when `DLQ_URL` is set.
 *
 * @example
 * ```ts
 * const sink = createSink(parseSinkConfig('sqs', process.env), resolveAwsClientConfig(process.env));
 * const result = await sink.deliver(batch);
 * ```
 */
export function createSink(config: SinkConfig, aws: AwsClientConfig, clients: SinkClients = {}): Sink & { destroy(): void } {
  const created: Array<{ destroy(): void }> = [];
  const make = <C extends { destroy(): void }>(given: C | undefined, build: () => C): C => {
    if (given) return given;
    const client = build();
    created.push(client);
    return client;
  };
  let sqsClient = clients.sqs;
  const sqs = (): SQSClient => (sqsClient ??= make(undefined, () => new SQSClient(aws.client)));
  const adapter = ((): SinkAdapter<unknown> => {
    switch (config.kind) {
      case 'sqs':
        return createSqsAdapter(config, sqs()) as SinkAdapter<unknown>;
      case 'sns':
        return createSnsAdapter(config, make(clients.sns, () => new SNSClient(aws.client))) as SinkAdapter<unknown>;
      case 'eventbridge':
        return createEventBridgeAdapter(config, make(clients.eventBridge, () => new EventBridgeClient(aws.client))) as SinkAdapter<unknown>;
      case 'kinesis':
        // Kinesis' default handler speaks HTTP/2 (for SubscribeToShard); PutRecords works over HTTP/1.1,
        // which a local endpoint such as moto requires.
        return createKinesisAdapter(
          config,
          make(clients.kinesis, () => new KinesisClient({ ...aws.client, ...(aws.client.endpoint ? { requestHandler: new NodeHttpHandler() } : {}) })),
        ) as SinkAdapter<unknown>;
      case 's3':
        return createS3Adapter(config, make(clients.s3, () => new S3Client(aws.s3))) as SinkAdapter<unknown>;
      case 'dynamodb':
        return createDynamoDbAdapter(config, make(clients.dynamoDb, () => new DynamoDBClient(aws.client))) as SinkAdapter<unknown>;
    }
  })();
  const deadLetter = config.deadLetterQueueUrl
    ? createSqsDeadLetterQueue(sqs(), config.deadLetterQueueUrl, { retry: config.retry, destination: sinkDestination(config) })
    : undefined;
  return {
    kind: config.kind,
    deliver: (batch: KafkaBatch) => deliverBatch(batch, adapter, { retry: config.retry, ...(deadLetter ? { deadLetter } : {}), ...(config.sourceClusterName ? { sourceClusterName: config.sourceClusterName } : {}) }),
    destroy: () => created.forEach((c) => c.destroy()),
  };
}
