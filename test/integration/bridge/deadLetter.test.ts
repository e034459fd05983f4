import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveAwsClientConfig } from '../../../src/adapters/aws/clientConfig';
import { SQS_MAX_BODY_BYTES, sqsDeadLetterSink, type DeadLetter } from '../../../src/bridge/deadLetter';
import type { DeadLetterBody } from '../../../src/deadLetter/body';
import type { SourceRecord } from '../../../src/event/types';
import type { KafkaTransaction } from '../../../src/kafka';
import { uniqueName } from '../../support/helpers';

// The SQS path does not use the Kafka transaction (it delivers before the commit).
const noTransaction = {} as KafkaTransaction;
const aws = resolveAwsClientConfig(process.env);
const sqs = new SQSClient(aws.client);
const s3 = new S3Client(aws.s3);

afterAll(() => {
  sqs.destroy();
  s3.destroy();
});

function letterWith(value: Uint8Array, offset: bigint): DeadLetter {
  const record: SourceRecord = {
    topic: 'orders',
    partition: 1,
    offset,
    timestamp: 1718000000000,
    timestampType: 'CREATE_TIME',
    key: new Uint8Array(Buffer.from('customer-17')),
    value,
    headers: [{ key: 'trace', value: new Uint8Array(Buffer.from('t-1')) }],
  };
  return { record, sourceCluster: 'onprem', targetTopic: 'orders-v2', reason: 'record-too-large', detail: 'record needs about 400100 bytes; orders-v2 accepts 1048588' };
}

async function receiveBodies(queueUrl: string): Promise<DeadLetterBody[]> {
  const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
  return Messages.map((m) => JSON.parse(m.Body as string) as DeadLetterBody);
}

describe('bridge SQS dead letters (moto SQS and S3)', () => {
  it('sends a body over 256 KiB cut to a prefix and stores the complete body in S3', async () => {
    // Prepare
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('bridge-dlq-s3') }))).QueueUrl as string;
    const bucket = uniqueName('bridge-dlq-bucket').toLowerCase();
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const value = new Uint8Array(400_000).fill(5);
    const dlq = sqsDeadLetterSink({ sqs, queueUrl, s3: { client: s3, bucket } });
    // Act
    await dlq.deliver([letterWith(value, 7n)], noTransaction);
    // Assess
    const [body, ...rest] = await receiveBodies(queueUrl);
    expect(rest).toEqual([]);
    expect(body).toMatchObject({
      kbridge: 'dead-letter',
      v: 2,
      reason: 'record-too-large',
      source: { cluster: 'onprem', topic: 'orders', partition: 1, offset: '7' },
      destination: { kind: 'kafka', name: 'orders-v2' },
      truncated: true,
      valueBytes: 400_000,
      payloadS3: { bucket, key: 'kbridge-dead-letters/onprem/orders/1/7.json' },
    });
    expect(Buffer.byteLength(JSON.stringify(body))).toBeLessThanOrEqual(SQS_MAX_BODY_BYTES);
    const prefix = Buffer.from(body?.value ?? '', 'base64');
    expect(prefix.length).toBeGreaterThan(180_000);
    expect(prefix.every((b) => b === 5)).toBe(true);
    const stored = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: body?.payloadS3?.key }));
    const full = JSON.parse((await stored.Body?.transformToString()) ?? '{}') as DeadLetterBody;
    expect({ ...full, value: undefined }).toEqual({ ...body, truncated: false, value: undefined, payloadS3: undefined });
    expect(Buffer.from(full.value ?? '', 'base64').equals(Buffer.from(value))).toBe(true);
  });

  it('without a bucket, sends the cut body alone; a small body goes whole', async () => {
    // Prepare
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('bridge-dlq') }))).QueueUrl as string;
    const dlq = sqsDeadLetterSink({ sqs, queueUrl });
    // Act
    await dlq.deliver([letterWith(new Uint8Array(400_000).fill(5), 8n), letterWith(Uint8Array.of(1, 2, 3), 9n)], noTransaction);
    // Assess
    const bodies = (await receiveBodies(queueUrl)).sort((a, b) => a.source.offset.localeCompare(b.source.offset));
    expect(bodies.map((b) => [b.source.offset, b.truncated, b.valueBytes, b.payloadS3, b.key])).toEqual([
      ['8', true, 400_000, undefined, Buffer.from('customer-17').toString('base64')],
      ['9', false, 3, undefined, Buffer.from('customer-17').toString('base64')],
    ]);
    expect(bodies[1]?.value).toBe('AQID');
  });
});
