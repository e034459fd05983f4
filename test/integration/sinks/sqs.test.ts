import { describe, expect, it } from 'vitest';
import { encodeKafkaEvent } from '../../../src/event/codec';
import { makeBatch } from '../../unit/sinks/support';
import { createQueue, deadLetters, loadEvent, receiveAll, sinkLambda, useSinkTestContext } from './support';

const context = useSinkTestContext();
const { cleanup } = context;

describe('sink-sqs against moto', () => {
  it('delivers the sample event: JSON bodies, Kafka coordinates/key/headers as attributes, no failures', async () => {
    // Prepare
    const queueUrl = await createQueue(context.sqs(), 'sink-sqs', cleanup);
    const lambda = sinkLambda('sqs', { QUEUE_URL: queueUrl, PAYLOAD_FORMAT: 'json' }, cleanup);
    // Act
    const response = await lambda.sinkHandler(loadEvent('sink-sqs.json'));
    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    const messages = await receiveAll(context.sqs(), queueUrl);
    expect(messages.map((m) => m.MessageAttributes?.['kafka.offset']?.StringValue).sort()).toEqual(['100', '101', '102', '7', '8']);
    const first = messages.find((m) => m.MessageAttributes?.['kafka.offset']?.StringValue === '100');
    expect(first?.Body).toBe('{"id":"c-17","event":"created","amount":12.5}');
    expect(first?.MessageAttributes?.['kafka.key']?.StringValue).toBe('customer-17');
    expect(first?.MessageAttributes?.traceparent?.StringValue).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    const tombstone = messages.find((m) => m.MessageAttributes?.['kafka.offset']?.StringValue === '8');
    expect(tombstone?.MessageAttributes?.['kafka.markers']?.StringValue).toBe('value-null');
  });

  it('receives a redelivered batch once on a FIFO queue (dedup ids from source coordinates)', async () => {
    // Prepare
    const queueUrl = await createQueue(context.sqs(), 'sink-sqs-fifo', cleanup, true);
    const lambda = sinkLambda('sqs', { QUEUE_URL: queueUrl, PAYLOAD_FORMAT: 'json', MESSAGE_GROUP: 'key' }, cleanup);
    const event = loadEvent('sink-sqs.json');
    // Act: Lambda redelivers the same batch (e.g. after a timeout)
    await lambda.sinkHandler(event);
    const again = await lambda.sinkHandler(event);
    // Assess
    expect(again).toEqual({ batchItemFailures: [] });
    const messages = await receiveAll(context.sqs(), queueUrl);
    expect(messages).toHaveLength(5);
    expect(new Set(messages.map((m) => m.Attributes?.MessageDeduplicationId))).toEqual(new Set(['orders-0-100', 'orders-0-101', 'orders-0-102', 'orders-1-7', 'orders-1-8']));
    expect(messages.find((m) => m.Attributes?.MessageDeduplicationId === 'orders-1-7')?.Attributes?.MessageGroupId).toBe('orders-1');
  });

  it('sends a batch bigger than one request in several (count and byte limits) and loses nothing', async () => {
    // Prepare: 30 records of 200 KiB → at least 6 requests (1 MiB, 10 messages each)
    const queueUrl = await createQueue(context.sqs(), 'sink-sqs-big', cleanup);
    const lambda = sinkLambda('sqs', { QUEUE_URL: queueUrl, PAYLOAD_FORMAT: 'text' }, cleanup);
    const big = 'y'.repeat(200 * 1024);
    // Act
    const response = await lambda.sinkHandler(encodeKafkaEvent(makeBatch([{ topic: 'big', partition: 0, count: 30, value: () => big }])));
    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    const messages = await receiveAll(context.sqs(), queueUrl);
    expect(messages).toHaveLength(30);
    expect(messages.every((m) => m.Body === big)).toBe(true);
  });

  it('dead-letters an oversize record and unshapeable records with their reasons, and delivers the rest', async () => {
    // Prepare
    const queueUrl = await createQueue(context.sqs(), 'sink-sqs-dlq-target', cleanup);
    const dlqUrl = await createQueue(context.sqs(), 'sink-sqs-dlq', cleanup);
    const lambda = sinkLambda('sqs', { QUEUE_URL: queueUrl, DLQ_URL: dlqUrl, PAYLOAD_FORMAT: 'json' }, cleanup);
    const batch = makeBatch([{ topic: 'edge', partition: 0, count: 3 }]);
    const huge = JSON.stringify({ blob: 'z'.repeat(1_100_000) });
    batch.partitions[0]!.records[1]!.value = new Uint8Array(Buffer.from(huge));
    const edge = loadEvent('sink-edge-cases.json');
    // Act
    const oversize = await lambda.sinkHandler(encodeKafkaEvent(batch));
    const unshapeable = await lambda.sinkHandler(edge);
    // Assess
    expect(oversize).toEqual({ batchItemFailures: [] });
    expect(unshapeable).toEqual({ batchItemFailures: [] });
    const dead = await deadLetters(context.sqs(), dlqUrl);
    expect(dead.map((d) => [d.source.topic, d.source.offset, d.reason, d.detail])).toEqual(expect.arrayContaining([
      ['edge', '1', 'record-too-large', expect.stringMatching(/^too big for sqs: \d+ bytes > limit 1048576$/)],
      ['sink-edge', '1', 'unshapeable', expect.stringMatching(/^value is not valid UTF-8/)],
      ['sink-edge', '2', 'unshapeable', expect.stringMatching(/^value is not valid JSON/)],
      // An empty value is not JSON either.
      ['sink-edge', '4', 'unshapeable', expect.stringMatching(/^value is not valid JSON/)],
    ]));
    expect(dead).toHaveLength(4);
    const cut = dead.find((d) => d.source.offset === '1' && d.source.topic === 'edge');
    expect(cut).toMatchObject({ kbridge: 'dead-letter', v: 2, destination: { kind: 'sqs', name: queueUrl }, truncated: true, valueBytes: huge.length });
    expect(huge.startsWith(Buffer.from(cut?.value ?? '', 'base64').toString())).toBe(true);
    expect(cut?.value?.length).toBeGreaterThan(1_000_000);
    const delivered = await receiveAll(context.sqs(), queueUrl);
    expect(delivered).toHaveLength(2 + 4);
  });

  it('reports the records as a partial-batch failure when no DLQ is configured', async () => {
    const queueUrl = await createQueue(context.sqs(), 'sink-sqs-nodlq', cleanup);
    const lambda = sinkLambda('sqs', { QUEUE_URL: queueUrl, PAYLOAD_FORMAT: 'json' }, cleanup);
    const response = await lambda.sinkHandler(loadEvent('sink-edge-cases.json'));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: 'sink-edge-0', offset: 1 } }] });
    expect(await receiveAll(context.sqs(), queueUrl)).toHaveLength(1);
  });
});
