import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createAwsSecretReader } from '../../../src/adapters/aws/secrets';
import { resolveAwsClientConfig } from '../../../src/adapters/aws/clientConfig';
import { KafkaAuthError, KafkaConnectionError, SecretError } from '../../../src/errors';
import {
  createKafkaClient,
  KafkaClientKinds,
  withKafkaAdmin,
  withKafkaProducer,
  type CreateKafkaDeps,
  type KafkaClient,
  type KafkaClientKind,
  type KafkaConnectionConfig,
  type StructuredLogger,
} from '../../../src/kafka';
import type { ClusterName } from '../../../src/local/types';
import { consumeRecords, uniqueName } from '../../support/helpers';

// Real brokers (both local clusters, PLAINTEXT and SASL_PLAINTEXT/SCRAM-SHA-512 listeners) and a real
// moto Secrets Manager reached through the AWS SDK: nothing here is mocked. Every adapter behind the port
// connects and authenticates the same way, so each test runs once per adapter.
const clusters = inject('clusters');
const aws = inject('aws');
const awsConfig = resolveAwsClientConfig({ ...process.env, AWS_ENDPOINT_URL: aws.endpoint, AWS_REGION: aws.region });
const secretsManager = new SecretsManagerClient(awsConfig.client);
const CLUSTERS: ClusterName[] = ['source', 'target'];

/** Collects what the client library logs, so a test can prove no secret reached a log line. */
function recordingLogger(): StructuredLogger & { text(): string } {
  const lines: unknown[] = [];
  const at = (level: string) => (message: string, ...extra: Record<string, unknown>[]) => lines.push({ level, message, extra });
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug'), text: () => JSON.stringify(lines) };
}

async function storeSecret(value: string): Promise<string> {
  const out = await secretsManager.send(new CreateSecretCommand({ Name: uniqueName('kbridge-it-secret'), SecretString: value }));
  return out.ARN as string;
}

function scramConfig(cluster: ClusterName, secretArn: string): KafkaConnectionConfig {
  return {
    name: cluster,
    bootstrapServers: clusters[cluster].saslScram512.bootstrapServers.split(','),
    auth: { type: 'sasl', mechanism: 'scram-sha-512', secretArn },
  };
}

async function roundTrip(kafka: KafkaClient): Promise<{ key: string; value: string; header: string; partition: number }[]> {
  const topic = uniqueName('it-conn');
  await withKafkaAdmin(kafka, (admin) => admin.createTopics([{ topic, numPartitions: 2 }]));
  await withKafkaProducer(kafka, (producer) =>
    producer.send(topic, [
      { key: 'k1', value: 'v1', partition: 0, headers: [{ key: 'h', value: Buffer.from('one') }] },
      { key: 'k2', value: 'v2', partition: 1, headers: [{ key: 'h', value: Buffer.from('two') }] },
      { key: 'k3', value: 'v3', partition: 0, headers: [{ key: 'h', value: Buffer.from('three') }] },
    ]),
  );
  const records = await consumeRecords(kafka, topic, 3, { timeoutMs: 30_000 });
  await withKafkaAdmin(kafka, (admin) => admin.deleteTopics([topic]));
  return records
    .map((r) => ({ key: String(r.key), value: String(r.value), header: String(r.headers.find((h) => h.key === 'h')?.value), partition: r.partition }))
    .sort((a, b) => a.key.localeCompare(b.key));
}

const EXPECTED = [
  { key: 'k1', value: 'v1', header: 'one', partition: 0 },
  { key: 'k2', value: 'v2', header: 'two', partition: 1 },
  { key: 'k3', value: 'v3', header: 'three', partition: 0 },
];

afterAll(() => {
  secretsManager.destroy();
});

/** A client on one adapter (the config's own deps plus the adapter). */
function connect(client: KafkaClientKind, config: KafkaConnectionConfig, deps: CreateKafkaDeps = {}): Promise<KafkaClient> {
  return createKafkaClient(config, { ...deps, client });
}

describe.each(KafkaClientKinds)('on the %s adapter', (client) => {
  describe.each(CLUSTERS)('the %s cluster', (cluster) => {
    it('produces and consumes over PLAINTEXT', async () => {
      // Prepare
      const kafka = await connect(client, { name: cluster, bootstrapServers: clusters[cluster].bootstrapServers.split(','), auth: { type: 'none' } });

      // Act
      const seen = await roundTrip(kafka);

      // Assess
      expect(seen).toEqual(EXPECTED);
    });

    it('produces and consumes over SCRAM-SHA-512 with credentials read from Secrets Manager', async () => {
      // Prepare
      const { username, password } = clusters[cluster].saslScram512;
      const secretArn = await storeSecret(JSON.stringify({ username, password }));
      const logger = recordingLogger();
      const kafka = await connect(client, scramConfig(cluster, secretArn), { secrets: createAwsSecretReader({ clientConfig: awsConfig }), logger });

      // Act
      const seen = await roundTrip(kafka);

      // Assess
      expect(seen).toEqual(EXPECTED);
      expect(logger.text()).not.toContain(password);
    });
  });

  describe('connection failures', () => {
    let secrets: ReturnType<typeof createAwsSecretReader>;

    beforeAll(() => {
      secrets = createAwsSecretReader({ clientConfig: awsConfig });
    });

    it('reports a wrong password as KafkaAuthError naming cluster and mechanism, quickly and without the password', async () => {
      // Prepare
      const wrongPassword = 'Wr0ng-Passw0rd-c4n4ry';
      const secretArn = await storeSecret(JSON.stringify({ username: clusters.target.saslScram512.username, password: wrongPassword }));
      const logger = recordingLogger();
      const kafka = await connect(client, scramConfig('target', secretArn), { secrets, logger, retries: 0 });
      const started = Date.now();

      // Act
      const err = await withKafkaAdmin(kafka, (admin) => admin.listTopics()).catch((e: unknown) => e);

      // Assess
      const elapsedMs = Date.now() - started;
      expect(err).toBeInstanceOf(KafkaAuthError);
      const authError = err as KafkaAuthError;
      expect(authError.message).toMatch(/^Kafka cluster "target" during connect admin rejected SCRAM-SHA-512 authentication: /);
      expect(authError.retriable).toBe(false);
      expect(elapsedMs).toBeLessThan(10_000);
      for (const text of [authError.message, JSON.stringify(authError.toJSON()), String(authError.stack), logger.text()]) {
        expect(text).not.toContain(wrongPassword);
      }
    });

    it('reports a missing secret as SecretError naming the secret', async () => {
      // Prepare
      const missing = uniqueName('kbridge-it-missing');

      // Act
      const err = await connect(client, scramConfig('source', missing), { secrets }).catch((e: unknown) => e);

      // Assess
      expect(err).toBeInstanceOf(SecretError);
      expect((err as SecretError).message).toContain(`Secret "${missing}" not found in Secrets Manager (ResourceNotFoundException)`);
    });

    it('reports a malformed secret as SecretError without its value anywhere', async () => {
      // Prepare
      const canary = 'M4lformed-Secret-c4n4ry';
      const secretArn = await storeSecret(`{"username": "kbridge", "password": "${canary}"`);

      // Act
      const err = await connect(client, scramConfig('source', secretArn), { secrets }).catch((e: unknown) => e);

      // Assess
      expect(err).toBeInstanceOf(SecretError);
      const secretError = err as SecretError;
      expect(secretError.message).toContain(`Secret "${secretArn}" (SASL credentials) is not valid JSON`);
      for (const text of [secretError.message, JSON.stringify(secretError.toJSON()), String(secretError.stack), String(secretError.cause)]) {
        expect(text).not.toContain(canary);
      }
    });

    it('reports a secret of the wrong shape naming the missing field', async () => {
      // Prepare
      const secretArn = await storeSecret(JSON.stringify({ user: 'kbridge', pass: 'x' }));

      // Act
      const err = await connect(client, scramConfig('source', secretArn), { secrets }).catch((e: unknown) => e);

      // Assess
      expect(err).toBeInstanceOf(SecretError);
      expect((err as SecretError).message).toBe(`Secret "${secretArn}" (SASL credentials) has no "username" field; expected a non-empty string`);
    });

    it('reports an unreachable broker as a retriable KafkaConnectionError', async () => {
      // Prepare: port 1 on loopback has no listener, so the connection is refused at once.
      const kafka = await connect(client, 
        { name: 'nowhere', bootstrapServers: ['127.0.0.1:1'], auth: { type: 'none' }, connectionTimeoutMs: 1_000 },
        { logLevel: 'nothing', retries: 0 },
      );

      // Act
      const err = await withKafkaAdmin(kafka, (admin) => admin.listTopics()).catch((e: unknown) => e);

      // Assess
      expect(err).toBeInstanceOf(KafkaConnectionError);
      expect((err as KafkaConnectionError).retriable).toBe(true);
      expect((err as KafkaConnectionError).message).toContain('Kafka cluster "nowhere" during connect admin is unreachable');
    });
  });
});
