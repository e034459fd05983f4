import { CreateTableCommand, DeleteTableCommand, DynamoDBClient, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { CreateEventBusCommand, DeleteEventBusCommand, DeleteRuleCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand, RemoveTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateStreamCommand, DeleteStreamCommand, DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, DeleteTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeKafkaEvent } from '../../../src/event/codec';
import { uniqueName, waitFor } from '../../support/helpers';
import { makeBatch } from '../../unit/sinks/support';
import { aws, createQueue, deadLetters, loadEvent, newSqs, receiveAll, sinkLambda } from './support';

let sqs: SQSClient;
const cleanup: Array<() => Promise<void>> = [];
beforeAll(() => {
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

describe('sink-sns against moto', () => {
  async function topicWithQueue(fifo: boolean): Promise<{ topicArn: string; queueUrl: string }> {
    const sns = new SNSClient(aws().client);
    cleanup.push(async () => sns.destroy());
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: `${uniqueName('sink-sns')}${fifo ? '.fifo' : ''}`, Attributes: fifo ? { FifoTopic: 'true' } : {} }));
    cleanup.push(async () => void (await sns.send(new DeleteTopicCommand({ TopicArn }))));
    const queueUrl = await createQueue(sqs, 'sink-sns-sub', cleanup, fifo);
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: await queueArn(queueUrl), Attributes: { RawMessageDelivery: 'true' } }));
    return { topicArn: TopicArn as string, queueUrl };
  }

  it('publishes the sample event with attributes; a FIFO topic fans out each record once despite redelivery', async () => {
    // Prepare
    const { topicArn, queueUrl } = await topicWithQueue(true);
    const lambda = sinkLambda('sns', { TOPIC_ARN: topicArn, PAYLOAD_FORMAT: 'text' }, cleanup);
    // Act
    const first = await lambda.sinkHandler(loadEvent('sink-sns.json'));
    const again = await lambda.sinkHandler(loadEvent('sink-sns.json'));
    // Assess
    expect(first).toEqual({ batchItemFailures: [] });
    expect(again).toEqual({ batchItemFailures: [] });
    const messages = await receiveAll(sqs, queueUrl);
    expect(messages).toHaveLength(5);
    const m = messages.find((x) => x.MessageAttributes?.['kafka.offset']?.StringValue === '100');
    expect(m?.Body).toBe('{"id":"c-17","event":"created","amount":12.5}');
    expect(m?.MessageAttributes?.['kafka.key']?.StringValue).toBe('customer-17');
  });

  it('turns a per-entry rejection by SNS into a partial-batch failure at that offset', async () => {
    // Prepare: the function allows 1 MiB (MAX_ENTRY_BYTES) but the topic keeps the 256 KiB default, so SNS rejects that entry
    const { topicArn, queueUrl } = await topicWithQueue(false);
    const lambda = sinkLambda('sns', { TOPIC_ARN: topicArn, PAYLOAD_FORMAT: 'text', MAX_ENTRY_BYTES: '1048576', MAX_REQUEST_BYTES: '1048576' }, cleanup);
    const batch = makeBatch([{ topic: 'big', partition: 2, count: 3 }]);
    batch.partitions[0]!.records[1]!.value = new Uint8Array(Buffer.from('q'.repeat(300 * 1024)));
    // Act
    const response = await lambda.sinkHandler(encodeKafkaEvent(batch));
    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: 'big-2', offset: 1 } }] });
    expect((await receiveAll(sqs, queueUrl)).map((x) => x.MessageAttributes?.['kafka.offset']?.StringValue)).toContain('0');
  });
});

describe('sink-eventbridge against moto', () => {
  it('puts one event per record with the JSON envelope as Detail, routed by a rule to SQS', async () => {
    // Prepare
    const eb = new EventBridgeClient(aws().client);
    cleanup.push(async () => eb.destroy());
    const bus = uniqueName('sink-bus');
    await eb.send(new CreateEventBusCommand({ Name: bus }));
    cleanup.push(async () => void (await eb.send(new DeleteEventBusCommand({ Name: bus }))));
    const queueUrl = await createQueue(sqs, 'sink-eb-target', cleanup);
    await eb.send(new PutRuleCommand({ Name: 'all', EventBusName: bus, EventPattern: JSON.stringify({ source: ['kafka.domain-events'] }) }));
    await eb.send(new PutTargetsCommand({ Rule: 'all', EventBusName: bus, Targets: [{ Id: 'q', Arn: await queueArn(queueUrl) }] }));
    cleanup.push(async () => {
      await eb.send(new RemoveTargetsCommand({ Rule: 'all', EventBusName: bus, Ids: ['q'] }));
      await eb.send(new DeleteRuleCommand({ Name: 'all', EventBusName: bus }));
    });
    const lambda = sinkLambda('eventbridge', { EVENT_BUS_NAME: bus, EVENT_SOURCE: 'kafka.domain-events', PAYLOAD_FORMAT: 'json' }, cleanup);
    // Act
    const response = await lambda.sinkHandler(loadEvent('sink-eventbridge.json'));
    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    const events = (await receiveAll(sqs, queueUrl)).map((m) => JSON.parse(m.Body ?? '{}') as { source: string; 'detail-type': string; detail: Record<string, unknown>; time: string });
    expect(events).toHaveLength(5);
    const e = events.find((x) => x.detail.offset === '100');
    expect(e).toMatchObject({ source: 'kafka.domain-events', 'detail-type': 'Kafka Record', detail: { topic: 'domain-events', partition: 0, key: 'customer-17', value: { id: 'c-17', event: 'created', amount: 12.5 } } });
    expect(e?.detail.headers).toEqual([{ key: 'traceparent', value: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' }, { key: 'content-type', value: 'application/json' }]);
  });
});

describe('sink-kinesis against moto', () => {
  it('puts 600 records in 500-record requests with the Kafka key as partition key, and dead-letters a record over 1 MiB', async () => {
    // Prepare
    const kinesis = new KinesisClient({ ...aws().client, requestHandler: new NodeHttpHandler() });
    cleanup.push(async () => kinesis.destroy());
    const stream = uniqueName('sink-stream');
    await kinesis.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 1 }));
    cleanup.push(async () => void (await kinesis.send(new DeleteStreamCommand({ StreamName: stream }))));
    const dlqUrl = await createQueue(sqs, 'sink-kinesis-dlq', cleanup);
    const lambda = sinkLambda('kinesis', { STREAM_NAME: stream, PAYLOAD_FORMAT: 'base64', DLQ_URL: dlqUrl }, cleanup);
    const batch = makeBatch([{ topic: 'clicks', partition: 0, count: 600 }]);
    batch.partitions[0]!.records[0]!.key = null;
    batch.partitions[0]!.records[599]!.value = new Uint8Array(1_048_576);
    // Act
    const response = await lambda.sinkHandler(encodeKafkaEvent(batch));
    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    const { StreamDescription } = await kinesis.send(new DescribeStreamCommand({ StreamName: stream }));
    const { ShardIterator } = await kinesis.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: StreamDescription?.Shards?.[0]?.ShardId, ShardIteratorType: 'TRIM_HORIZON' }));
    const { Records = [] } = await kinesis.send(new GetRecordsCommand({ ShardIterator, Limit: 10_000 }));
    expect(Records).toHaveLength(599);
    expect(Records[0]?.PartitionKey).toBe('clicks-0');
    expect(Records[1]?.PartitionKey).toBe('key-1');
    const envelope = JSON.parse(Buffer.from(Records[598]?.Data ?? []).toString()) as { offset: string; value: string };
    expect(envelope.offset).toBe('598');
    expect(Buffer.from(envelope.value, 'base64').toString()).toBe('{"i":598}');
    const dead = await deadLetters(sqs, dlqUrl);
    expect(dead).toEqual([expect.objectContaining({ offset: '599', reason: expect.stringMatching(/^too big for kinesis/), truncated: true })]);
  });
});

describe('sink-s3 against moto', () => {
  it('writes one NDJSON object per partition batch whose key a redelivery overwrites', async () => {
    // Prepare
    const s3 = new S3Client(aws().s3);
    cleanup.push(async () => s3.destroy());
    const bucket = uniqueName('sink-bucket');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const lambda = sinkLambda('s3', { BUCKET: bucket, KEY_PREFIX: 'kafka/', PAYLOAD_FORMAT: 'json' }, cleanup);
    // Act
    await lambda.sinkHandler(loadEvent('sink-s3.json'));
    const again = await lambda.sinkHandler(loadEvent('sink-s3.json'));
    // Assess
    expect(again).toEqual({ batchItemFailures: [] });
    const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(Contents.map((c) => c.Key).sort()).toEqual([
      'kafka/audit-log/0/00000000000000000100-00000000000000000102.ndjson',
      'kafka/audit-log/1/00000000000000000007-00000000000000000008.ndjson',
    ]);
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: Contents.find((c) => c.Key?.includes('/1/'))?.Key }));
    const lines = (await object.Body?.transformToString())?.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      { topic: 'audit-log', partition: 1, offset: '7', timestamp: 1718000000007, timestampType: 'CREATE_TIME', key: null, value: { id: 'c-99', event: 'created', amount: 1 }, headers: [{ key: 'source', value: 'crm' }] },
      { topic: 'audit-log', partition: 1, offset: '8', timestamp: 1718000000008, timestampType: 'CREATE_TIME', key: 'customer-42', value: null, headers: [] },
    ]);
  });

  it('reports every partition as failed from its first offset when the bucket does not exist', async () => {
    const lambda = sinkLambda('s3', { BUCKET: uniqueName('missing-bucket'), MAX_ATTEMPTS: '1' }, cleanup);
    const response = await lambda.sinkHandler(loadEvent('sink-s3.json'));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: 'audit-log-0', offset: 100 } }, { itemIdentifier: { partition: 'audit-log-1', offset: 7 } }] });
  });
});

describe('sink-dynamodb against moto', () => {
  async function table(keys: Array<{ name: string; type: 'S' | 'N'; role: 'HASH' | 'RANGE' }>): Promise<{ ddb: DynamoDBClient; name: string }> {
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

  it('writes items keyed by source coordinates; 60 records in 25-item requests; a redelivery leaves the item count unchanged', async () => {
    // Prepare
    const { ddb, name } = await table([{ name: 'pk', type: 'S', role: 'HASH' }, { name: 'sk', type: 'N', role: 'RANGE' }]);
    const lambda = sinkLambda('dynamodb', { TABLE_NAME: name, SORT_KEY_ATTRIBUTE: 'sk', PAYLOAD_FORMAT: 'json' }, cleanup);
    const event = encodeKafkaEvent(makeBatch([{ topic: 'customers', partition: 0, count: 40 }, { topic: 'customers', partition: 1, count: 20 }]));
    // Act
    await lambda.sinkHandler(event);
    const again = await lambda.sinkHandler(event);
    // Assess
    expect(again).toEqual({ batchItemFailures: [] });
    const { Count } = await ddb.send(new ScanCommand({ TableName: name, Select: 'COUNT' }));
    expect(Count).toBe(60);
    const { Item } = await ddb.send(new GetItemCommand({ TableName: name, Key: { pk: { S: 'customers-1' }, sk: { N: '19' } } }));
    expect(Item).toMatchObject({ topic: { S: 'customers' }, offset: { N: '19' }, key: { S: 'key-19' }, value: { M: { i: { N: '19' } } } });
  });

  it('keeps the latest value per Kafka key, deletes on a tombstone, and dead-letters an item over 400 KB', async () => {
    // Prepare
    const { ddb, name } = await table([{ name: 'id', type: 'S', role: 'HASH' }]);
    const dlqUrl = await createQueue(sqs, 'sink-ddb-dlq', cleanup);
    const lambda = sinkLambda('dynamodb', { TABLE_NAME: name, PARTITION_KEY_ATTRIBUTE: 'id', ITEM_KEY: 'kafka-key', PAYLOAD_FORMAT: 'json', DLQ_URL: dlqUrl }, cleanup);
    const big = makeBatch([{ topic: 'customers', partition: 3, count: 1 }]);
    big.partitions[0]!.records[0]!.value = new Uint8Array(Buffer.from(JSON.stringify({ blob: 'b'.repeat(410 * 1024) })));
    // Act
    const sample = await lambda.sinkHandler(loadEvent('sink-dynamodb.json'));
    const oversize = await lambda.sinkHandler(encodeKafkaEvent(big));
    // Assess
    expect(sample).toEqual({ batchItemFailures: [] });
    expect(oversize).toEqual({ batchItemFailures: [] });
    const { Items = [] } = await ddb.send(new ScanCommand({ TableName: name }));
    expect(Items.map((i) => [i.id?.S, i.offset?.N])).toEqual([['customer-17', '102']]);
    const dead = await waitFor('2 dead letters', async () => {
      const d = await deadLetters(sqs, dlqUrl);
      return d.length === 2 ? d : undefined;
    }, { timeoutMs: 5000 });
    expect(dead.map((d) => d.reason)).toEqual([
      'has a null or empty Kafka key, which cannot be the item key (ITEM_KEY=kafka-key)',
      expect.stringMatching(/^too big for dynamodb: \d+ bytes > limit 409600$/),
    ]);
  });
});
