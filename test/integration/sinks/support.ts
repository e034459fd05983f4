import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import { CreateQueueCommand, DeleteQueueCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { resolveAwsClientConfig } from '../../../src/adapters/aws/clientConfig';
import { createSinkLambda, type SinkLambda } from '../../../src/sinks/lambda';
import type { SinkKind } from '../../../src/sinks/types';
import { uniqueName } from '../../support/helpers';

/** SDK client options for moto (the integration setup exports AWS_ENDPOINT_URL and dummy credentials). */
export const aws = () => resolveAwsClientConfig(process.env);

export function loadEvent(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../../../events/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;
}

const silent = () => new Logger({ logLevel: 'SILENT' });

/** The same construction the deployed handler does at module start, with a test environment. */
export function sinkLambda(kind: SinkKind, env: Record<string, string>, cleanup: Array<() => Promise<void>>): SinkLambda {
  const lambda = createSinkLambda(kind, { ...process.env, ...env }, { logger: silent() });
  cleanup.push(async () => lambda.sink.destroy());
  return lambda;
}

export async function createQueue(sqs: SQSClient, prefix: string, cleanup: Array<() => Promise<void>>, fifo = false): Promise<string> {
  const name = `${uniqueName(prefix)}${fifo ? '.fifo' : ''}`;
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: fifo ? { FifoQueue: 'true' } : {} }));
  cleanup.push(async () => void (await sqs.send(new DeleteQueueCommand({ QueueUrl })).catch(() => undefined)));
  return QueueUrl as string;
}

/** Drain a queue: receive until an empty poll. Messages are left in flight (visibility timeout 60 s), so each is read once. */
export async function receiveAll(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'], VisibilityTimeout: 60, WaitTimeSeconds: 0 }),
    );
    if (Messages.length === 0) return all;
    all.push(...Messages);
  }
}

/** DLQ messages as parsed bodies. */
export async function deadLetters(sqs: SQSClient, queueUrl: string): Promise<Array<{ reason: string; offset: string; topic: string; truncated: boolean; valueBytes: number | null }>> {
  return (await receiveAll(sqs, queueUrl)).map((m) => JSON.parse(m.Body ?? '{}'));
}

export const newSqs = () => new SQSClient(aws().client);
