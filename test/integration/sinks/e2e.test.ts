import { ScanCommand } from '@aws-sdk/client-dynamodb';
import type { KafkaClient } from '../../../src/kafka';
import { beforeAll, describe, expect, it } from 'vitest';
import type { InvocationReport } from '../../../src/local/esm/EsmMapping';
import type { SinkKind } from '../../../src/sinks/types';
import { uniqueName, waitFor } from '../../support/helpers';
import { createTopic, fastConsumer, mappingConfig, produce, quietLogger, sourceKafka, startMapping } from '../esm/support';
import { createBucket, createBusToQueue, createQueue, createStream, createTable, createTopicToQueue, deadLetters, receiveAll, sinkLambda, useSinkTestContext } from './support';

// End to end: records produced to the real local source cluster, consumed by the ESM emulator, handed
// to the sink's bare handler as Lambda would, written to moto. One test per sink; each also proves that
// an unshapeable record lands in the DLQ and that the emulator commits past it.

let kafka: KafkaClient;
const context = useSinkTestContext();
const { cleanup } = context;
beforeAll(async () => {
  kafka = await sourceKafka();
});

/** Destination setup per sink: its env and a probe that reads back the delivered Kafka offsets as "partition:offset". */
type Destination = { env: Record<string, string>; delivered: () => Promise<string[]> };
const envelopeId = (e: { partition: number; offset: string }): string => `${e.partition}:${e.offset}`;
const attributeId = (m: { MessageAttributes?: Record<string, { StringValue?: string }> }): string =>
  `${m.MessageAttributes?.['kafka.partition']?.StringValue}:${m.MessageAttributes?.['kafka.offset']?.StringValue}`;

const destinations: Record<SinkKind, () => Promise<Destination>> = {
  sqs: async () => {
    const queueUrl = await createQueue(context.sqs(), 'e2e-sqs', cleanup, true);
    return { env: { QUEUE_URL: queueUrl, MESSAGE_GROUP: 'key' }, delivered: async () => (await receiveAll(context.sqs(), queueUrl)).map(attributeId) };
  },
  sns: async () => {
    const { topicArn, queueUrl } = await createTopicToQueue(context.sqs(), 'e2e-sns', cleanup);
    return { env: { TOPIC_ARN: topicArn }, delivered: async () => (await receiveAll(context.sqs(), queueUrl)).map(attributeId) };
  },
  eventbridge: async () => {
    const { bus, queueUrl } = await createBusToQueue(context.sqs(), 'kafka-msk-bridge', cleanup);
    return { env: { EVENT_BUS_NAME: bus }, delivered: async () => (await receiveAll(context.sqs(), queueUrl)).map((m) => envelopeId(JSON.parse(m.Body ?? '{}').detail)) };
  },
  kinesis: async () => {
    const { stream, readAll } = await createStream(cleanup);
    return { env: { STREAM_NAME: stream }, delivered: async () => (await readAll()).map((r) => envelopeId(JSON.parse(Buffer.from(r.Data ?? []).toString()))) };
  },
  s3: async () => {
    const { bucket, lines } = await createBucket(cleanup);
    return { env: { BUCKET: bucket }, delivered: async () => (await lines()).map((l) => envelopeId(l as { partition: number; offset: string })) };
  },
  dynamodb: async () => {
    const { ddb, name } = await createTable([{ name: 'pk', type: 'S', role: 'HASH' }], cleanup);
    return {
      env: { TABLE_NAME: name },
      delivered: async () => ((await ddb.send(new ScanCommand({ TableName: name }))).Items ?? []).map((i) => `${i.partition?.N}:${i.offset?.N}`),
    };
  },
};

describe('sinks end to end through the ESM emulator and real Kafka', () => {
  it.each(Object.keys(destinations) as SinkKind[])('%s: delivers every record, dead-letters the invalid one, and the emulator commits past all', async (kind) => {
    // Prepare
    const topic = await createTopic(kafka, 2, `e2e-${kind}`);
    const destination = await destinations[kind]();
    const dlqUrl = await createQueue(context.sqs(), `e2e-${kind}-dlq`, cleanup);
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
    expect((await deadLetters(context.sqs(), dlqUrl)).map((d) => [d.source.topic, d.source.offset, d.reason, d.detail, d.destination.kind])).toEqual([
      [topic, '1', 'unshapeable', 'value is not valid JSON', kind],
    ]);
  });
});

describe('partial-batch failure and redelivery through the ESM emulator', () => {
  it('s3: a failing destination is retried from the earliest failed offset; once it recovers, objects hold each record once', async () => {
    // Prepare: the bucket does not exist yet, so every PutObject fails with NoSuchBucket
    const topic = await createTopic(kafka, 1, 'e2e-s3-redeliver');
    const bucket = uniqueName('e2e-late-bucket');
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
    const { lines } = await createBucket(cleanup, bucket);
    await waitFor('the emulator to commit past the batch', () => reports.some((r) => r.committed[`${topic}-0`] === '3'), { timeoutMs: 60_000 });
    // Assess
    expect(responses[0]).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: `${topic}-0`, offset: 0 } }] });
    expect((await lines()).map((l) => [l.offset, l.value])).toEqual([['0', 'v0'], ['1', 'v1'], ['2', 'v2']]);
  });
});
