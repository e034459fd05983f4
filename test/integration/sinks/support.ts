import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateEventBusCommand, DeleteEventBusCommand, DeleteRuleCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand, RemoveTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateStreamCommand, DeleteStreamCommand, DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand, KinesisClient, type _Record as KinesisRecord } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, DeleteTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { resolveAwsClientConfig } from '../../../src/adapters/aws/clientConfig';
import type { DeadLetterBody } from '../../../src/deadLetter/body';
import { sinkDestinations } from '../../../src/sinks/destinations';
import { createSinkLambda, type SinkLambda } from '../../../src/sinks/lambda';
import type { SinkDestination, SinkKind } from '../../../src/sinks/types';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { uniqueName } from '../../support/helpers';

/** SDK client options for moto (the integration setup exports AWS_ENDPOINT_URL and dummy credentials). */
export const aws = () => resolveAwsClientConfig(process.env);

export function loadEvent(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../../../events/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;
}

const silent = () => new Logger({ logLevel: 'SILENT' });

/** The same construction the deployed handler does at module start, with a test environment. */
export function sinkLambda(kind: SinkKind, env: Record<string, string>, cleanup: Array<() => Promise<void>>): SinkLambda {
  const lambda = createSinkLambda(sinkDestinations[kind] as SinkDestination, { ...process.env, ...env }, { logger: silent() });
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
export async function deadLetters(sqs: SQSClient, queueUrl: string): Promise<DeadLetterBody[]> {
  return (await receiveAll(sqs, queueUrl)).map((m) => JSON.parse(m.Body ?? '{}'));
}

export const newSqs = () => new SQSClient(aws().client);

export async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  return Attributes?.QueueArn as string;
}

/** An SNS topic with an SQS queue subscribed (raw delivery, so attributes arrive as message attributes). */
export async function createTopicToQueue(sqs: SQSClient, prefix: string, cleanup: Array<() => Promise<void>>, fifo = false): Promise<{ topicArn: string; queueUrl: string }> {
  const sns = new SNSClient(aws().client);
  cleanup.push(async () => sns.destroy());
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: `${uniqueName(prefix)}${fifo ? '.fifo' : ''}`, Attributes: fifo ? { FifoTopic: 'true' } : {} }));
  cleanup.push(async () => void (await sns.send(new DeleteTopicCommand({ TopicArn }))));
  const queueUrl = await createQueue(sqs, `${prefix}-sub`, cleanup, fifo);
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: await queueArn(sqs, queueUrl), Attributes: { RawMessageDelivery: 'true' } }));
  return { topicArn: TopicArn as string, queueUrl };
}

/** A custom event bus whose rule (events from `source`) targets an SQS queue. */
export async function createBusToQueue(sqs: SQSClient, source: string, cleanup: Array<() => Promise<void>>): Promise<{ bus: string; queueUrl: string }> {
  const eb = new EventBridgeClient(aws().client);
  cleanup.push(async () => eb.destroy());
  const bus = uniqueName('sink-bus');
  await eb.send(new CreateEventBusCommand({ Name: bus }));
  cleanup.push(async () => void (await eb.send(new DeleteEventBusCommand({ Name: bus }))));
  const queueUrl = await createQueue(sqs, 'sink-bus-target', cleanup);
  await eb.send(new PutRuleCommand({ Name: 'all', EventBusName: bus, EventPattern: JSON.stringify({ source: [source] }) }));
  await eb.send(new PutTargetsCommand({ Rule: 'all', EventBusName: bus, Targets: [{ Id: 'q', Arn: await queueArn(sqs, queueUrl) }] }));
  cleanup.push(async () => {
    await eb.send(new RemoveTargetsCommand({ Rule: 'all', EventBusName: bus, Ids: ['q'] }));
    await eb.send(new DeleteRuleCommand({ Name: 'all', EventBusName: bus }));
  });
  return { bus, queueUrl };
}

/** A one-shard stream and a reader of everything in it. HTTP/1.1: moto does not speak HTTP/2. */
export async function createStream(cleanup: Array<() => Promise<void>>): Promise<{ stream: string; readAll: () => Promise<KinesisRecord[]> }> {
  const kinesis = new KinesisClient({ ...aws().client, requestHandler: new NodeHttpHandler() });
  cleanup.push(async () => kinesis.destroy());
  const stream = uniqueName('sink-stream');
  await kinesis.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 1 }));
  cleanup.push(async () => void (await kinesis.send(new DeleteStreamCommand({ StreamName: stream }))));
  const readAll = async (): Promise<KinesisRecord[]> => {
    const { StreamDescription } = await kinesis.send(new DescribeStreamCommand({ StreamName: stream }));
    const { ShardIterator } = await kinesis.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: StreamDescription?.Shards?.[0]?.ShardId, ShardIteratorType: 'TRIM_HORIZON' }));
    const { Records = [] } = await kinesis.send(new GetRecordsCommand({ ShardIterator, Limit: 10_000 }));
    return Records;
  };
  return { stream, readAll };
}

/** A bucket and a reader of every NDJSON line in it (objects in key order). */
export async function createBucket(cleanup: Array<() => Promise<void>>, name = uniqueName('sink-bucket')): Promise<{ bucket: string; s3: S3Client; lines: () => Promise<Array<Record<string, unknown>>> }> {
  const s3 = new S3Client(aws().s3);
  cleanup.push(async () => s3.destroy());
  await s3.send(new CreateBucketCommand({ Bucket: name }));
  const lines = async (): Promise<Array<Record<string, unknown>>> => {
    const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: name }));
    const bodies = await Promise.all(Contents.map(async (c) => (await s3.send(new GetObjectCommand({ Bucket: name, Key: c.Key }))).Body?.transformToString()));
    return bodies.flatMap((b) => (b ?? '').trimEnd().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>));
  };
  return { bucket: name, s3, lines };
}

export async function createTable(keys: Array<{ name: string; type: 'S' | 'N'; role: 'HASH' | 'RANGE' }>, cleanup: Array<() => Promise<void>>): Promise<{ ddb: DynamoDBClient; name: string }> {
  const ddb = new DynamoDBClient(aws().client);
  cleanup.push(async () => ddb.destroy());
  const name = uniqueName('sink-table');
  await ddb.send(new CreateTableCommand({
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: keys.map((k) => ({ AttributeName: k.name, AttributeType: k.type })),
    KeySchema: keys.map((k) => ({ AttributeName: k.name, KeyType: k.role })),
  }));
  cleanup.push(async () => void (await ddb.send(new DeleteTableCommand({ TableName: name }))));
  return { ddb, name };
}

/**
 * Register the hooks every sink test file needs: one SQS client for the file, and a cleanup list run
 * (last in, first out) after each test.
 */
export function useSinkTestContext(): { cleanup: Array<() => Promise<void>>; sqs: () => SQSClient } {
  const cleanup: Array<() => Promise<void>> = [];
  let sqs: SQSClient | undefined;
  beforeAll(() => {
    sqs = newSqs();
  });
  afterEach(async () => {
    while (cleanup.length > 0) await cleanup.pop()?.();
  });
  afterAll(() => sqs?.destroy());
  return { cleanup, sqs: () => sqs as SQSClient };
}
