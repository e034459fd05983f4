import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createAwsSecretReader } from '../../../src/adapters/aws/secrets';
import { resolveAwsClientConfig } from '../../../src/adapters/aws/clientConfig';
import { KafkaAuthError, KafkaConnectionError } from '../../../src/errors';
import { createKafkaClient, KafkaClientKinds, withKafkaAdmin, withKafkaProducer, type CreateKafkaDeps, type KafkaClient, type KafkaClientKind, type KafkaConnectionConfig } from '../../../src/kafka';
import { consumeRecords, uniqueName } from '../../support/helpers';
import { startTlsBroker, type TlsBroker } from './tlsBroker';

// TLS with a private root CA and mTLS with an encrypted client key, against a real broker started for
// this file (the shared clusters have no SSL listener), with the CA and the client certificate stored in
// moto Secrets Manager in exactly Lambda's formats. Each test runs once per adapter behind the port.
const clusters = inject('clusters');
const aws = inject('aws');
const awsConfig = resolveAwsClientConfig({ ...process.env, AWS_ENDPOINT_URL: aws.endpoint, AWS_REGION: aws.region });
const secretsManager = new SecretsManagerClient(awsConfig.client);
const secrets = createAwsSecretReader({ clientConfig: awsConfig });

let broker: TlsBroker;
let rootCaSecretArn: string;
let clientCertSecretArn: string;

async function storeSecret(value: object): Promise<string> {
  const out = await secretsManager.send(new CreateSecretCommand({ Name: uniqueName('kbridge-it-tls'), SecretString: JSON.stringify(value) }));
  return out.ARN as string;
}

beforeAll(async () => {
  broker = await startTlsBroker(clusters.kafkaVersion);
  rootCaSecretArn = await storeSecret({ certificate: broker.caPem });
  clientCertSecretArn = await storeSecret({
    certificate: broker.clientCertPem + broker.caPem,
    privateKey: broker.clientKeyEncryptedPem,
    privateKeyPassword: broker.clientKeyPassword,
  });
}, 180_000);

afterAll(async () => {
  await broker?.stop();
  secretsManager.destroy();
});

/** A client on one adapter (the config's own deps plus the adapter). */
function connect(client: KafkaClientKind, config: KafkaConnectionConfig, deps: CreateKafkaDeps = {}): Promise<KafkaClient> {
  return createKafkaClient(config, { ...deps, client });
}

describe.each(KafkaClientKinds)('TLS connections on the %s adapter', (client) => {
  it('connects over TLS trusting the root CA from a SERVER_ROOT_CA_CERTIFICATE secret', async () => {
    // Prepare
    const kafka = await connect(client, 
      { name: 'tls', bootstrapServers: [broker.ssl], tls: { enabled: true, rootCaSecretArn }, auth: { type: 'none' } },
      { secrets },
    );
    const topic = uniqueName('it-tls');

    // Act
    await withKafkaAdmin(kafka, (admin) => admin.createTopics([{ topic }]));
    const topics = await withKafkaAdmin(kafka, (admin) => admin.listTopics());

    // Assess
    expect(topics).toContain(topic);
  });

  it('refuses a broker whose certificate is not signed by a trusted CA, as a non-retriable KafkaConnectionError', async () => {
    // Prepare
    const kafka = await connect(client, 
      { name: 'tls', bootstrapServers: [broker.ssl], tls: { enabled: true }, auth: { type: 'none' }, connectionTimeoutMs: 3_000 },
      { logLevel: 'nothing', retries: 0 },
    );

    // Act
    const err = await withKafkaAdmin(kafka, (admin) => admin.listTopics()).catch((e: unknown) => e);

    // Assess
    expect(err).toBeInstanceOf(KafkaConnectionError);
    expect((err as KafkaConnectionError).retriable).toBe(false);
    expect((err as KafkaConnectionError).message).toContain('Kafka cluster "tls" during connect admin is unreachable');
  });

  it('produces and consumes over mTLS with an encrypted key from a CLIENT_CERTIFICATE_TLS_AUTH secret', async () => {
    // Prepare
    const kafka = await connect(client, 
      { name: 'mtls', bootstrapServers: [broker.mtls], tls: { enabled: true, rootCaSecretArn }, auth: { type: 'mtls', secretArn: clientCertSecretArn } },
      { secrets },
    );
    const topic = uniqueName('it-mtls');
    await withKafkaAdmin(kafka, (admin) => admin.createTopics([{ topic }]));

    // Act
    await withKafkaProducer(kafka, (producer) => producer.send(topic, [{ key: 'k', value: 'over mTLS' }]));
    const seen = await consumeRecords(kafka, topic, 1, { timeoutMs: 30_000 });

    // Assess
    expect(seen.map((r) => String(r.value))).toEqual(['over mTLS']);
  });

  it('authenticates with SCRAM-SHA-256 over TLS (SASL_SSL, as on MSK) with credentials and root CA from secrets', async () => {
    // Prepare
    const secretArn = await storeSecret(broker.scram256);
    const kafka = await connect(client, 
      {
        name: 'sasl-ssl',
        bootstrapServers: [broker.saslSsl],
        tls: { enabled: true, rootCaSecretArn },
        auth: { type: 'sasl', mechanism: 'scram-sha-256', secretArn },
      },
      { secrets },
    );

    // Act
    const topics = await withKafkaAdmin(kafka, (admin) => admin.listTopics());

    // Assess
    expect(Array.isArray(topics)).toBe(true);
  });

  it('authenticates with SASL/PLAIN over TLS and rejects a wrong PLAIN password as KafkaAuthError', async () => {
    // Prepare
    const good = await connect(client, 
      { name: 'sasl-ssl', bootstrapServers: [broker.saslSsl], tls: { enabled: true, rootCaSecretArn }, auth: { type: 'sasl', mechanism: 'plain', secretArn: await storeSecret(broker.plain) } },
      { secrets },
    );
    const wrongPassword = 'Pl41n-Wr0ng-c4n4ry';
    const bad = await connect(client, 
      {
        name: 'sasl-ssl',
        bootstrapServers: [broker.saslSsl],
        tls: { enabled: true, rootCaSecretArn },
        auth: { type: 'sasl', mechanism: 'plain', secretArn: await storeSecret({ username: broker.plain.username, password: wrongPassword }) },
      },
      { secrets, logLevel: 'nothing', retries: 0 },
    );

    // Act
    const topics = await withKafkaAdmin(good, (admin) => admin.listTopics());
    const err = await withKafkaAdmin(bad, (admin) => admin.listTopics()).catch((e: unknown) => e);

    // Assess
    expect(Array.isArray(topics)).toBe(true);
    expect(err).toBeInstanceOf(KafkaAuthError);
    expect((err as KafkaAuthError).message).toMatch(/^Kafka cluster "sasl-ssl" during connect admin rejected PLAIN authentication/);
    expect(JSON.stringify((err as KafkaAuthError).toJSON())).not.toContain(wrongPassword);
  });

  it('reports the mTLS listener refusing a client without a certificate as KafkaAuthError', async () => {
    // Prepare
    const kafka = await connect(client, 
      { name: 'mtls', bootstrapServers: [broker.mtls], tls: { enabled: true, rootCaSecretArn }, auth: { type: 'none' }, connectionTimeoutMs: 3_000 },
      { secrets, logLevel: 'nothing', retries: 0 },
    );

    // Act
    const err = await withKafkaAdmin(kafka, (admin) => admin.listTopics()).catch((e: unknown) => e);

    // Assess
    expect(err).toBeInstanceOf(KafkaAuthError);
    expect((err as KafkaAuthError).message).toContain('Kafka cluster "mtls" during connect admin rejected the TLS client (no client certificate is configured)');
  });
});
