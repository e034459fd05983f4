import type { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { createSqsDeadLetterQueue, deadLetterBody } from '../../../src/sinks/deadLetter';
import { makeRecord, noSleep, stubClient, utf8 } from './support';

describe('deadLetterBody', () => {
  it('carries reason, coordinates and the payload as base64', () => {
    // Prepare
    const record = makeRecord({ offset: 7n, key: 'k', value: Uint8Array.of(1, 2, 3), headers: [{ key: 'h', value: utf8('v') }] });
    // Act
    const body = deadLetterBody({ record, reason: 'value is not valid UTF-8' }, 'sns', 1_048_576);
    // Assess
    expect(body).toEqual({
      reason: 'value is not valid UTF-8', sink: 'sns', topic: 'orders', partition: 0, offset: '7', timestamp: 1718000000000,
      timestampType: 'CREATE_TIME', key: 'aw==', headers: [{ key: 'h', value: 'dg==' }], value: 'AQID', valueBytes: 3, truncated: false,
    });
  });

  it('truncates the value to fit the DLQ limit and flags it', () => {
    // Prepare
    const value = new Uint8Array(2_000_000).fill(7);
    // Act
    const body = deadLetterBody({ record: makeRecord({ value }), reason: 'too big for sqs' }, 'sqs', 1_048_576);
    // Assess
    expect(body.truncated).toBe(true);
    expect(body.valueBytes).toBe(2_000_000);
    expect(Buffer.byteLength(JSON.stringify(body))).toBeLessThanOrEqual(1_048_576);
    const kept = Buffer.from(body.value ?? '', 'base64');
    expect(kept.length).toBeGreaterThan(700_000);
    expect(kept.every((b) => b === 7)).toBe(true);
  });
});

describe('createSqsDeadLetterQueue', () => {
  it('sends one JSON message per reject, FIFO-grouped per partition and deduplicated by coordinates', async () => {
    // Prepare
    const sqs = stubClient<SQSClient>((input) => ({ Successful: (input.Entries as Array<{ Id: string }>).map((e) => ({ Id: e.Id })) }));
    const dlq = createSqsDeadLetterQueue(sqs, 'http://localhost/123/dlq.fifo', { retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, ...noSleep } });
    // Act
    const outcomes = await dlq.send([{ record: makeRecord({ offset: 5n }), reason: 'r' }], 'kinesis');
    // Assess
    expect(outcomes).toEqual([{ ok: true }]);
    const entry = (sqs.calls[0]?.Entries as Array<Record<string, unknown>>)[0];
    expect(entry).toMatchObject({ MessageGroupId: 'orders-0', MessageDeduplicationId: 'orders-0-5' });
    expect(JSON.parse(entry?.MessageBody as string)).toMatchObject({ reason: 'r', sink: 'kinesis', offset: '5' });
  });
});
