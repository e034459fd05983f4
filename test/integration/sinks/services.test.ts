import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { encodeKafkaEvent } from '../../../src/event/codec';
import { uniqueName, waitFor } from '../../support/helpers';
import { makeBatch } from '../../unit/sinks/support';
import { createBucket, createBusToQueue, createQueue, createStream, createTable, createTopicToQueue, deadLetters, loadEvent, receiveAll, sinkLambda, useSinkTestContext } from './support';

const context = useSinkTestContext();
const { cleanup } = context;

describe('sink-sns against moto', () => {
  it('publishes the sample event with attributes; a FIFO topic fans out each record once despite redelivery', async () => {
    // Prepare
    const { topicArn, queueUrl } = await createTopicToQueue(context.sqs(), 'sink-sns', cleanup, true);
    const lambda = sinkLambda('sns', { TOPIC_ARN: topicArn, PAYLOAD_FORMAT: 'text' }, cleanup);
    // Act
    const first = await lambda.sinkHandler(loadEvent('sink-sns.json'));
    const again = await lambda.sinkHandler(loadEvent('sink-sns.json'));
    // Assess
    expect(first).toEqual({ batchItemFailures: [] });
    expect(again).toEqual({ batchItemFailures: [] });
    const messages = await receiveAll(context.sqs(), queueUrl);
    expect(messages).toHaveLength(5);
    const m = messages.find((x) => x.MessageAttributes?.['kafka.offset']?.StringValue === '100');
    expect(m?.Body).toBe('{"id":"c-17","event":"created","amount":12.5}');
    expect(m?.MessageAttributes?.['kafka.key']?.StringValue).toBe('customer-17');
  });

  it('turns a per-entry rejection by SNS into a partial-batch failure at that offset', async () => {
    // Prepare: the function allows 1 MiB (MAX_ENTRY_BYTES) but the topic keeps the 256 KiB default, so SNS rejects that entry
    const { topicArn, queueUrl } = await createTopicToQueue(context.sqs(), 'sink-sns', cleanup);
    const lambda = sinkLambda('sns', { TOPIC_ARN: topicArn, PAYLOAD_FORMAT: 'text', MAX_ENTRY_BYTES: '1048576', MAX_REQUEST_BYTES: '1048576' }, cleanup);
    const batch = makeBatch([{ topic: 'big', partition: 2, count: 3 }]);
    batch.partitions[0]!.records[1]!.value = new Uint8Array(Buffer.from('q'.repeat(300 * 1024)));
    // Act
    const response = await lambda.sinkHandler(encodeKafkaEvent(batch));
    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: 'big-2', offset: 1 } }] });
    expect((await receiveAll(context.sqs(), queueUrl)).map((x) => x.MessageAttributes?.['kafka.offset']?.StringValue)).toContain('0');
  });
});

describe('sink-eventbridge against moto', () => {
  it('puts one event per record with the JSON envelope as Detail, routed by a rule to SQS', async () => {
    // Prepare
    const { bus, queueUrl } = await createBusToQueue(context.sqs(), 'kafka.domain-events', cleanup);
    const lambda = sinkLambda('eventbridge', { EVENT_BUS_NAME: bus, EVENT_SOURCE: 'kafka.domain-events', PAYLOAD_FORMAT: 'json' }, cleanup);
    // Act
    const response = await lambda.sinkHandler(loadEvent('sink-eventbridge.json'));
    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    const events = (await receiveAll(context.sqs(), queueUrl)).map((m) => JSON.parse(m.Body ?? '{}') as { source: string; 'detail-type': string; detail: Record<string, unknown>; time: string });
    expect(events).toHaveLength(5);
    const e = events.find((x) => x.detail.offset === '100');
    expect(e).toMatchObject({ source: 'kafka.domain-events', 'detail-type': 'Kafka Record', detail: { topic: 'domain-events', partition: 0, key: 'customer-17', value: { id: 'c-17', event: 'created', amount: 12.5 } } });
    expect(e?.detail.headers).toEqual([{ key: 'traceparent', value: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' }, { key: 'content-type', value: 'application/json' }]);
  });
});

describe('sink-kinesis against moto', () => {
  it('puts 600 records in 500-record requests with the Kafka key as partition key, and dead-letters a record over 1 MiB', async () => {
    // Prepare
    const { stream, readAll } = await createStream(cleanup);
    const dlqUrl = await createQueue(context.sqs(), 'sink-kinesis-dlq', cleanup);
    const lambda = sinkLambda('kinesis', { STREAM_NAME: stream, PAYLOAD_FORMAT: 'base64', DLQ_URL: dlqUrl }, cleanup);
    const batch = makeBatch([{ topic: 'clicks', partition: 0, count: 600 }]);
    batch.partitions[0]!.records[0]!.key = null;
    batch.partitions[0]!.records[599]!.value = new Uint8Array(1_048_576);
    // Act
    const response = await lambda.sinkHandler(encodeKafkaEvent(batch));
    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    const Records = await readAll();
    expect(Records).toHaveLength(599);
    expect(Records[0]?.PartitionKey).toBe('clicks-0');
    expect(Records[1]?.PartitionKey).toBe('key-1');
    const envelope = JSON.parse(Buffer.from(Records[598]?.Data ?? []).toString()) as { offset: string; value: string };
    expect(envelope.offset).toBe('598');
    expect(Buffer.from(envelope.value, 'base64').toString()).toBe('{"i":598}');
    const dead = await deadLetters(context.sqs(), dlqUrl);
    expect(dead).toEqual([
      expect.objectContaining({
        source: expect.objectContaining({ offset: '599' }),
        destination: { kind: 'kinesis', name: stream },
        reason: 'record-too-large',
        detail: expect.stringMatching(/^too big for kinesis/),
        truncated: true,
      }),
    ]);
  });
});

describe('sink-s3 against moto', () => {
  it('writes one NDJSON object per partition batch whose key a redelivery overwrites', async () => {
    // Prepare
    const { bucket, s3, lines } = await createBucket(cleanup);
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
    const all = await lines();
    expect(all.filter((l) => l.partition === 1)).toEqual([
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
  it('writes items keyed by source coordinates; 60 records in 25-item requests; a redelivery leaves the item count unchanged', async () => {
    // Prepare
    const { ddb, name } = await createTable([{ name: 'pk', type: 'S', role: 'HASH' }, { name: 'sk', type: 'N', role: 'RANGE' }], cleanup);
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
    const { ddb, name } = await createTable([{ name: 'id', type: 'S', role: 'HASH' }], cleanup);
    const dlqUrl = await createQueue(context.sqs(), 'sink-ddb-dlq', cleanup);
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
      const d = await deadLetters(context.sqs(), dlqUrl);
      return d.length === 2 ? d : undefined;
    }, { timeoutMs: 5000 });
    expect(dead.map((d) => [d.reason, d.detail])).toEqual([
      ['unshapeable', 'has a null or empty Kafka key, which cannot be the item key (ITEM_KEY=kafka-key)'],
      ['record-too-large', expect.stringMatching(/^too big for dynamodb: \d+ bytes > limit 409600$/)],
    ]);
  });
});
