import type { DynamoDBClient, WriteRequest } from '@aws-sdk/client-dynamodb';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { deliverBatch } from '../../../src/sinks/deliver';
import { createDynamoDbAdapter, DynamoDbLimits, itemSize, toAttributeValue } from '../../../src/sinks/dynamodb';
import { createEventBridgeAdapter, EventBridgeLimits, putEventsEntrySize } from '../../../src/sinks/eventbridge';
import { createKinesisAdapter, KinesisLimits, kinesisPartitionKey } from '../../../src/sinks/kinesis';
import { s3ObjectKey } from '../../../src/sinks/s3';
import { createSqsAdapter, SqsLimits } from '../../../src/sinks/sqs';
import { loadBatch, makeBatch, makeRecord, noSleep, stubClient } from './support';

// Stubbed clients: moto never answers SendMessageBatch/PutEvents/PutRecords with a retriable per-entry
// failure, nor BatchWriteItem with UnprocessedItems, so these paths are proven here.
const retry = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1, ...noSleep };
type Input = Record<string, unknown>;

describe('SQS adapter', () => {
  it('builds FIFO messages with group per key and dedup id from coordinates, from the sample event', async () => {
    // Prepare
    const sqs = stubClient<SQSClient>((input) => ({ Successful: (input.Entries as Array<{ Id: string }>).map((e) => ({ Id: e.Id })) }));
    const adapter = createSqsAdapter({ queueUrl: 'q.fifo', fifo: true, messageGroup: 'key', payloadFormat: 'json', limits: SqsLimits }, sqs);
    // Act
    const result = await deliverBatch(loadBatch('sink-sqs.json'), adapter, { retry });
    // Assess
    const entries = sqs.calls.flatMap((c) => c.Entries as Input[]);
    expect(entries.map((e) => [e.MessageGroupId, e.MessageDeduplicationId])).toEqual([
      ['customer-17', 'orders-0-100'],
      ['customer-42', 'orders-0-101'],
      ['customer-17', 'orders-0-102'],
      ['orders-1', 'orders-1-7'],
      ['customer-42', 'orders-1-8'],
    ]);
    expect(entries[0]?.MessageBody).toBe('{"id":"c-17","event":"created","amount":12.5}');
    expect(entries[4]).toMatchObject({ MessageBody: 'null', MessageAttributes: { 'kafka.markers': { DataType: 'String', StringValue: 'value-null' } } });
    expect(result.counts.delivered).toBe(5);
  });

  it('retries only a failed entry (SenderFault false) and reports success', async () => {
    const sqs = stubClient<SQSClient>((input, call) => {
      const entries = input.Entries as Array<{ Id: string }>;
      if (call === 1) return { Successful: entries.slice(1).map((e) => ({ Id: e.Id })), Failed: [{ Id: entries[0]?.Id, SenderFault: false, Code: 'InternalError' }] };
      return { Successful: entries.map((e) => ({ Id: e.Id })) };
    });
    const result = await deliverBatch(makeBatch([{ partition: 0, count: 3 }]), createSqsAdapter({ queueUrl: 'q', fifo: false, messageGroup: 'partition', payloadFormat: 'text', limits: SqsLimits }, sqs), { retry });
    expect(sqs.calls.map((c) => (c.Entries as unknown[]).length)).toEqual([3, 1]);
    expect(result.failures).toEqual([]);
  });

  it('turns a sender-fault entry into a partial-batch failure without retrying it', async () => {
    const sqs = stubClient<SQSClient>((input) => {
      const entries = input.Entries as Array<{ Id: string }>;
      return { Successful: entries.slice(0, 1).map((e) => ({ Id: e.Id })), Failed: entries.slice(1).map((e) => ({ Id: e.Id, SenderFault: true, Code: 'InvalidParameterValue', Message: 'bad' })) };
    });
    const result = await deliverBatch(makeBatch([{ partition: 4, count: 3, first: 10n }]), createSqsAdapter({ queueUrl: 'q', fifo: false, messageGroup: 'partition', payloadFormat: 'text', limits: SqsLimits }, sqs), { retry });
    expect(sqs.calls).toHaveLength(1);
    expect(result.failures).toEqual([{ topic: 'orders', partition: 4, offset: 11n }]);
    expect(result.records[1]?.outcome).toEqual({ status: 'failed', retriable: false, reason: 'InvalidParameterValue: bad' });
  });

  it('splits 25 messages of ~300 KiB into requests under 1 MiB and 10 entries', async () => {
    const sqs = stubClient<SQSClient>((input) => ({ Successful: (input.Entries as Array<{ Id: string }>).map((e) => ({ Id: e.Id })) }));
    const big = 'x'.repeat(300 * 1024);
    await deliverBatch(makeBatch([{ partition: 0, count: 25, value: () => big }]), createSqsAdapter({ queueUrl: 'q', fifo: false, messageGroup: 'partition', payloadFormat: 'text', limits: SqsLimits }, sqs), { retry });
    const sizes = sqs.calls.map((c) => (c.Entries as Array<{ MessageBody: string }>).reduce((n, e) => n + e.MessageBody.length, 0));
    expect(sqs.calls.map((c) => (c.Entries as unknown[]).length)).toEqual([3, 3, 3, 3, 3, 3, 3, 3, 1]);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(1_048_576);
  });
});

describe('EventBridge adapter', () => {
  it('retries a ThrottlingException entry and counts entry size as AWS documents', async () => {
    // Prepare
    const eb = stubClient<EventBridgeClient>((input, call) => ({
      Entries: (input.Entries as unknown[]).map((_, i) => (call === 1 && i === 1 ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' } : { EventId: `id-${call}-${i}` })),
    }));
    const adapter = createEventBridgeAdapter({ eventBusName: 'b', source: 'kafka.orders', detailType: 'Kafka Record', payloadFormat: 'json', keyFormat: 'text', limits: EventBridgeLimits }, eb);
    // Act
    const result = await deliverBatch(loadBatch('sink-eventbridge.json'), adapter, { retry });
    // Assess
    expect(sqsLikeCounts(eb.calls)).toEqual([5, 1]);
    expect(result.failures).toEqual([]);
    const first = (eb.calls[0]?.Entries as Input[])[0] as { Source: string; DetailType: string; Detail: string };
    expect(JSON.parse(first.Detail)).toMatchObject({ topic: 'domain-events', partition: 0, offset: '100', key: 'customer-17', value: { id: 'c-17' } });
    expect(putEventsEntrySize({ Time: new Date(), Source: 'ab', DetailType: 'cd', Detail: '{"é":1}' })).toBe(14 + 2 + 2 + 8);
  });

  it('fails a MalformedDetail entry permanently', async () => {
    const eb = stubClient<EventBridgeClient>((input) => ({ Entries: (input.Entries as unknown[]).map((_, i) => (i === 0 ? { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' } : { EventId: 'x' })) }));
    const adapter = createEventBridgeAdapter({ eventBusName: 'b', source: 's', detailType: 'd', payloadFormat: 'base64', keyFormat: 'text', limits: EventBridgeLimits }, eb);
    const result = await deliverBatch(makeBatch([{ partition: 2, count: 2 }]), adapter, { retry });
    expect(eb.calls).toHaveLength(1);
    expect(result.failures).toEqual([{ topic: 'orders', partition: 2, offset: 0n }]);
  });
});

function sqsLikeCounts(calls: Input[]): number[] {
  return calls.map((c) => ((c.Entries ?? c.Records ?? []) as unknown[]).length);
}

describe('Kinesis adapter', () => {
  it('retries records with a per-record ErrorCode and chunks at 500 records', async () => {
    // Prepare
    const kinesis = stubClient<KinesisClient>((input, call) => ({
      FailedRecordCount: call === 1 ? 2 : 0,
      Records: (input.Records as unknown[]).map((_, i) => (call === 1 && (i === 3 || i === 499) ? { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded' } : { SequenceNumber: '1', ShardId: 's' })),
    }));
    const adapter = createKinesisAdapter({ streamName: 's', payloadFormat: 'json', keyFormat: 'text', limits: KinesisLimits }, kinesis);
    // Act
    const result = await deliverBatch(makeBatch([{ partition: 0, count: 520 }]), adapter, { retry });
    // Assess
    expect(sqsLikeCounts(kinesis.calls)).toEqual([500, 2, 20]);
    expect(result.failures).toEqual([]);
    expect(result.counts.delivered).toBe(520);
  });

  it('derives partition keys from the Kafka key, hashing what Kinesis cannot take', () => {
    expect(kinesisPartitionKey(makeRecord({ key: 'customer-1' }))).toBe('customer-1');
    expect(kinesisPartitionKey(makeRecord({ key: null, partition: 5 }))).toBe('orders-5');
    expect(kinesisPartitionKey(makeRecord({ key: 'k'.repeat(257) }))).toMatch(/^[0-9a-f]{64}$/);
    expect(kinesisPartitionKey(makeRecord({ key: Uint8Array.of(0xff) }))).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('DynamoDB adapter', () => {
  it('retries UnprocessedItems and keeps two writes to one key in separate requests, in order', async () => {
    // Prepare: kafka-key mode, sample event has customer-17 and customer-42 twice and a tombstone
    let unprocessedOnce = true;
    const ddb = stubClient<DynamoDBClient>((input) => {
      const writes = (input.RequestItems as Record<string, WriteRequest[]>).t ?? [];
      if (unprocessedOnce) {
        unprocessedOnce = false;
        return { UnprocessedItems: { t: [writes[0]] } };
      }
      return { UnprocessedItems: {} };
    });
    const adapter = createDynamoDbAdapter({ tableName: 't', partitionKeyAttribute: 'pk', itemKey: { kind: 'kafka-key' }, payloadFormat: 'json', keyFormat: 'text', limits: DynamoDbLimits }, ddb);
    // Act
    const deadLettered: string[] = [];
    const deadLetter = {
      send: async (rejects: Array<{ reason: string }>) =>
        rejects.map((r): { ok: true } => {
          deadLettered.push(r.reason);
          return { ok: true };
        }),
    };
    const result = await deliverBatch(loadBatch('sink-dynamodb.json'), adapter, { retry, deadLetter });
    // Assess
    const requests = ddb.calls.map((c) => ((c.RequestItems as Record<string, WriteRequest[]>).t ?? []).map((w) => (w.PutRequest ? `put ${w.PutRequest.Item?.pk?.S}` : `delete ${w.DeleteRequest?.Key?.pk?.S}`)));
    expect(requests).toEqual([
      ['put customer-17', 'put customer-42'],
      ['put customer-17'],
      ['put customer-17', 'delete customer-42'],
    ]);
    expect(result.failures).toEqual([]);
    // The keyless record cannot be keyed by its Kafka key: dead-lettered, so the tombstone after it still goes out.
    expect(deadLettered).toEqual(['has a null or empty Kafka key, which cannot be the item key (ITEM_KEY=kafka-key)']);
    expect(result.counts).toEqual({ delivered: 4, deadLettered: 1, failed: 0, redelivered: 0 });
  });

  it('marshals JSON and sizes items by the documented rules', () => {
    expect(toAttributeValue({ id: 7, tags: ['a'], ok: true, none: null })).toEqual({ M: { id: { N: '7' }, tags: { L: [{ S: 'a' }] }, ok: { BOOL: true }, none: { NULL: true } } });
    expect(itemSize({ pk: { S: 'abc' }, n: { N: '12345' } })).toBe(2 + 3 + 1 + 4);
  });
});

describe('s3ObjectKey', () => {
  it('is deterministic and sorts in offset order', () => {
    expect(s3ObjectKey('raw/', 'orders', 3, 100n, 149n)).toBe('raw/orders/3/00000000000000000100-00000000000000000149.ndjson');
    expect(s3ObjectKey('', 't', 0, 9n, 10n) < s3ObjectKey('', 't', 0, 11n, 12n)).toBe(true);
  });
});
