import type { GroupConsumer, KafkaClient } from '../../../src/kafka';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../support/helpers';
import { committedOffsets, createTopic, mappingConfig, offsetsByPartition, produce, recordCount, recorder, sourceBootstrap, sourceKafka, startMapping } from './support';

let kafka: KafkaClient;
const cleanup: Array<() => Promise<void>> = [];

beforeAll(async () => {
  kafka = await sourceKafka();
});

afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()?.();
});

describe('ESM emulator delivery', () => {
  it('delivers the exact Lambda event shape: partition keys, base64, signed header bytes, timestamps', async () => {
    // Prepare
    const topic = await createTopic(kafka, 3, 'esm-shape');
    const binary = Buffer.from([0x00, 0xff, 0x80, 0x7f, 0x10]);
    await produce(kafka, topic, [
      { partition: 0, key: 'order-1', value: '{"id":1}', headers: { trace: 'é€', plain: 'abc' }, timestamp: '1700000000001' },
      { partition: 0, key: null, value: binary, timestamp: '1700000000002' },
      { partition: 2, key: Buffer.from([0xc3, 0x28]), value: null, timestamp: '1700000000003' },
    ]);
    const rec = recorder();
    const msk = recorder();
    const arn = 'arn:aws:kafka:us-east-1:123456789012:cluster/demo/abc-1';

    // Act
    await startMapping(mappingConfig(topic, { functionName: 'shape-fn' }), rec.options(), cleanup);
    await startMapping(mappingConfig(topic, { id: 'msk-0', eventSource: 'aws:kafka', eventSourceArn: arn }), msk.options(), cleanup);
    await waitFor('3 records in each mapping', () => recordCount(rec.deliveries) >= 3 && recordCount(msk.deliveries) >= 3);

    // Assess
    const event = rec.deliveries[0]?.event;
    expect(rec.deliveries).toHaveLength(1);
    expect(event?.eventSource).toBe('SelfManagedKafka');
    expect(event?.eventSourceArn).toBeUndefined();
    expect(event?.bootstrapServers).toBe(sourceBootstrap().join(','));
    expect(Object.keys(event?.records ?? {}).sort()).toEqual([`${topic}-0`, `${topic}-2`]);
    expect(event?.records[`${topic}-0`]).toEqual([
      {
        topic,
        partition: 0,
        offset: 0,
        timestamp: 1700000000001,
        timestampType: 'CREATE_TIME',
        key: Buffer.from('order-1').toString('base64'),
        value: Buffer.from('{"id":1}').toString('base64'),
        headers: [{ trace: [-61, -87, -30, -126, -84] }, { plain: [97, 98, 99] }],
      },
      { topic, partition: 0, offset: 1, timestamp: 1700000000002, timestampType: 'CREATE_TIME', value: 'AP+AfxA=', headers: [] },
    ]);
    expect(event?.records[`${topic}-2`]).toEqual([{ topic, partition: 2, offset: 0, timestamp: 1700000000003, timestampType: 'CREATE_TIME', key: 'wyg=', headers: [] }]);
    expect(rec.deliveries[0]?.context).toMatchObject({ functionName: 'shape-fn', invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:shape-fn' });
    expect(rec.deliveries[0]?.context.remainingMs).toBeGreaterThan(9000);
    expect(msk.deliveries[0]?.event).toMatchObject({ eventSource: 'aws:kafka', eventSourceArn: arn });
  });

  it('keeps each partition in order across batches of at most batchSize records and commits after each', async () => {
    // Prepare
    const topic = await createTopic(kafka, 2, 'esm-order');
    const messages = Array.from({ length: 50 }, (_, i) => ({ partition: i % 2, key: `k${i}`, value: `v${i}` }));
    await produce(kafka, topic, messages);
    const rec = recorder();
    const config = mappingConfig(topic, { batchSize: 10 });

    // Act
    await startMapping(config, rec.options(), cleanup);
    await waitFor('50 records', () => recordCount(rec.deliveries) >= 50);
    const committed = await waitFor('commits at the end', async () => {
      const c = await committedOffsets(kafka, config.consumerGroupId, topic);
      return c[0] === '25' && c[1] === '25' ? c : undefined;
    });

    // Assess
    const byPartition = offsetsByPartition(rec.deliveries);
    expect(byPartition[`${topic}-0`]).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(byPartition[`${topic}-1`]).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(Math.max(...rec.reports.map((r) => r.records))).toBe(10);
    expect(rec.reports.every((r) => r.outcome === 'success')).toBe(true);
    expect(committed).toEqual({ 0: '25', 1: '25' });
  });

  it('merges the commits of back-to-back invocations into OffsetCommits at least 50 ms apart, each report with its own offset', async () => {
    // Prepare: 30 invocations of 2 records, 5 ms each; a commit's round trip is shorter, so unspaced each went alone
    const topic = await createTopic(kafka, 1, 'esm-commit-spacing');
    await produce(kafka, topic, Array.from({ length: 60 }, (_, i) => ({ partition: 0, value: `v${i}` })));
    const rec = recorder(() => new Promise((r) => setTimeout(r, 5)));
    const config = mappingConfig(topic, { batchSize: 2 });
    const mapping = await startMapping(config, rec.options(), cleanup);
    // A peek at the mapping's group consumer (private): the OffsetCommits it sends.
    const consumer = (mapping as unknown as { consumer: GroupConsumer }).consumer;
    const commit = consumer.commit.bind(consumer);
    const sent: number[] = [];
    consumer.commit = (offsets) => {
      sent.push(Date.now());
      return commit(offsets);
    };

    // Act
    await waitFor('30 reports', () => rec.reports.length >= 30);

    // Assess
    expect(offsetsByPartition(rec.deliveries)[`${topic}-0`]).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(rec.reports.map((r) => r.committed[`${topic}-0`])).toEqual(Array.from({ length: 30 }, (_, i) => String(2 * i + 2)));
    expect(sent.length).toBeGreaterThan(1);
    expect(sent.length).toBeLessThan(15);
    for (let i = 1; i < sent.length; i++) expect((sent[i] as number) - (sent[i - 1] as number)).toBeGreaterThanOrEqual(45);
    expect(await committedOffsets(kafka, config.consumerGroupId, topic)).toEqual({ 0: '60' });
  });

  it('retries the whole batch after a thrown error and commits only after the handler succeeds', async () => {
    // Prepare
    const topic = await createTopic(kafka, 1, 'esm-retry');
    await produce(kafka, topic, [0, 1, 2].map((i) => ({ partition: 0, value: `v${i}` })));
    const config = mappingConfig(topic);
    const commitsSeenByHandler: Array<Record<number, string>> = [];
    const rec = recorder(async (_d, call) => {
      // What is committed when the handler runs again tells whether a failed attempt committed anything.
      if (call > 1) commitsSeenByHandler.push(await committedOffsets(kafka, config.consumerGroupId, topic));
      if (call <= 2) throw new Error(`failure ${call}`);
      return undefined;
    });

    // Act
    await startMapping(config, rec.options(), cleanup);
    await waitFor('a successful invocation', () => rec.reports.some((r) => r.outcome === 'success'));
    const committed = await waitFor('commit', async () => ((await committedOffsets(kafka, config.consumerGroupId, topic))[0] === '3' ? '3' : undefined));

    // Assess
    expect(rec.reports.map((r) => r.outcome)).toEqual(['error', 'error', 'success']);
    expect(rec.deliveries.map((d) => d.event.records[`${topic}-0`]?.map((r) => r.offset))).toEqual([[0, 1, 2], [0, 1, 2], [0, 1, 2]]);
    expect(new Set(rec.deliveries.map((d) => d.context.awsRequestId)).size).toBe(3);
    expect(commitsSeenByHandler.map((c) => c[0] === '-1' || c[0] === '0')).toEqual([true, true]);
    expect(committed).toBe('3');
  });

  it('commits up to the first failed offset of a partial batch response and redelivers from it', async () => {
    // Prepare
    const topic = await createTopic(kafka, 2, 'esm-partial');
    await produce(kafka, topic, [
      ...[0, 1, 2, 3, 4].map((i) => ({ partition: 0, value: `a${i}` })),
      ...[0, 1].map((i) => ({ partition: 1, value: `b${i}` })),
    ]);
    const config = mappingConfig(topic);
    const rec = recorder((_d, call) =>
      call === 1 ? { batchItemFailures: [{ itemIdentifier: { partition: `${topic}-0`, offset: 4 } }, { itemIdentifier: { partition: `${topic}-0`, offset: 2 } }] } : { batchItemFailures: [] },
    );

    // Act
    await startMapping(config, rec.options(), cleanup);
    await waitFor('two invocations', () => rec.reports.length >= 2);
    const committed = await waitFor('final commit', async () => {
      const c = await committedOffsets(kafka, config.consumerGroupId, topic);
      return c[0] === '5' ? c : undefined;
    });

    // Assess
    expect(rec.reports[0]).toMatchObject({ outcome: 'partial-failure', committed: { [`${topic}-0`]: '2', [`${topic}-1`]: '2' } });
    expect(rec.deliveries[1]?.event.records).toEqual({ [`${topic}-0`]: expect.any(Array) });
    expect(rec.deliveries[1]?.event.records[`${topic}-0`]?.map((r) => r.offset)).toEqual([2, 3, 4]);
    expect(committed).toEqual({ 0: '5', 1: '2' });
  });

  it('fails a timed-out invocation and retries it', async () => {
    // Prepare
    const topic = await createTopic(kafka, 1, 'esm-timeout');
    await produce(kafka, topic, [{ partition: 0, value: 'slow' }]);
    const rec = recorder((_d, call) => (call === 1 ? new Promise((r) => setTimeout(r, 1500)) : undefined));

    // Act
    await startMapping(mappingConfig(topic, { timeoutSeconds: 0.3 }), rec.options(), cleanup);
    await waitFor('success after the timeout', () => rec.reports.some((r) => r.outcome === 'success'));

    // Assess
    expect(rec.reports[0]).toMatchObject({ outcome: 'timeout', error: 'Error: Task timed out after 0.30 seconds' });
    expect(rec.deliveries[0]?.context.remainingMs).toBeLessThanOrEqual(300);
    expect(rec.deliveries.map((d) => d.event.records[`${topic}-0`]?.[0]?.offset)).toEqual([0, 0]);
  });
});
