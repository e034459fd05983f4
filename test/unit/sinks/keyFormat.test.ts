import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { resolveAwsClientConfig } from '../../../src/adapters/aws/clientConfig';
import { parseSinkConfig } from '../../../src/sinks/config';
import { createSink } from '../../../src/sinks/factory';
import { shapeKeyBytes, shapeRecord } from '../../../src/sinks/shape';
import { SinkKinds, type SinkKind } from '../../../src/sinks/types';
import { loadBatch, loadEvent, makeRecord, stubClient } from './support';

// Lambda's documented MSK sample event: its key "abcDEFghiJKLmnoPQRstuVWXyz1234==" is not valid UTF-8 once decoded.
const SAMPLE = 'kafka-msk.json';
const sampleKey = Buffer.from('abcDEFghiJKLmnoPQRstuVWXyz1234==', 'base64');
const binaryHeader = Uint8Array.of(0xff, 0xfe, 0x00, 0x41);

const requiredEnv: Record<SinkKind, Record<string, string>> = {
  sqs: { QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/q' },
  sns: { TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:t' },
  eventbridge: {},
  kinesis: { STREAM_NAME: 's' },
  s3: { BUCKET: 'b' },
  dynamodb: { TABLE_NAME: 't' },
};

const ok = (input: Record<string, unknown>): unknown => {
  const entries = (input.Entries ?? input.Records ?? input.PublishBatchRequestEntries) as unknown[] | undefined;
  return {
    Successful: (input.Entries as Array<{ Id: string }> | undefined)?.map((e) => ({ Id: e.Id })) ?? (input.PublishBatchRequestEntries as Array<{ Id: string }> | undefined)?.map((e) => ({ Id: e.Id })),
    Entries: entries?.map(() => ({ EventId: 'e' })),
    Records: entries?.map(() => ({ SequenceNumber: '1', ShardId: 's' })),
    FailedRecordCount: 0,
    FailedEntryCount: 0,
    UnprocessedItems: {},
  };
};

describe('KEY_FORMAT default (auto)', () => {
  it('is auto, and keeps text keys as text and other bytes as marked base64', () => {
    // Act
    const config = parseSinkConfig('dynamodb', requiredEnv.dynamodb);

    // Assess
    expect(config.keyFormat).toBe('auto');
    expect(shapeKeyBytes(sampleKey, 'auto')).toEqual({ ok: true, value: sampleKey.toString('base64'), base64: true });
    expect(shapeKeyBytes(Buffer.from('k-1'), 'auto')).toEqual({ ok: true, value: 'k-1', base64: false });
    expect(shapeKeyBytes(sampleKey, 'text')).toMatchObject({ ok: false });
  });

  it('puts a non-UTF-8 key and header in the envelope as base64 with their markers, losslessly', () => {
    // Prepare
    const record = makeRecord({ key: sampleKey, headers: [{ key: 'bin', value: binaryHeader }, { key: 'txt', value: Buffer.from('v') }] });

    // Act
    const shaped = shapeRecord(record, { payloadFormat: 'base64', keyFormat: 'auto' });

    // Assess
    expect(shaped.ok).toBe(true);
    if (!shaped.ok) return;
    expect(shaped.value.keyEncoding).toBe('base64');
    expect(Buffer.from(shaped.value.key ?? '', 'base64').equals(sampleKey)).toBe(true);
    expect(shaped.value.headers).toEqual([
      { key: 'bin', value: Buffer.from(binaryHeader).toString('base64'), encoding: 'base64' },
      { key: 'txt', value: 'v' },
    ]);
  });

  it.each(SinkKinds)('delivers Lambda\'s documented sample event through sink-%s under default settings', async (kind) => {
    // Prepare
    const client = stubClient<SQSClient & SNSClient & EventBridgeClient & KinesisClient & S3Client & DynamoDBClient>((input) => ok(input));
    const clients = { sqs: client, sns: client, eventBridge: client, kinesis: client, s3: client, dynamoDb: client };
    const sink = createSink(parseSinkConfig(kind, requiredEnv[kind]), resolveAwsClientConfig({ AWS_REGION: 'us-east-1' }), clients);
    expect(loadEvent(SAMPLE)).toMatchObject({ eventSource: 'aws:kafka' });

    // Act
    const result = await sink.deliver(loadBatch(SAMPLE));

    // Assess
    expect(result.failures).toEqual([]);
    expect(result.counts).toMatchObject({ delivered: 1, deadLettered: 0, failed: 0 });
    // Buffers reach a replacer already as { type: 'Buffer', data }; Uint8Arrays as they are.
    const bytes = (v: unknown): Buffer | undefined =>
      v instanceof Uint8Array ? Buffer.from(v) : (v as { type?: string; data?: number[] } | null)?.type === 'Buffer' ? Buffer.from((v as { data: number[] }).data) : undefined;
    // Binary fields as base64 (DynamoDB, SQS attributes) and as text (an envelope in Kinesis Data, S3 Body).
    const sent = JSON.stringify(client.calls, (_k, v: unknown) => { const b = bytes(v); return b ? `${b.toString('base64')} ${b.toString('utf8')}` : v; });
    expect(sent).toContain(sampleKey.toString('base64'));
  });

  it('stores a non-UTF-8 key as a Binary attribute in DynamoDB (the type is the marker)', async () => {
    // Prepare
    const ddb = stubClient<DynamoDBClient>(() => ({ UnprocessedItems: {} }));
    const sink = createSink(parseSinkConfig('dynamodb', requiredEnv.dynamodb), resolveAwsClientConfig({ AWS_REGION: 'us-east-1' }), { dynamoDb: ddb });

    // Act
    await sink.deliver(loadBatch(SAMPLE));

    // Assess
    const item = (ddb.calls[0]?.RequestItems as Record<string, Array<{ PutRequest: { Item: Record<string, { B?: Uint8Array; S?: string }> } }>>).t?.[0]?.PutRequest.Item;
    expect(Buffer.from(item?.key?.B ?? []).equals(sampleKey)).toBe(true);
    expect(item?.headers).toEqual({ L: [{ M: { key: { S: 'headerKey' }, value: { S: 'headerValue' } } }] });
  });
});
