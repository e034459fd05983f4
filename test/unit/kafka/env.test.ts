import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors';
import { parseKafkaConnectionEnv } from '../../../src/kafka/env';

function parseError(env: Record<string, string>): ConfigError {
  try {
    parseKafkaConnectionEnv('TARGET', env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('parseKafkaConnectionEnv', () => {
  it('parses a plaintext connection with defaults', () => {
    // Act
    const config = parseKafkaConnectionEnv('TARGET', { TARGET_BOOTSTRAP_SERVERS: 'b-1:9092, b-2:9092', OTHER: 'x' });

    // Assess
    expect(config).toEqual({ name: 'target', bootstrapServers: ['b-1:9092', 'b-2:9092'], tls: { enabled: false }, auth: { type: 'none' } });
  });

  it('parses SCRAM-SHA-512 over TLS with a secret and a root CA secret', () => {
    // Act
    const config = parseKafkaConnectionEnv('SOURCE', {
      SOURCE_BOOTSTRAP_SERVERS: 'kafka.corp:9096',
      SOURCE_AUTH: 'SCRAM-SHA-512',
      SOURCE_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:source-scram',
      SOURCE_TLS: 'true',
      SOURCE_ROOT_CA_SECRET_ARN: 'source-ca',
      SOURCE_CLIENT_ID: 'bridge',
      SOURCE_REQUEST_TIMEOUT_MS: '5000',
    });

    // Assess
    expect(config).toEqual({
      name: 'source',
      bootstrapServers: ['kafka.corp:9096'],
      clientId: 'bridge',
      requestTimeoutMs: 5000,
      tls: { enabled: true, rootCaSecretArn: 'source-ca' },
      auth: { type: 'sasl', mechanism: 'scram-sha-512', secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:source-scram' },
    });
  });

  it('accepts inline SASL credentials for local clusters', () => {
    // Act
    const config = parseKafkaConnectionEnv('TARGET', {
      TARGET_BOOTSTRAP_SERVERS: '127.0.0.1:19093',
      TARGET_AUTH: 'plain',
      TARGET_USERNAME: 'kbridge',
      TARGET_PASSWORD: 'pw',
    });

    // Assess
    expect(config.auth).toEqual({ type: 'sasl-inline', mechanism: 'plain', username: 'kbridge', password: 'pw' });
  });

  it('turns TLS on by default for mtls and iam, and takes the IAM region from AWS_REGION', () => {
    // Act
    const mtls = parseKafkaConnectionEnv('TARGET', { TARGET_BOOTSTRAP_SERVERS: 'b:9094', TARGET_AUTH: 'mtls', TARGET_SECRET_ARN: 'cert' });
    const iam = parseKafkaConnectionEnv('TARGET', { TARGET_BOOTSTRAP_SERVERS: 'b:9098', TARGET_AUTH: 'iam', AWS_REGION: 'eu-west-1' });

    // Assess
    expect(mtls.tls).toEqual({ enabled: true });
    expect(mtls.auth).toEqual({ type: 'mtls', secretArn: 'cert' });
    expect(iam.tls).toEqual({ enabled: true });
    expect(iam.auth).toEqual({ type: 'iam', region: 'eu-west-1' });
  });

  it('names a missing bootstrap variable and the expected form', () => {
    // Act
    const err = parseError({});

    // Assess
    expect(err.message).toContain('TARGET_BOOTSTRAP_SERVERS is missing');
    expect(err.context.field).toBe('TARGET_BOOTSTRAP_SERVERS');
  });

  it('names the variable and the allowed values for an unknown auth mode', () => {
    // Act
    const err = parseError({ TARGET_BOOTSTRAP_SERVERS: 'b:9092', TARGET_AUTH: 'kerberos' });

    // Assess
    expect(err.message).toContain('TARGET_AUTH: expected one of none|scram-sha-256|scram-sha-512|plain|mtls|iam');
  });

  it('reports every malformed variable at once', () => {
    // Act
    const err = parseError({ TARGET_BOOTSTRAP_SERVERS: 'no-port', TARGET_AUTH: 'scram-sha-256', TARGET_TLS: 'yes' });

    // Assess
    expect(err.message).toContain('TARGET_BOOTSTRAP_SERVERS: expected "host:port[,host:port...]"');
    expect(err.message).toContain('TARGET_TLS: expected "true" or "false"');
  });

  it('requires a secret for SASL and for mTLS', () => {
    // Act
    const sasl = parseError({ TARGET_BOOTSTRAP_SERVERS: 'b:9092', TARGET_AUTH: 'scram-sha-512' });
    const mtls = parseError({ TARGET_BOOTSTRAP_SERVERS: 'b:9092', TARGET_AUTH: 'mtls' });

    // Assess
    expect(sasl.message).toContain('TARGET_SECRET_ARN: is missing (expected the ARN of a {"username","password"} secret');
    expect(mtls.message).toContain('TARGET_SECRET_ARN: is missing (expected the ARN of a {"certificate","privateKey"} secret');
  });

  it('rejects contradictions: TLS off with mtls, secret and inline together, a password without a user', () => {
    // Act
    const tlsOff = parseError({ TARGET_BOOTSTRAP_SERVERS: 'b:9092', TARGET_AUTH: 'mtls', TARGET_SECRET_ARN: 'c', TARGET_TLS: 'false' });
    const both = parseError({ TARGET_BOOTSTRAP_SERVERS: 'b:9092', TARGET_AUTH: 'plain', TARGET_SECRET_ARN: 's', TARGET_USERNAME: 'u', TARGET_PASSWORD: 'p' });
    const half = parseError({ TARGET_BOOTSTRAP_SERVERS: 'b:9092', TARGET_AUTH: 'plain', TARGET_PASSWORD: 'p' });
    const iam = parseError({ TARGET_BOOTSTRAP_SERVERS: 'b:9098', TARGET_AUTH: 'iam' });

    // Assess
    expect(tlsOff.message).toContain('TARGET_TLS: must be true (or unset) with TARGET_AUTH=mtls');
    expect(both.message).toContain('give either TARGET_SECRET_ARN or TARGET_USERNAME+TARGET_PASSWORD, not both');
    expect(half.message).toContain('TARGET_USERNAME: is missing');
    expect(iam.message).toContain('TARGET_IAM_REGION: is missing');
  });

  it('never echoes the password value in its errors', () => {
    // Prepare
    const password = 'Sup3r-Secret-Pa55word';

    // Act
    const err = parseError({ TARGET_BOOTSTRAP_SERVERS: 'b:9092', TARGET_AUTH: 'none', TARGET_USERNAME: 'u', TARGET_PASSWORD: password });

    // Assess
    expect(err.message).toContain('TARGET_USERNAME: is only used with TARGET_AUTH=scram-sha-256|scram-sha-512|plain');
    expect(JSON.stringify(err.toJSON())).not.toContain(password);
    expect(err.message).not.toContain(password);
  });
});
