import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resolveAwsClientConfig } from '../../../src/adapters/aws/clientConfig';
import { withKafkaAdmin, type KafkaClient } from '../../../src/kafka';
import { EsmEmulator } from '../../../src/local/esm/EsmEmulator';
import { uniqueName, waitFor } from '../../support/helpers';
import { commitOffsets, committedOffsets, createTopic, mappingConfig, offsetsByPartition, produce, recordCount, recorder, sourceKafka, startMapping } from './support';

let kafka: KafkaClient;
const cleanup: Array<() => Promise<void>> = [];

beforeAll(async () => {
  kafka = await sourceKafka();
});

afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()?.();
});

const T0 = 1_700_000_000_000;

describe('ESM emulator starting positions', () => {
  it('starts AT_TIMESTAMP at the first record at or after the timestamp', async () => {
    // Prepare
    const topic = await createTopic(kafka, 1, 'esm-ts');
    await produce(kafka, topic, [0, 1, 2, 3, 4].map((i) => ({ partition: 0, value: `v${i}`, timestamp: String(T0 + i * 1000) })));
    const rec = recorder();

    // Act
    await startMapping(mappingConfig(topic, { startingPosition: 'AT_TIMESTAMP', startingPositionTimestampMs: T0 + 2500 }), rec.options(), cleanup);
    await waitFor('records from offset 3', () => recordCount(rec.deliveries) >= 2);

    // Assess
    expect(offsetsByPartition(rec.deliveries)[`${topic}-0`]).toEqual([3, 4]);
  });

  it('lets existing committed offsets win over TRIM_HORIZON and AT_TIMESTAMP', async () => {
    // Prepare
    const topic = await createTopic(kafka, 1, 'esm-commit-wins');
    await produce(kafka, topic, [0, 1, 2, 3, 4].map((i) => ({ partition: 0, value: `v${i}`, timestamp: String(T0 + i * 1000) })));
    const trim = mappingConfig(topic, { startingPosition: 'TRIM_HORIZON' });
    const atTs = mappingConfig(topic, { startingPosition: 'AT_TIMESTAMP', startingPositionTimestampMs: T0 });
    for (const groupId of [trim.consumerGroupId, atTs.consumerGroupId]) await commitOffsets(kafka, groupId, topic, [{ partition: 0, offset: '2' }]);
    const fromTrim = recorder();
    const fromTs = recorder();

    // Act
    await startMapping(trim, fromTrim.options(), cleanup);
    await startMapping({ ...atTs, id: 'ts-0' }, fromTs.options(), cleanup);
    await waitFor('3 records each', () => recordCount(fromTrim.deliveries) >= 3 && recordCount(fromTs.deliveries) >= 3);

    // Assess
    expect(offsetsByPartition(fromTrim.deliveries)[`${topic}-0`]).toEqual([2, 3, 4]);
    expect(offsetsByPartition(fromTs.deliveries)[`${topic}-0`]).toEqual([2, 3, 4]);
  });

  it('starts LATEST after the records already in the topic', async () => {
    // Prepare
    const topic = await createTopic(kafka, 1, 'esm-latest');
    await produce(kafka, topic, [0, 1, 2].map((i) => ({ partition: 0, value: `old${i}` })));
    const rec = recorder();

    // Act
    const mapping = await startMapping(mappingConfig(topic, { startingPosition: 'LATEST' }), rec.options(), cleanup);
    // The consumer resolves "latest" before its first fetch after joining: once it polls, newer records are "new".
    await waitFor('the first poll', () => mapping.status().polls > 0);
    await produce(kafka, topic, [3, 4].map((i) => ({ partition: 0, value: `new${i}` })));
    await waitFor('the new records', () => recordCount(rec.deliveries) >= 2);

    // Assess
    expect(offsetsByPartition(rec.deliveries)[`${topic}-0`]).toEqual([3, 4]);
  });
});

describe('ESM emulator filters and failures', () => {
  it('delivers only records matching the filter patterns and commits the filtered ones', async () => {
    // Prepare
    const topic = await createTopic(kafka, 1, 'esm-filter');
    await produce(kafka, topic, [
      { partition: 0, value: '{"kind":"order","n":1}' },
      { partition: 0, value: '{"kind":"refund","n":2}' },
      { partition: 0, value: 'not json' },
      { partition: 0, value: '{"kind":"order","n":4}' },
      { partition: 0, value: '{"kind":"refund","n":5}' },
    ]);
    const config = mappingConfig(topic, { filterPatterns: [{ value: { kind: ['order'] } }] });
    const rec = recorder();

    // Act
    await startMapping(config, rec.options(), cleanup);
    await waitFor('the orders', () => recordCount(rec.deliveries) >= 2);
    const committed = await waitFor('everything committed', async () => ((await committedOffsets(kafka, config.consumerGroupId, topic))[0] === '5' ? '5' : undefined));

    // Assess
    // A value that is not JSON cannot be matched by a value pattern: Lambda then filters on the other fields only.
    expect(offsetsByPartition(rec.deliveries)[`${topic}-0`]).toEqual([0, 2, 3]);
    expect(committed).toBe('5');
  });

  it('sends a failure record to a file destination after maximumRetryAttempts and skips on', async () => {
    // Prepare
    const topic = await createTopic(kafka, 1, 'esm-dlq-file');
    await produce(kafka, topic, [0, 1, 2].map((i) => ({ partition: 0, value: `v${i}`, timestamp: String(T0 + i) })));
    const path = join(await mkdtemp(join(tmpdir(), 'esm-onfailure-')), 'failed.jsonl');
    const config = mappingConfig(topic, { maximumRetryAttempts: 1, onFailure: { type: 'file', path } });
    const rec = recorder(() => {
      throw new Error('always fails');
    });

    // Act
    await startMapping(config, rec.options(), cleanup);
    const committed = await waitFor('skip past the batch', async () => ((await committedOffsets(kafka, config.consumerGroupId, topic))[0] === '3' ? '3' : undefined));
    const lines = (await readFile(path, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, Record<string, unknown>>);

    // Assess
    expect(rec.deliveries).toHaveLength(2);
    expect(committed).toBe('3');
    expect(lines).toHaveLength(1);
    expect(lines[0]?.requestContext).toMatchObject({ condition: 'RetryAttemptsExhausted', approximateInvokeCount: 2 });
    expect(lines[0]?.responseContext).toEqual({ statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' });
    expect(lines[0]?.KafkaBatchInfo).toEqual({
      batchSize: 3,
      bootstrapServers: config.bootstrapServers.join(','),
      payloadSize: expect.any(Number),
      recordsInfo: {
        [`${topic}-0`]: { firstRecordOffset: '0', lastRecordOffset: '2', firstRecordTimestamp: new Date(T0).toISOString(), lastRecordTimestamp: new Date(T0 + 2).toISOString() },
      },
    });
  });

  it('sends the failure record to an SQS queue (moto) when the destination is a queue ARN', async () => {
    // Prepare
    const topic = await createTopic(kafka, 1, 'esm-dlq-sqs');
    await produce(kafka, topic, [{ partition: 0, value: 'poison' }]);
    const aws = resolveAwsClientConfig(process.env);
    const sqs = new SQSClient(aws.client);
    cleanup.push(async () => sqs.destroy());
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('esm-dlq') }));
    const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    const queueArn = attrs.Attributes?.QueueArn as string;
    const rec = recorder(() => {
      throw new Error('poison record');
    });

    // Act
    await startMapping(mappingConfig(topic, { maximumRetryAttempts: 0, onFailure: { type: 'sqs', queueArn } }), rec.options({ aws }), cleanup);
    const body = await waitFor('the failure record in SQS', async () => {
      const res = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
      return res.Messages?.[0]?.Body;
    });

    // Assess
    expect(rec.deliveries).toHaveLength(1);
    expect(JSON.parse(body)).toMatchObject({ version: '1.0', KafkaBatchInfo: { batchSize: 1, recordsInfo: { [`${topic}-0`]: { firstRecordOffset: '0', lastRecordOffset: '0' } } } });
  });

  it('caps infinite retries at 10 when an on-failure destination is configured, as Lambda does', async () => {
    // Prepare
    const topic = await createTopic(kafka, 1, 'esm-dlq-cap');
    await produce(kafka, topic, [{ partition: 0, value: 'poison' }, { partition: 0, value: 'fine' }]);
    const path = join(await mkdtemp(join(tmpdir(), 'esm-onfailure-')), 'failed.jsonl');
    const config = mappingConfig(topic, { batchSize: 1, maximumRetryAttempts: -1, onFailure: { type: 'file', path } });
    const rec = recorder((d) => {
      if (d.event.records[`${topic}-0`]?.[0]?.offset === 0) throw new Error('poison record');
    });

    // Act
    await startMapping(config, rec.options({ retryBackoff: { initialMs: 5, maxMs: 20 } }), cleanup);
    const committed = await waitFor('past both records', async () => ((await committedOffsets(kafka, config.consumerGroupId, topic))[0] === '2' ? '2' : undefined));
    const lines = (await readFile(path, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { requestContext: { approximateInvokeCount: number } });

    // Assess
    expect(offsetsByPartition(rec.deliveries)[`${topic}-0`]).toEqual([...Array.from({ length: 11 }, () => 0), 1]);
    expect(lines.map((l) => l.requestContext.approximateInvokeCount)).toEqual([11]);
    expect(committed).toBe('2');
  });
});

describe('ESM emulator control API', () => {
  it('disables a mapping (consumer leaves the group, nothing delivered) and enables it again', async () => {
    // Prepare
    const topic = await createTopic(kafka, 2, 'esm-control');
    const config = mappingConfig(topic);
    const rec = recorder();
    const emulator = new EsmEmulator([config], rec.options());
    cleanup.push(() => emulator.stop(0));
    await emulator.start();
    const port = await emulator.listen(0);
    const base = `http://127.0.0.1:${port}/mappings`;

    // Act
    const listed = (await (await fetch(base)).json()) as { mappings: Array<{ id: string; state: string }> };
    const disabling = await fetch(`${base}/${config.id}/disable`, { method: 'POST' });
    const disablingBody = (await disabling.json()) as { state: string };
    await waitFor('Disabled', async () => ((await (await fetch(`${base}/${config.id}`)).json()) as { state: string }).state === 'Disabled');
    const group = await withKafkaAdmin(kafka, (admin) => admin.describeGroups([config.consumerGroupId]));
    await produce(kafka, topic, [{ partition: 0, value: 'a' }, { partition: 1, value: 'b' }]);
    await new Promise((r) => setTimeout(r, 1000));
    const deliveredWhileDisabled = recordCount(rec.deliveries);
    const enabled = await fetch(`${base}/${config.id}/enable?wait=true`, { method: 'POST' });
    const enabledBody = (await enabled.json()) as { state: string };
    await waitFor('both records after enabling', () => recordCount(rec.deliveries) >= 2);
    const unknown = await fetch(`${base}/nope/disable`, { method: 'POST' });

    // Assess
    expect(listed.mappings).toEqual([expect.objectContaining({ id: config.id, state: 'Enabled' })]);
    expect([disabling.status, disablingBody.state]).toEqual([202, 'Disabling']);
    // Empty once the member left; the broker may already have dropped a group that never committed (Dead).
    expect(['Empty', 'Dead']).toContain(group[0]?.state);
    expect(deliveredWhileDisabled).toBe(0);
    expect([enabled.status, enabledBody.state]).toEqual([200, 'Enabled']);
    expect(unknown.status).toBe(404);
  });

  it('lets the in-flight batch finish and commit when disabled mid-batch', async () => {
    // Prepare
    const topic = await createTopic(kafka, 1, 'esm-disable-inflight');
    await produce(kafka, topic, [0, 1].map((i) => ({ partition: 0, value: `v${i}` })));
    const config = mappingConfig(topic);
    let release: () => void = () => {};
    const rec = recorder(() => new Promise<void>((r) => (release = r)));
    const mapping = await startMapping(config, rec.options(), cleanup);
    await waitFor('the batch in flight', () => rec.deliveries.length === 1);

    // Act
    const disabled = mapping.disable();
    const stateWhileInFlight = mapping.state;
    release();
    await disabled;

    // Assess
    expect(stateWhileInFlight).toBe('Disabling');
    expect(mapping.state).toBe('Disabled');
    expect((await committedOffsets(kafka, config.consumerGroupId, topic))[0]).toBe('2');
  });
});
