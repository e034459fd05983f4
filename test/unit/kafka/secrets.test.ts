import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SecretError } from '../../../src/errors';
import {
  createStaticSecretReader,
  parseClientCertificateSecret,
  parseRootCaSecret,
  parseSaslSecret,
  readJsonSecret,
  withSecretCache,
  type SecretReader,
} from '../../../src/kafka/secrets';

// Test-only PKI made once with openssl (CA, client cert signed by it, the client key plain and PBES1-encrypted).
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const CA = fixture('ca.pem');
const CLIENT_CERT = fixture('client.pem');
const CLIENT_KEY = fixture('client.key');
const CLIENT_KEY_ENCRYPTED = fixture('client-encrypted.key');
const KEY_PASSWORD = 'test-key-password';

/** The recognisable value that must never surface anywhere in an error. */
const CANARY = 'CanaryPassw0rd-7f3e91';

async function secretErrorOf(action: () => unknown): Promise<SecretError> {
  try {
    await action();
  } catch (err) {
    expect(err).toBeInstanceOf(SecretError);
    return err as SecretError;
  }
  throw new Error('expected a SecretError');
}

function expectNoCanary(err: SecretError): void {
  expect(err.message).not.toContain(CANARY);
  expect(JSON.stringify(err.toJSON())).not.toContain(CANARY);
  expect(String(err.stack)).not.toContain(CANARY);
  expect(err.cause === undefined ? '' : String((err.cause as Error)?.message ?? err.cause)).not.toContain(CANARY);
}

describe('readJsonSecret', () => {
  it('rejects malformed JSON naming the secret, without the value anywhere', async () => {
    // Prepare
    const secrets = createStaticSecretReader({ 'target-scram': `{"username": "kbridge", "password": "${CANARY}` });

    // Act
    const err = await secretErrorOf(() => readJsonSecret(secrets, 'target-scram', 'SASL credentials'));

    // Assess
    expect(err.message).toMatch(/^Secret "target-scram" \(SASL credentials\) is not valid JSON/);
    expect(err.context).toMatchObject({ field: 'SecretString', secretId: 'target-scram' });
    expect(err.cause).toBeUndefined();
    expectNoCanary(err);
  });

  it('rejects JSON that is not an object', async () => {
    // Prepare
    const secrets = createStaticSecretReader({ s: `"${CANARY}"` });

    // Act
    const err = await secretErrorOf(() => readJsonSecret(secrets, 's', 'SASL credentials'));

    // Assess
    expect(err.message).toContain('is not a JSON object');
    expectNoCanary(err);
  });

  it('names a missing secret', async () => {
    // Act
    const err = await secretErrorOf(() => readJsonSecret(createStaticSecretReader({}), 'nope', 'SASL credentials'));

    // Assess
    expect(err.message).toBe('Secret "nope" not found');
  });
});

describe('parseSaslSecret', () => {
  it('returns username and password from the Lambda SASL format', () => {
    // Act
    const sasl = parseSaslSecret({ username: 'kbridge', password: 'pw', extra: 1 }, 'arn');

    // Assess
    expect(sasl).toEqual({ username: 'kbridge', password: 'pw' });
  });

  it('names the missing field and never echoes the other values', async () => {
    // Act
    const err = await secretErrorOf(() => parseSaslSecret({ user: 'kbridge', password: CANARY }, 'arn:scram'));

    // Assess
    expect(err.message).toBe('Secret "arn:scram" (SASL credentials) has no "username" field; expected a non-empty string');
    expect(err.context.field).toBe('username');
    expectNoCanary(err);
  });

  it('says only the type of a wrongly typed value', async () => {
    // Act
    const err = await secretErrorOf(() => parseSaslSecret({ username: 'u', password: [CANARY] }, 'arn:scram'));

    // Assess
    expect(err.message).toBe('Secret "arn:scram" (SASL credentials) field "password" is an array; expected a non-empty string');
    expectNoCanary(err);
  });
});

describe('parseRootCaSecret', () => {
  it('accepts a PEM certificate', () => {
    // Act
    const ca = parseRootCaSecret({ certificate: CA }, 'ca');

    // Assess
    expect(ca.certificate).toBe(CA);
  });

  it('rejects text that holds no certificate', async () => {
    // Act
    const err = await secretErrorOf(() => parseRootCaSecret({ certificate: CANARY }, 'ca'));

    // Assess
    expect(err.message).toContain('field "certificate" holds no PEM certificate');
    expectNoCanary(err);
  });

  it('rejects a corrupted PEM block', async () => {
    // Act
    const err = await secretErrorOf(() => parseRootCaSecret({ certificate: CA.replace(/[A-Za-z]{20}/, 'A'.repeat(20)) }, 'ca'));

    // Assess
    expect(err.message).toContain('PEM block 1 is not a valid X.509 certificate');
  });
});

describe('parseClientCertificateSecret', () => {
  it('accepts a chain and a plain PKCS#8 key', () => {
    // Act
    const cert = parseClientCertificateSecret({ certificate: CLIENT_CERT + CA, privateKey: CLIENT_KEY }, 'mtls');

    // Assess
    expect(cert).toEqual({ certificate: CLIENT_CERT + CA, privateKey: CLIENT_KEY });
  });

  it('accepts an encrypted key with its password', () => {
    // Act
    const cert = parseClientCertificateSecret(
      { certificate: CLIENT_CERT, privateKey: CLIENT_KEY_ENCRYPTED, privateKeyPassword: KEY_PASSWORD },
      'mtls',
    );

    // Assess
    expect(cert.privateKeyPassword).toBe(KEY_PASSWORD);
  });

  it('rejects an encrypted key without a password', async () => {
    // Act
    const err = await secretErrorOf(() => parseClientCertificateSecret({ certificate: CLIENT_CERT, privateKey: CLIENT_KEY_ENCRYPTED }, 'mtls'));

    // Assess
    expect(err.message).toBe('Secret "mtls" (mTLS client certificate) field "privateKey" is encrypted but the secret has no "privateKeyPassword"');
  });

  it('rejects a wrong key password without echoing it', async () => {
    // Act
    const err = await secretErrorOf(() =>
      parseClientCertificateSecret({ certificate: CLIENT_CERT, privateKey: CLIENT_KEY_ENCRYPTED, privateKeyPassword: CANARY }, 'mtls'),
    );

    // Assess
    expect(err.message).toBe('Secret "mtls" (mTLS client certificate) field "privateKey" cannot be decrypted with "privateKeyPassword"');
    expectNoCanary(err);
  });

  it('rejects a key that is not PEM, without echoing it', async () => {
    // Act
    const err = await secretErrorOf(() => parseClientCertificateSecret({ certificate: CLIENT_CERT, privateKey: CANARY }, 'mtls'));

    // Assess
    expect(err.message).toContain('field "privateKey" is not a PEM private key');
    expectNoCanary(err);
  });
});

describe('withSecretCache', () => {
  function countingReader(): SecretReader & { calls: number; fail: boolean } {
    const reader = {
      calls: 0,
      fail: false,
      readSecretString(): Promise<string> {
        reader.calls += 1;
        return reader.fail ? Promise.reject(new SecretError('boom')) : Promise.resolve(`v${reader.calls}`);
      },
    };
    return reader;
  }

  it('reads a secret once per TTL and again after it expires', async () => {
    // Prepare
    let clock = 0;
    const inner = countingReader();
    const cached = withSecretCache(inner, { ttlMs: 1000, now: () => clock });

    // Act
    const first = await Promise.all([cached.readSecretString('a'), cached.readSecretString('a')]);
    clock = 999;
    const stillCached = await cached.readSecretString('a');
    clock = 1001;
    const refreshed = await cached.readSecretString('a');

    // Assess
    expect(first).toEqual(['v1', 'v1']);
    expect(stillCached).toBe('v1');
    expect(refreshed).toBe('v2');
    expect(inner.calls).toBe(2);
  });

  it('does not cache a failure', async () => {
    // Prepare
    const inner = countingReader();
    const cached = withSecretCache(inner);
    inner.fail = true;

    // Act
    await expect(cached.readSecretString('a')).rejects.toThrow('boom');
    inner.fail = false;
    const value = await cached.readSecretString('a');

    // Assess
    expect(value).toBe('v2');
  });
});
