import { describe, expect, it } from 'vitest';
import { encodeKafkaEvent } from '../../../src/event/codec';
import type { KafkaBatch, SourceRecord } from '../../../src/event/types';
import { effectiveMaximumRetryAttempts } from '../../../src/local/esm/config';
import { buildFailureRecord } from '../../../src/local/esm/failureDestination';

function record(topic: string, partition: number, offset: bigint, timestamp: number): SourceRecord {
  return { topic, partition, offset, timestamp, timestampType: 'CREATE_TIME', key: Buffer.from('k'), value: Buffer.from('v'), headers: [{ key: 'h', value: Buffer.from([0xff]) }] };
}

describe('buildFailureRecord', () => {
  it('describes one discarded batch with the offset and time range of each partition, as Lambda documents it', () => {
    // Prepare
    const batch: KafkaBatch = {
      eventSource: 'aws:kafka',
      eventSourceArn: 'arn:aws:kafka:us-east-1:123456789012:cluster/demo/abc-1',
      bootstrapServers: ['b-1:9092', 'b-2:9092'],
      partitions: [
        { topic: 'orders-eu', partition: 0, records: [record('orders-eu', 0, 7n, 1_700_000_000_000), record('orders-eu', 0, 9n, 1_700_000_000_500)] },
        { topic: 'orders-eu', partition: 3, records: [record('orders-eu', 3, 9_007_199_254_740_993n, 1_700_000_001_000)] },
      ],
    };

    // Act
    const result = buildFailureRecord(batch, { requestId: 'req-1', functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:f', approximateInvokeCount: 11, functionError: 'Handled', now: new Date('2025-01-01T00:00:00Z') });

    // Assess
    expect(result).toEqual({
      requestContext: { requestId: 'req-1', functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:f', condition: 'RetryAttemptsExhausted', approximateInvokeCount: 11 },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Handled' },
      version: '1.0',
      timestamp: '2025-01-01T00:00:00.000Z',
      KafkaBatchInfo: {
        batchSize: 3,
        eventSourceArn: 'arn:aws:kafka:us-east-1:123456789012:cluster/demo/abc-1',
        bootstrapServers: 'b-1:9092,b-2:9092',
        payloadSize: expect.any(Number),
        recordsInfo: {
          'orders-eu-0': { firstRecordOffset: '7', lastRecordOffset: '9', firstRecordTimestamp: '2023-11-14T22:13:20.000Z', lastRecordTimestamp: '2023-11-14T22:13:20.500Z' },
          'orders-eu-3': { firstRecordOffset: '9007199254740993', lastRecordOffset: '9007199254740993', firstRecordTimestamp: '2023-11-14T22:13:21.000Z', lastRecordTimestamp: '2023-11-14T22:13:21.000Z' },
        },
      },
    });
  });

  it('reports the payload size as the byte length of the discarded records\' event JSON', () => {
    // Prepare
    const batch: KafkaBatch = { eventSource: 'SelfManagedKafka', bootstrapServers: ['h:9092'], partitions: [{ topic: 't', partition: 1, records: [record('t', 1, 0n, 1), record('t', 1, 1n, 2)] }] };

    // Act
    const result = buildFailureRecord(batch, { requestId: 'r', functionArn: 'a', approximateInvokeCount: 1, functionError: 'Unhandled' });

    // Assess
    expect(result.KafkaBatchInfo.payloadSize).toBe(Buffer.byteLength(JSON.stringify(encodeKafkaEvent(batch))));
    expect(result.KafkaBatchInfo.eventSourceArn).toBeUndefined();
  });
});

describe('effectiveMaximumRetryAttempts', () => {
  it('caps infinite retries at 10 only when an on-failure destination is configured', () => {
    // Act
    const capped = effectiveMaximumRetryAttempts({ maximumRetryAttempts: -1, onFailure: { type: 'file', path: '/tmp/f.jsonl' } });
    const infinite = effectiveMaximumRetryAttempts({ maximumRetryAttempts: -1 });
    const explicit = effectiveMaximumRetryAttempts({ maximumRetryAttempts: 500, onFailure: { type: 'sqs', queueArn: 'arn:aws:sqs:us-east-1:000000000000:q' } });

    // Assess
    expect([capped, infinite, explicit]).toEqual([10, -1, 500]);
  });
});
