import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { ConfigError, SecretError } from '../../../src/errors';
import { createKafkaClient, resolveConnection } from '../../../src/kafka/factory';
import { KafkaClientKinds } from '../../../src/kafka/port';
import { createMskIamTokenProvider } from '../../../src/kafka/iam';
import { createStaticSecretReader } from '../../../src/kafka/secrets';
import type { KafkaConnectionConfig } from '../../../src/kafka/types';

// No broker here: these tests check the library-neutral connection each mode resolves to, secrets read
// (TLS/mTLS run against a real broker in test/integration/kafka/tls.test.ts; IAM has no local MSK).
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const CA = fixture('ca.pem');
const CLIENT_CERT = fixture('client.pem');
const CLIENT_KEY_ENCRYPTED = fixture('client-encrypted.key');

const base = { name: 'target', bootstrapServers: ['b-1:9096', 'b-2:9096'] };
const secrets = createStaticSecretReader({
  scram: { username: 'bridge', password: 'scram-pw' },
  ca: { certificate: CA },
  mtls: { certificate: CLIENT_CERT + CA, privateKey: CLIENT_KEY_ENCRYPTED, privateKeyPassword: 'test-key-password' },
  broken: '{"username":',
});

async function failureOf(config: KafkaConnectionConfig, deps = { secrets }): Promise<Error> {
  try {
    await resolveConnection(config, deps);
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected resolveConnection to fail');
}

describe('resolveConnection', () => {
  it('builds a plaintext client, quiet (WARN) by default', async () => {
    // Act
    const options = await resolveConnection({ ...base, auth: { type: 'none' } });

    // Assess
    expect(options).toMatchObject({ clientId: 'kbridge-target', bootstrapServers: ['b-1:9096', 'b-2:9096'], logLevel: 'warn', redact: [] });
    expect(options.info).toEqual({ cluster: 'target', mechanism: 'none', bootstrapServers: ['b-1:9096', 'b-2:9096'], tls: false });
    expect(options.tls).toBeUndefined();
    expect(options.sasl).toBeUndefined();
  });

  it('builds SCRAM-SHA-512 over TLS from a Lambda-format secret', async () => {
    // Act
    const options = await resolveConnection(
      { ...base, tls: { enabled: true }, auth: { type: 'sasl', mechanism: 'scram-sha-512', secretArn: 'scram' }, requestTimeoutMs: 5000 },
      { secrets, retries: 0 },
    );

    // Assess
    expect(options.tls).toBe(true);
    expect(options.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'bridge', password: 'scram-pw' });
    expect(options.requestTimeoutMs).toBe(5000);
    expect(options.retries).toBe(0);
    expect(options.redact).toEqual(['scram-pw']);
    expect(options.info).toMatchObject({ mechanism: 'SCRAM-SHA-512', tls: true });
  });

  it('trusts a custom root CA from a secret or inline PEM', async () => {
    // Act
    const fromSecret = await resolveConnection({ ...base, tls: { enabled: true, rootCaSecretArn: 'ca' }, auth: { type: 'none' } }, { secrets });
    const inline = await resolveConnection({ ...base, tls: { enabled: true, rootCaPem: CA }, auth: { type: 'none' } });

    // Assess
    expect(fromSecret.tls).toEqual({ ca: [CA] });
    expect(inline.tls).toEqual({ ca: [CA] });
  });

  it('presents the client certificate chain and the encrypted key with its passphrase for mTLS', async () => {
    // Act
    const options = await resolveConnection({ ...base, tls: { enabled: true, rootCaSecretArn: 'ca' }, auth: { type: 'mtls', secretArn: 'mtls' } }, { secrets });

    // Assess
    const tls = options.tls as ConnectionOptions;
    expect(tls.cert).toBe(CLIENT_CERT + CA);
    expect(tls.key).toBe(CLIENT_KEY_ENCRYPTED);
    expect(tls.passphrase).toBe('test-key-password');
    expect(tls.ca).toEqual([CA]);
    expect(options.sasl).toBeUndefined();
    expect(options.redact).toEqual(['test-key-password']);
    expect(options.info.mechanism).toBe('mTLS');
  });

  it('turns TLS on for mTLS even when tls is not configured', async () => {
    // Act
    const options = await resolveConnection({ ...base, auth: { type: 'mtls', secretArn: 'mtls' } }, { secrets });

    // Assess
    expect(typeof options.tls).toBe('object');
  });

  it('uses SASL/OAUTHBEARER over TLS for IAM', async () => {
    // Act
    const options = await resolveConnection({ ...base, auth: { type: 'iam', region: 'eu-west-1' } });

    // Assess
    expect(options.tls).toBe(true);
    expect(options.sasl?.mechanism).toBe('oauthbearer');
    expect(typeof (options.sasl as { token?: unknown }).token).toBe('function');
    expect(options.info.mechanism).toBe('AWS_MSK_IAM');
  });

  it('rejects contradictory or incomplete config with a ConfigError naming the field', async () => {
    // Act
    const noTls = await failureOf({ ...base, tls: { enabled: false }, auth: { type: 'mtls', secretArn: 'mtls' } });
    const noReader = await failureOf({ ...base, auth: { type: 'sasl', mechanism: 'plain', secretArn: 'scram' } }, {} as { secrets: never });
    const noServers = await failureOf({ ...base, bootstrapServers: [], auth: { type: 'none' } });
    const noRegion = await failureOf({ ...base, auth: { type: 'iam' } });

    // Assess
    expect(noTls).toBeInstanceOf(ConfigError);
    expect(noTls.message).toBe('Kafka cluster "target": auth "mtls" needs TLS, but tls.enabled is false');
    expect(noReader.message).toContain('auth.secretArn references a secret, but no SecretReader was given');
    expect(noServers.message).toContain('bootstrapServers is empty');
    expect(noRegion.message).toContain('auth "iam" needs a region');
  });

  it('fails with a SecretError when a referenced secret is missing or malformed', async () => {
    // Act
    const missing = await failureOf({ ...base, auth: { type: 'sasl', mechanism: 'scram-sha-256', secretArn: 'absent' } });
    const broken = await failureOf({ ...base, auth: { type: 'sasl', mechanism: 'scram-sha-256', secretArn: 'broken' } });

    // Assess
    expect(missing).toBeInstanceOf(SecretError);
    expect(missing.message).toBe('Secret "absent" not found');
    expect(broken).toBeInstanceOf(SecretError);
    expect(broken.message).toContain('Secret "broken" (SASL credentials) is not valid JSON');
  });
});

describe('createKafkaClient', () => {
  it.each(KafkaClientKinds)('gives a %s client that knows its cluster and mechanism, connecting nothing yet', async (client) => {
    // Act
    const kafka = await createKafkaClient({ ...base, auth: { type: 'sasl-inline', mechanism: 'scram-sha-512', username: 'u', password: 'p' } }, { client });

    // Assess
    expect(kafka.kind).toBe(client);
    expect(kafka.info).toEqual({ cluster: 'target', mechanism: 'SCRAM-SHA-512', bootstrapServers: base.bootstrapServers, tls: false });
  });
});

describe('createMskIamTokenProvider', () => {
  it('signs a kafka-cluster:Connect presigned URL for the region (the MSK IAM OAUTHBEARER token)', async () => {
    // Prepare
    const provider = createMskIamTokenProvider({
      region: 'eu-west-1',
      credentials: () => Promise.resolve({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'session' }),
    });

    // Act
    const { value } = await provider();
    const url = new URL(Buffer.from(value, 'base64url').toString('utf8'));

    // Assess
    expect(value).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(url.protocol).toBe('https:');
    expect(url.host).toBe('kafka.eu-west-1.amazonaws.com');
    expect(url.searchParams.get('Action')).toBe('kafka-cluster:Connect');
    expect(url.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^AKIDEXAMPLE\/\d{8}\/eu-west-1\/kafka-cluster\/aws4_request$/);
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('session');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(url.searchParams.get('User-Agent')).toMatch(/^aws-msk-iam-sasl-signer-js\//);
    expect(value).not.toContain('wJalrXUtnFEMI');
  });

  it('reports unusable credentials as KafkaAuthError for the cluster', async () => {
    // Prepare
    const provider = createMskIamTokenProvider({
      region: 'eu-west-1',
      cluster: 'target',
      credentials: () => Promise.resolve({ accessKeyId: '', secretAccessKey: '' }),
    });

    // Act / Assess
    await expect(provider()).rejects.toMatchObject({ name: 'KafkaAuthError', context: { cluster: 'target', mechanism: 'AWS_MSK_IAM' } });
  });
});
