import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { AwsClientConfig } from '../../adapters/aws/clientConfig';
import { AwsServiceError, DeliveryError } from '../../errors';
import type { OnFailureDestination } from './config';

/**
 * The record Lambda sends to an on-failure destination of a Kafka event source mapping when a batch
 * is discarded: metadata only (no record content), one per topic-partition range.
 */
export interface KafkaFailureRecord {
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: 'RetryAttemptsExhausted';
    approximateInvokeCount: number;
  };
  responseContext: { statusCode: number; executedVersion: '$LATEST'; functionError: 'Unhandled' | 'Handled' };
  version: '1.0';
  timestamp: string;
  KafkaBatchInfo: {
    batchSize: number;
    eventSourceArn?: string;
    bootstrapServers: string;
    topic: string;
    partition: number;
    /** Decimal strings: offsets are never `number` here. */
    firstOffset: string;
    lastOffset: string;
    /** The error of the last attempt, `Name: message`. */
    error: string;
  };
}

/** Sends failure records somewhere; one call per discarded range. */
export interface FailureSender {
  send(record: KafkaFailureRecord): Promise<void>;
  close(): void;
}

/**
 * A sender for a configured destination: an SQS queue (by ARN or URL, through the AWS SDK with the
 * project's client config, so moto works) or a JSON-lines file.
 *
 * @example
 * ```ts
 * const sender = createFailureSender({ type: 'file', path: '/tmp/failed.jsonl' }, resolveAwsClientConfig(process.env));
 * await sender.send(record);
 * ```
 */
export function createFailureSender(destination: OnFailureDestination, aws: AwsClientConfig): FailureSender {
  if (destination.type === 'file') {
    return {
      async send(record) {
        try {
          await mkdir(dirname(destination.path), { recursive: true });
          await appendFile(destination.path, `${JSON.stringify(record)}\n`);
        } catch (err) {
          throw new DeliveryError(`Cannot append the failure record to ${destination.path}: ${(err as Error).message}`, { cause: err, retriable: true });
        }
      },
      close() {},
    };
  }
  const client = new SQSClient(aws.client);
  let queueUrl: Promise<string> | undefined = destination.type === 'sqs-url' ? Promise.resolve(destination.queueUrl) : undefined;
  const resolveUrl = (): Promise<string> => {
    if (queueUrl === undefined && destination.type === 'sqs') {
      // arn:aws:sqs:<region>:<account>:<name>
      const [, , , , account, ...name] = destination.queueArn.split(':');
      queueUrl = client
        .send(new GetQueueUrlCommand({ QueueName: name.join(':'), QueueOwnerAWSAccountId: account }))
        .then((r) => r.QueueUrl ?? Promise.reject(new Error('GetQueueUrl returned no QueueUrl')));
      queueUrl.catch(() => (queueUrl = undefined));
    }
    return queueUrl as Promise<string>;
  };
  const where = destination.type === 'sqs' ? destination.queueArn : destination.queueUrl;
  return {
    async send(record) {
      try {
        await client.send(new SendMessageCommand({ QueueUrl: await resolveUrl(), MessageBody: JSON.stringify(record) }));
      } catch (err) {
        throw new AwsServiceError(`Cannot send the failure record to SQS ${where}: ${(err as Error).message}`, { cause: err, retriable: true });
      }
    },
    close() {
      client.destroy();
    },
  };
}
