import { CreateTableCommand, DeleteTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { CreateEventBusCommand, DeleteEventBusCommand, DeleteRuleCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand, RemoveTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateStreamCommand, DeleteStreamCommand, DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, DeleteTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Kafka } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { InvocationReport } from '../../../src/local/esm/EsmMapping';
import type { SinkKind } from '../../../src/sinks/types';
import { uniqueName, waitFor } from '../../support/helpers';
import { createTopic, fastConsumer, mappingConfig, produce, quietLogger, sourceKafka, startMapping } from '../esm/support';
import { aws, createQueue, deadLetters, newSqs, receiveAll, sinkLambda } from './support';

// End to end: records produced to the real local source cluster, consumed by the ESM emulator, handed
// to the sink's bare handler as Lambda would, written to moto. One test per sink; each also proves that
// an unshapeable record lands in the DLQ and that the emulator commits past it.

let kafka: Kafka;
let sqs: SQSClient;
const cleanup: Array<() => Promise<void>> = [];
beforeAll(async () => {
  kafka = await sourceKafka();
  sqs = newSqs();
});
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()?.();
});
afterAll(() => sqs.destroy());

async function queueArn(queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  return Attributes?.QueueArn as string;
}

/** Destination setup per sink: its env and a probe that reads back the delivered Kafka offsets as "partition:offset". */
type Destination = { env: Record<string, string>; delivered: () => Promise<string[]> };
const envelopeId = (e: { partition: number; offset: string }): string => `${e.partition}:${e.offset}`;
const attributeId = (m: { MessageAttributes?: Record<string, { StringValue?: string }> }): string =>
  `${m.MessageAttributes?.['kafka.partition']?.StringValue}:${m.MessageAttributes?.['kafka.offset']?.StringValue}`;

const destinations: Record<SinkKind, () => Promise<Destination>> = {
  sqs: async () => {
    const queueUrl = await createQueue(sqs, 'e2e-sqs', cleanup, true);
    return { env: { QUEUE_URL: queueUrl, MESSAGE_GROUP: 'key' }, delivered: async () => (await receiveAll(sqs, queueUrl)).map(attributeId) };
  },
  sns: async () => {
    const sns = new SNSClient(aws().client);
    cleanup.push(async () => sns.destroy());
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: uniqueName('e2e-sns') }));
    cleanup.push(async () => void (await sns.send(new DeleteTopicCommand({ TopicArn }))));
    const queueUrl = await createQueue(sqs, 'e2e-sns-sub', cleanup);
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: await queueArn(queueUrl), Attributes: { RawMessageDelivery: 'true' } }));
    return { env: { TOPIC_ARN: TopicArn as string }, delivered: async () => (await receiveAll(sqs, queueUrl)).map(attributeId) };
  },
  eventbridge: async () => {
    const eb = new EventBridgeClient(aws().client);
    cleanup.push(async () => eb.destroy());
    const bus = uniqueName('e2e-bus');
    await eb.send(new CreateEventBusCommand({ Name: bus }));
    cleanup.push(async () => void (await eb.send(new DeleteEventBusCommand({ Name: bus }))));
    const queueUrl = await createQueue(sqs, 'e2e-eb-target', cleanup);
    await eb.send(new PutRuleCommand({ Name: 'all', EventBusName: bus, EventPattern: JSON.stringify({ source: ['kafka-msk-bridge'] }) }));
    await eb.send(new PutTargetsCommand({ Rule: 'all', EventBusName: bus, Targets: [{ Id: 'q', Arn: await queueArn(queueUrl) }] }));
    cleanup.push(async () => {
      await eb.send(new RemoveTargetsCommand({ Rule: 'all', EventBusName: bus, Ids: ['q'] }));
      await eb.send(new DeleteRuleCommand({ Name: 'all', EventBusName: bus }));
    });
    return { env: { EVENT_BUS_NAME: bus }, delivered: async () => (await receiveAll(sqs, queueUrl)).map((m) => envelopeId(JSON.parse(m.Body ?? '{}').detail)) };
  },
  kinesis: async () => {
    const kinesis = new KinesisClient({ ...aws().client, requestHandler: new NodeHttpHandler() });
    cleanup.push(async () => kinesis.destroy());
    const stream = uniqueName('e2e-stream');
    await kinesis.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 1 }));
    cleanup.push(async () => void (await kinesis.send(new DeleteStreamCommand({ StreamName: stream }))));
    return {
      env: { STREAM_NAME: stream },
      delivered: async () => {
        const { StreamDescription } = await kinesis.send(new DescribeStreamCommand({ StreamName: stream }));
        const { ShardIterator } = await kinesis.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: StreamDescription?.Shards?.[0]?.ShardId, ShardIteratorType: 'TRIM_HORIZON' }));
        const { Records = [] } = await kinesis.send(new GetRecordsCommand({ ShardIterator }));
        return Records.map((r) => envelopeId(JSON.parse(Buffer.from(r.Data ?? []).toString())));
      },
    };
  },
  s3: async () => {
    const s3 = new S3Client(aws().s3);
    cleanup.push(async () => s3.destroy());
    const bucket = uniqueName('e2e-bucket');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    return {
      env: { BUCKET: bucket },
      delivered: async () => {
        const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
        const bodies = await Promise.all(Contents.map(async (c) => (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: c.Key }))).Body?.transformToString()));
        return bodies.flatMap((b) => (b ?? '').trimEnd().split('\n').filter(Boolean).map((l) => envelopeId(JSON.parse(l))));
      },
    };
  },
  dynamodb: async () => {
    const ddb = new DynamoDBClient(aws().client);
    cleanup.push(async () => ddb.destroy());
    const table = uniqueName('e2e-table');
    await ddb.send(new CreateTableCommand({ TableName: table, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] }));
    cleanup.push(async () => void (await ddb.send(new DeleteTableCommand({ TableName: table }))));
    return {
      env: { TABLE_NAME: table },
      delivered: async () => ((await ddb.send(new ScanCommand({ TableName: table }))).Items ?? []).map((i) => `${i.partition?.N}:${i.offset?.N}`),
    };
  },
};

describe('sinks end to end through the ESM emulator and real Kafka', () => {
  it.each(Object.keys(destinations) as SinkKind[])('%s: delivers every record, dead-letters the invalid one, and the emulator commits past all', async (kind) => {
    // Prepare
    const topic = await createTopic(kafka, 2, `e2e-${kind}`);
    const destination = await destinations[kind]();
    const dlqUrl = await createQueue(sqs, `e2e-${kind}-dlq`, cleanup);
    const lambda = sinkLambda(kind, { ...destination.env, PAYLOAD_FORMAT: 'json', DLQ_URL: dlqUrl }, cleanup);
    await produce(kafka, topic, [
      { partition: 0, key: 'a', value: '{"n":0}', headers: { trace: 't-0' } },
      { partition: 0, key: 'b', value: 'not json' },
      { partition: 0, key: 'c', value: '{"n":2}' },
      { partition: 1, key: 'd', value: '{"n":3}' },
    ]);
    const reports: InvocationReport[] = [];
    // Act
    await startMapping(
      mappingConfig(topic, { functionName: `sink-${kind}` }),
      { handler: (event) => lambda.sinkHandler(event), logger: quietLogger, consumer: fastConsumer, retryBackoff: { initialMs: 50, maxMs: 200 }, onInvocation: (r) => reports.push(r) },
      cleanup,
    );
    await waitFor('the emulator to commit both partitions to their end', () => {
      const committed = Object.assign({}, ...reports.map((r) => r.committed)) as Record<string, string>;
      return committed[`${topic}-0`] === '3' && committed[`${topic}-1`] === '1';
    }, { timeoutMs: 60_000 });
    // Assess
    expect(reports.every((r) => r.outcome === 'success')).toBe(true);
    expect((await destination.delivered()).sort()).toEqual(['0:0', '0:2', '1:0']);
    expect((await deadLetters(sqs, dlqUrl)).map((d) => [d.topic, d.offset, d.reason])).toEqual([[topic, '1', 'value is not valid JSON']]);
  });
});

describe('partial-batch failure and redelivery through the ESM emulator', () => {
  it('s3: a failing destination is retried from the earliest failed offset; once it recovers, objects hold each record once', async () => {
    // Prepare: the bucket does not exist yet, so every PutObject fails with NoSuchBucket
    const topic = await createTopic(kafka, 1, 'e2e-s3-redeliver');
    const bucket = uniqueName('e2e-late-bucket');
    const s3 = new S3Client(aws().s3);
    cleanup.push(async () => s3.destroy());
    const lambda = sinkLambda('s3', { BUCKET: bucket, PAYLOAD_FORMAT: 'text', MAX_ATTEMPTS: '1' }, cleanup);
    await produce(kafka, topic, [0, 1, 2].map((n) => ({ partition: 0, key: `k${n}`, value: `v${n}` })));
    const reports: InvocationReport[] = [];
    const responses: unknown[] = [];
    // Act
    await startMapping(
      mappingConfig(topic, { functionName: 'sink-s3' }),
      { handler: async (event) => { const r = await lambda.sinkHandler(event); responses.push(r); return r; }, logger: quietLogger, consumer: fastConsumer, retryBackoff: { initialMs: 50, maxMs: 200 }, onInvocation: (r) => reports.push(r) },
      cleanup,
    );
    await waitFor('a partial-batch failure', () => reports.some((r) => r.outcome === 'partial-failure'), { timeoutMs: 60_000 });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await waitFor('the emulator to commit past the batch', () => reports.some((r) => r.committed[`${topic}-0`] === '3'), { timeoutMs: 60_000 });
    // Assess
    expect(responses[0]).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: `${topic}-0`, offset: 0 } }] });
    const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    const lines = (await Promise.all(Contents.map(async (c) => (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: c.Key }))).Body?.transformToString())))
      .flatMap((b) => (b ?? '').trimEnd().split('\n'))
      .map((l) => JSON.parse(l) as { offset: string; value: string });
    expect(lines.map((l) => [l.offset, l.value])).toEqual([['0', 'v0'], ['1', 'v1'], ['2', 'v2']]);
  });
});
