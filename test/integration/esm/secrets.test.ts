import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateSecretCommand, DeleteSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { KafkaClient } from '../../../src/kafka';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { resolveAwsClientConfig } from '../../../src/adapters/aws/clientConfig';
import { createAwsSecretReader } from '../../../src/adapters/aws/secrets';
import { loadEsmConfigFile } from '../../../src/local/esm/config';
import { EsmEmulator } from '../../../src/local/esm/EsmEmulator';
import { uniqueName, waitFor } from '../../support/helpers';
import { committedOffsets, createTopic, fastConsumer, offsetsByPartition, produce, quietLogger, recordCount, recorder, sourceKafka } from './support';

let kafka: KafkaClient;
const cleanup: Array<() => Promise<void>> = [];

beforeAll(async () => {
  kafka = await sourceKafka();
});

afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()?.();
});

describe('ESM emulator with accessConfigurations secrets', () => {
  it('consumes over the SCRAM-SHA-512 listener with credentials from a Secrets Manager secret named by ARN', async () => {
    // Prepare
    const scram = inject('clusters').source.saslScram512;
    const aws = resolveAwsClientConfig(process.env);
    const sm = new SecretsManagerClient(aws.client);
    cleanup.push(async () => sm.destroy());
    const secretName = uniqueName('esm-scram');
    // Lambda's format for SASL_SCRAM_512_AUTH secrets.
    const { ARN: secretArn } = await sm.send(new CreateSecretCommand({ Name: secretName, SecretString: JSON.stringify({ username: scram.username, password: scram.password }) }));
    cleanup.push(() => sm.send(new DeleteSecretCommand({ SecretId: secretName, ForceDeleteWithoutRecovery: true })).then(() => undefined));
    const topic = await createTopic(kafka, 2, 'esm-scram');
    await produce(kafka, topic, [0, 1, 2, 3].map((i) => ({ partition: i % 2, key: `k${i}`, value: `v${i}` })));
    const groupId = uniqueName('esm-scram-group');
    const dir = await mkdtemp(join(tmpdir(), 'esm-scram-'));
    const file = join(dir, 'esm.yml');
    await writeFile(
      file,
      [
        'functions:',
        '  scram:',
        '    handler: handler.main',
        '    events:',
        '      - kafka:',
        `          bootstrapServers: "${scram.bootstrapServers}"`,
        `          topic: ${topic}`,
        `          consumerGroupId: ${groupId}`,
        '          maximumBatchingWindow: 0.1',
        '          accessConfigurations:',
        `            saslScram512Auth: ${secretArn}`,
        '',
      ].join('\n'),
    );
    const mappings = await loadEsmConfigFile(file);
    const rec = recorder();
    const emulator = new EsmEmulator(mappings, { ...rec.options(), consumer: fastConsumer, kafkaDeps: { logger: quietLogger, secrets: createAwsSecretReader({ clientConfig: aws }) } });
    cleanup.push(() => emulator.stop(0));

    // Act
    await emulator.start();
    await waitFor('4 records over SCRAM', () => recordCount(rec.deliveries) >= 4);
    const committed = await waitFor('commits', async () => {
      const c = await committedOffsets(kafka, groupId, topic);
      return c[0] === '2' && c[1] === '2' ? c : undefined;
    });

    // Assess
    expect(mappings[0]?.auth).toEqual({ type: 'sasl', mechanism: 'scram-sha-512', secretArn });
    expect(offsetsByPartition(rec.deliveries)).toEqual({ [`${topic}-0`]: [0, 1], [`${topic}-1`]: [0, 1] });
    expect(rec.deliveries[0]?.event.bootstrapServers).toBe(scram.bootstrapServers);
    expect(committed).toEqual({ 0: '2', 1: '2' });
  });

  it('fails to start with a SecretError naming the ARN when the secret does not exist', async () => {
    // Prepare
    const scram = inject('clusters').source.saslScram512;
    const aws = resolveAwsClientConfig(process.env);
    const missing = `arn:aws:secretsmanager:${aws.client.region ?? 'us-east-1'}:123456789012:secret:${uniqueName('absent')}-AbCdEf`;
    const dir = await mkdtemp(join(tmpdir(), 'esm-scram-'));
    const file = join(dir, 'esm.yml');
    await writeFile(file, `functions:\n  f:\n    handler: handler.main\n    events:\n      - kafka: { bootstrapServers: "${scram.bootstrapServers}", topic: t, accessConfigurations: { saslScram512Auth: "${missing}" } }\n`);
    const rec = recorder();
    const emulator = new EsmEmulator(await loadEsmConfigFile(file), { ...rec.options(), kafkaDeps: { logger: quietLogger, secrets: createAwsSecretReader({ clientConfig: aws }) } });
    cleanup.push(() => emulator.stop(0));

    // Act
    const error = await emulator.start().catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({ name: 'SecretError' });
    expect(String((error as Error).message)).toContain(missing);
    expect(String((error as Error).message)).not.toContain(scram.password);
  });
});
