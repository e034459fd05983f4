import type { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { parseSinkConfig } from '../../../src/sinks/config';
import { createSqsDeadLetterQueue, sinkDestination } from '../../../src/sinks/deadLetter';
import { makeRecord, noSleep, stubClient } from './support';

const retry = { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, ...noSleep };
const acceptAll = (input: Record<string, unknown>) => ({ Successful: (input.Entries as Array<{ Id: string }>).map((e) => ({ Id: e.Id })) });

describe('createSqsDeadLetterQueue', () => {
  it('sends one shared-format message per reject, FIFO-grouped per partition and deduplicated by coordinates', async () => {
    // Prepare
    const sqs = stubClient<SQSClient>(acceptAll);
    const dlq = createSqsDeadLetterQueue(sqs, 'http://localhost/123/dlq.fifo', { retry, destination: { kind: 'kinesis', name: 'clicks' } });
    // Act
    const outcomes = await dlq.send([{ record: makeRecord({ offset: 5n }), reason: 'value is not valid JSON' }], 'b-1:9092');
    // Assess
    expect(outcomes).toEqual([{ ok: true }]);
    const entry = (sqs.calls[0]?.Entries as Array<Record<string, unknown>>)[0];
    expect(entry).toMatchObject({ MessageGroupId: 'orders-0', MessageDeduplicationId: 'orders-0-5' });
    expect(JSON.parse(entry?.MessageBody as string)).toMatchObject({
      kbridge: 'dead-letter',
      v: 2,
      reason: 'unshapeable',
      detail: 'value is not valid JSON',
      source: { cluster: 'b-1:9092', topic: 'orders', partition: 0, offset: '5' },
      destination: { kind: 'kinesis', name: 'clicks' },
    });
  });

  it('keeps the reject code and cuts the body to the queue entry limit', async () => {
    // Prepare
    const sqs = stubClient<SQSClient>(acceptAll);
    const limits = { maxEntries: 10, maxRequestBytes: 4096, maxEntryBytes: 2048 };
    const dlq = createSqsDeadLetterQueue(sqs, 'http://localhost/123/dlq', { retry, limits, destination: { kind: 'sqs', name: 'q' } });
    const record = makeRecord({ value: new Uint8Array(10_000).fill(9) });
    // Act
    const outcomes = await dlq.send([{ record, reason: 'too big for sqs: 10050 bytes > limit 2048', code: 'record-too-large' }], 'c');
    // Assess
    expect(outcomes).toEqual([{ ok: true }]);
    const body = (sqs.calls[0]?.Entries as Array<{ MessageBody: string }>)[0]?.MessageBody ?? '';
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(2048);
    expect(JSON.parse(body)).toMatchObject({ reason: 'record-too-large', truncated: true, valueBytes: 10_000 });
  });
});

describe('sinkDestination', () => {
  it('names what each sink delivers to', () => {
    const parse = (kind: Parameters<typeof parseSinkConfig>[0], env: Record<string, string>) => sinkDestination(parseSinkConfig(kind, env));
    expect(parse('sqs', { QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/q' })).toEqual({ kind: 'sqs', name: 'https://sqs.eu-west-1.amazonaws.com/1/q' });
    expect(parse('sns', { TOPIC_ARN: 'arn:aws:sns:eu-west-1:1:t' })).toEqual({ kind: 'sns', name: 'arn:aws:sns:eu-west-1:1:t' });
    expect(parse('eventbridge', {})).toEqual({ kind: 'eventbridge', name: 'default' });
    expect(parse('kinesis', { STREAM_NAME: 'clicks' })).toEqual({ kind: 'kinesis', name: 'clicks' });
    expect(parse('s3', { BUCKET: 'b', KEY_PREFIX: 'kafka/' })).toEqual({ kind: 's3', name: 's3://b/kafka/' });
    expect(parse('dynamodb', { TABLE_NAME: 'customers' })).toEqual({ kind: 'dynamodb', name: 'customers' });
  });
});
