import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors';
import { defaultConsumerGroupId, loadEsmConfigFile, loadServerlessFile } from '../../../src/local/esm/config';

const fixtures = resolve(__dirname, '../../fixtures/esm');

async function writeTemp(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'esm-config-'));
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

describe('loadEsmConfigFile', () => {
  it('reads kafka and msk triggers with their keys and Lambda defaults', async () => {
    // Act
    const [kafka, msk] = await loadEsmConfigFile(join(fixtures, 'esm.yml'));

    // Assess
    expect(kafka).toMatchObject({
      id: 'recorder-0',
      functionName: 'recorder',
      handlerModule: join(fixtures, 'handlers'),
      handlerExport: 'recordAll',
      environment: { RECORD_FILE: '/tmp/esm-recorder.jsonl' },
      timeoutSeconds: 10,
      memorySize: 1024,
      eventSource: 'SelfManagedKafka',
      bootstrapServers: ['127.0.0.1:19092', '127.0.0.1:19093'],
      auth: { type: 'none' },
      topic: 'orders',
      consumerGroupId: 'orders-recorder',
      batchSize: 50,
      maximumBatchingWindowSeconds: 1,
      startingPosition: 'TRIM_HORIZON',
      enabled: true,
      maximumRetryAttempts: 2,
      onFailure: { type: 'file', path: join(fixtures, 'failed.jsonl') },
      filterPatterns: [{ value: { kind: ['order'] } }],
    });
    expect(kafka?.eventSourceArn).toBeUndefined();
    expect(msk).toMatchObject({
      id: 'recorder-1',
      eventSource: 'aws:kafka',
      eventSourceArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/demo/0b1c2d3e-1111-2222-3333-444455556666-1',
      topic: 'payments',
      batchSize: 100,
      maximumBatchingWindowSeconds: 0.5,
      startingPosition: 'AT_TIMESTAMP',
      startingPositionTimestampMs: 1_700_000_000_000,
      enabled: false,
      maximumRetryAttempts: -1,
    });
    expect(msk?.consumerGroupId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('rejects an unknown key naming the key, where it is and the file', async () => {
    // Prepare
    const file = await writeTemp(
      'bad.json',
      JSON.stringify({ functions: { f: { handler: 'h.main', events: [{ kafka: { bootstrapServers: 'b:9092', topic: 't', batchsize: 10 } }] } } }),
    );

    // Act
    const attempt = loadEsmConfigFile(file);

    // Assess
    await expect(attempt).rejects.toThrow(ConfigError);
    await expect(attempt).rejects.toThrow(/unknown key "batchsize" at functions\.f\.events\.0\.kafka/);
    await expect(attempt).rejects.toThrow(file);
  });

  it('rejects AT_TIMESTAMP without a timestamp and an MSK trigger without local brokers', async () => {
    // Prepare
    const atTs = await writeTemp('a.yml', 'functions:\n  f:\n    handler: h.main\n    events:\n      - kafka: { bootstrapServers: "b:1", topic: t, startingPosition: AT_TIMESTAMP }\n');
    const msk = await writeTemp('m.yml', 'functions:\n  f:\n    handler: h.main\n    events:\n      - msk: { arn: "arn:aws:kafka:us-east-1:123456789012:cluster/c/x", topic: t }\n');

    // Act & Assess
    await expect(loadEsmConfigFile(atTs)).rejects.toThrow(/AT_TIMESTAMP needs startingPositionTimestamp/);
    await expect(loadEsmConfigFile(msk)).rejects.toThrow(/msk\.bootstrapServers is missing/);
  });

  it('rejects a batch size above Lambda\'s limit and a malformed bootstrap list', async () => {
    // Prepare
    const file = await writeTemp('b.yml', 'functions:\n  f:\n    handler: h.main\n    events:\n      - kafka: { bootstrapServers: "nohost", topic: t, batchSize: 10001 }\n');

    // Act
    const attempt = loadEsmConfigFile(file);

    // Assess
    await expect(attempt).rejects.toThrow(/bootstrapServers/);
    await expect(attempt).rejects.toThrow(/batchSize/);
  });

  it('names the function that is not in the file', async () => {
    // Act & Assess
    await expect(loadEsmConfigFile(join(fixtures, 'esm.yml'), { functionName: 'nope' })).rejects.toThrow(/Function "nope" is not in .*; it has: recorder/);
  });
});

describe('provisionedPollerConfig', () => {
  it('runs maximumPollers pollers (Lambda fully scaled out), 200 by default, and rejects min above max', async () => {
    // Prepare
    const trigger = (ppc: string): string => `functions:\n  f:\n    handler: h.main\n    events:\n      - kafka: { bootstrapServers: "b:9092", topic: t, provisionedPollerConfig: ${ppc} }\n`;
    const explicit = await writeTemp('a.yml', trigger('{ minimumPollers: 1, maximumPollers: 4 }'));
    const defaulted = await writeTemp('b.yml', trigger('{ minimumPollers: 2 }'));
    const inverted = await writeTemp('c.yml', trigger('{ minimumPollers: 5, maximumPollers: 2 }'));

    // Act
    const [withMax] = await loadEsmConfigFile(explicit);
    const [withDefault] = await loadEsmConfigFile(defaulted);
    const error = await loadEsmConfigFile(inverted).catch((e: unknown) => e);

    // Assess
    expect([withMax?.pollers, withDefault?.pollers]).toEqual([4, 200]);
    expect(error).toBeInstanceOf(ConfigError);
    expect(String((error as Error).message)).toMatch(/provisionedPollerConfig.*minimumPollers <= maximumPollers/);
  });
});

describe('loadServerlessFile', () => {
  it('reads only kafka events and resolves self, env and stage variables', async () => {
    // Act
    const mappings = await loadServerlessFile(join(fixtures, 'serverless.yml'), { env: { ESM_TEST_BROKERS: '10.0.0.1:9092' } });

    // Assess
    expect(mappings).toHaveLength(1);
    expect(mappings[0]).toMatchObject({
      id: 'consume-0',
      functionName: 'shop-dev-consume',
      region: 'eu-west-1',
      timeoutSeconds: 12,
      memorySize: 512,
      environment: { SHARED: 'from-provider', OWN: 'own-dev' },
      bootstrapServers: ['10.0.0.1:9092'],
      topic: 'orders-dev',
      batchSize: 25,
      auth: { type: 'sasl', mechanism: 'scram-sha-512', secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:kafka' },
    });
  });

  it('uses variable defaults and refuses variable sources it cannot resolve', async () => {
    // Prepare
    const ssm = await writeTemp('serverless.yml', 'service: s\nfunctions:\n  f:\n    handler: h.main\n    events:\n      - kafka: { bootstrapServers: "${ssm:/brokers}", topic: t }\n');

    // Act
    const defaults = await loadServerlessFile(join(fixtures, 'serverless.yml'), { env: {} });

    // Assess
    expect(defaults[0]?.bootstrapServers).toEqual(['127.0.0.1:19092']);
    await expect(loadServerlessFile(ssm)).rejects.toThrow(/\$\{ssm:\/brokers\} .* not supported locally/);
  });
});

describe('defaultConsumerGroupId', () => {
  it('is a stable UUID per mapping and differs between mappings', () => {
    // Act
    const a = defaultConsumerGroupId('f', 'orders', ['b:9092'], 0);
    const again = defaultConsumerGroupId('f', 'orders', ['b:9092'], 0);
    const other = defaultConsumerGroupId('f', 'orders', ['b:9092'], 1);

    // Assess
    expect(a).toBe(again);
    expect(a).not.toBe(other);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
