import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { AwsClientConfig } from '../../adapters/aws/clientConfig';
import { AwsServiceError, DeliveryError } from '../../errors';
import { estimateEventSize, partitionKey } from '../../event/codec';
import type { KafkaBatch } from '../../event/types';
import type { OnFailureDestination } from './config';

/**
 * The invocation record Lambda sends to an SQS/SNS on-failure destination of a Kafka event source mapping when
 * it discards a batch: metadata only (no record content), one per discarded batch, with the offset and
 * timestamp range of every topic-partition in it (Lambda developer guide, "Capturing discarded batches for
 * Amazon MSK and self-managed Apache Kafka event sources", SNS and SQS example invocation record).
 */
export interface KafkaFailureRecord {
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: 'RetryAttemptsExhausted' | 'MaximumPayloadSizeExceeded';
    approximateInvokeCount: number;
  };
  /** `null` when the condition is `MaximumPayloadSizeExceeded` (the function was never invoked). */
  responseContext: { statusCode: number; executedVersion: '$LATEST'; functionError: 'Unhandled' | 'Handled' } | null;
  version: '1.0';
  timestamp: string;
  KafkaBatchInfo: {
    batchSize: number;
    eventSourceArn?: string;
    bootstrapServers: string;
    /** Bytes of the discarded records' event JSON. */
    payloadSize: number;
    /** Keyed `"topic-N"`; offsets as decimal strings, timestamps as ISO-8601. */
    recordsInfo: Record<string, { firstRecordOffset: string; lastRecordOffset: string; firstRecordTimestamp: string; lastRecordTimestamp: string }>;
  };
}

/**
 * The failure record for the discarded records of one invocation (`batch.partitions` hold only those).
 *
 * @example
 * ```ts
 * const record = buildFailureRecord(discarded, { requestId, functionArn, approximateInvokeCount: 11, functionError: 'Unhandled' });
 * ```
 */
export function buildFailureRecord(
  batch: KafkaBatch,
  invocation: { requestId: string; functionArn: string; approximateInvokeCount: number; functionError: 'Unhandled' | 'Handled'; now?: Date },
): KafkaFailureRecord {
  const recordsInfo: KafkaFailureRecord['KafkaBatchInfo']['recordsInfo'] = {};
  let batchSize = 0;
  for (const p of batch.partitions) {
    const first = p.records[0];
    const last = p.records[p.records.length - 1];
    if (first === undefined || last === undefined) continue;
    batchSize += p.records.length;
    recordsInfo[partitionKey(p.topic, p.partition)] = {
      firstRecordOffset: first.offset.toString(),
      lastRecordOffset: last.offset.toString(),
      firstRecordTimestamp: new Date(first.timestamp).toISOString(),
      lastRecordTimestamp: new Date(last.timestamp).toISOString(),
    };
  }
  return {
    requestContext: { requestId: invocation.requestId, functionArn: invocation.functionArn, condition: 'RetryAttemptsExhausted', approximateInvokeCount: invocation.approximateInvokeCount },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: invocation.functionError },
    version: '1.0',
    timestamp: (invocation.now ?? new Date()).toISOString(),
    KafkaBatchInfo: {
      batchSize,
      ...(batch.eventSourceArn !== undefined ? { eventSourceArn: batch.eventSourceArn } : {}),
      bootstrapServers: batch.bootstrapServers.join(','),
      payloadSize: estimateEventSize(batch),
      recordsInfo,
    },
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
  // The SQS SDK loads only when a failure record is due: most runs never send one, and it costs every start.
  let sdk: Promise<{ client: SQSClient; sqs: typeof import('@aws-sdk/client-sqs') }> | undefined;
  const load = (): Promise<{ client: SQSClient; sqs: typeof import('@aws-sdk/client-sqs') }> =>
    (sdk ??= import('@aws-sdk/client-sqs').then((sqs) => ({ sqs, client: new sqs.SQSClient(aws.client) })));
  let queueUrl: Promise<string> | undefined = destination.type === 'sqs-url' ? Promise.resolve(destination.queueUrl) : undefined;
  const resolveUrl = (): Promise<string> => {
    if (queueUrl === undefined && destination.type === 'sqs') {
      // arn:aws:sqs:<region>:<account>:<name>
      const [, , , , account, ...name] = destination.queueArn.split(':');
      queueUrl = load()
        .then(({ client, sqs }) => client.send(new sqs.GetQueueUrlCommand({ QueueName: name.join(':'), QueueOwnerAWSAccountId: account })))
        .then((r) => r.QueueUrl ?? Promise.reject(new Error('GetQueueUrl returned no QueueUrl')));
      queueUrl.catch(() => (queueUrl = undefined));
    }
    return queueUrl as Promise<string>;
  };
  const where = destination.type === 'sqs' ? destination.queueArn : destination.queueUrl;
  return {
    async send(record) {
      try {
        const { client, sqs } = await load();
        await client.send(new sqs.SendMessageCommand({ QueueUrl: await resolveUrl(), MessageBody: JSON.stringify(record) }));
      } catch (err) {
        throw new AwsServiceError(`Cannot send the failure record to SQS ${where}: ${(err as Error).message}`, { cause: err, retriable: true });
      }
    },
    close() {
      void sdk?.then(({ client }) => client.destroy());
    },
  };
}
