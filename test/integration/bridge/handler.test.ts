import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveAwsClientConfig } from '../../../src/adapters/aws/clientConfig';
import type { DeadLetterBody } from '../../../src/deadLetter/body';
import { createBridgeLambda, type BridgeLambda } from '../../../src/bridge/lambda';
import { partitionEnds } from '../../../src/bridge/read';
import { encodeKafkaEvent } from '../../../src/event/codec';
import type { SourceRecord } from '../../../src/event/types';
import type { KafkaAdmin, KafkaClient } from '../../../src/kafka';
import { inject } from 'vitest';
import { uniqueName, waitFor } from '../../support/helpers';
import { batchOf, createTopic, produce, readAll, sampleRecords, view } from './support';
import { connectClusters, disconnectClusters, type TestClusters } from './support';

let source: KafkaClient;
let target: KafkaClient;
let sourceAdmin: KafkaAdmin;
let targetAdmin: KafkaAdmin;
const lambdas: BridgeLambda[] = [];

let connected: TestClusters | undefined;

beforeAll(async () => {
  connected = await connectClusters();
  ({ source, target, sourceAdmin, targetAdmin } = connected);
});

afterAll(async () => {
  await Promise.all(lambdas.map((l) => l.close()));
  await disconnectClusters(connected);
});

describe('bridge Lambda handler (bare, real brokers and moto SQS)', () => {
  it('replicates an event, dead-letters an oversize record to SQS, and skips the redelivered event', async () => {
    // Prepare
    const clusters = inject('clusters');
    const topic = uniqueName('h');
    await createTopic(sourceAdmin, topic, 2, { 'max.message.bytes': '3000' });
    await produce(source, topic, sampleRecords(2, 10));
    const ends = await partitionEnds(sourceAdmin, topic);
    const read = await readAll(source, topic, new Map([...ends].map(([p, e]) => [p, e.high])));
    const records = [...read.values()].flat();
    const poison: SourceRecord = { ...(records[3] as SourceRecord), value: new Uint8Array(4000).fill(1) };
    const event = encodeKafkaEvent(batchOf(records.map((r) => (r === records[3] ? poison : r))));
    const sqs = new SQSClient(resolveAwsClientConfig(process.env).client);
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('bridge-dlq') }))).QueueUrl as string;
    const lambda = createBridgeLambda({
      ...process.env,
      BRIDGE_ID: uniqueName('hb'),
      TARGET_BOOTSTRAP_SERVERS: clusters.target.bootstrapServers,
      SOURCE_BOOTSTRAP_SERVERS: clusters.source.bootstrapServers,
      DLQ_TYPE: 'sqs',
      DLQ_URL: queueUrl,
      PROVENANCE_HEADERS: 'true',
      POWERTOOLS_DEV: 'true',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    });
    lambdas.push(lambda);

    // Act
    const first = await lambda.bridgeHandler(event);
    const again = await lambda.bridgeHandler(event);

    // Assess
    expect(first).toEqual({ batchItemFailures: [] });
    expect(again).toEqual({ batchItemFailures: [] });
    const targetEnds = await waitFor('target records committed', async () => {
      const e = await partitionEnds(targetAdmin, topic);
      const total = [...e.values()].reduce((n, x) => n + x.high, 0n);
      return total >= 21n ? e : undefined; // 19 records + 2 commit markers
    });
    const onTarget = await readAll(target, topic, new Map([...targetEnds].map(([p, e]) => [p, e.high])));
    const expected = records.filter((r) => r !== records[3]);
    expect([...onTarget.values()].flat().map(view)).toEqual(expected.map(view));
    const provenance = onTarget.get(0)?.[0]?.headers.find((h) => h.key === 'kbridge.source.offset');
    expect(Buffer.from(provenance?.value ?? []).toString()).toBe('0');
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    const letters = (received.Messages ?? []).map((m) => JSON.parse(m.Body as string) as DeadLetterBody);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({
      kbridge: 'dead-letter',
      v: 2,
      reason: 'record-too-large',
      source: { topic, partition: poison.partition, offset: poison.offset.toString() },
      destination: { kind: 'kafka', name: topic },
      truncated: false,
      valueBytes: 4000,
    });
    sqs.destroy();
  });

  it('fails the init with a ConfigError naming the variable', () => {
    expect(() => createBridgeLambda({ TARGET_BOOTSTRAP_SERVERS: 'localhost:1' })).toThrow(/BRIDGE_ID/);
  });
});
