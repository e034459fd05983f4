import { describe, expect, it } from 'vitest';
import type { ResolvedConnection } from '../../../../src/kafka/connection';
import { toKafkajsConfig } from '../../../../src/kafka/kafkajs/config';
import { toKafkaLogLevel } from '../../../../src/kafka/kafkajs/logging';

const quiet = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {} };
const base: ResolvedConnection = {
  info: { cluster: 'target', mechanism: 'none', bootstrapServers: ['b-1:9096'], tls: false },
  clientId: 'kbridge-target',
  bootstrapServers: ['b-1:9096'],
  logger: quiet,
  logLevel: 'warn',
  redact: [],
};

describe('toKafkajsConfig', () => {
  it('maps a plaintext connection, logging at WARN through the connection logger', () => {
    // Act
    const options = toKafkajsConfig(base);

    // Assess
    expect(options).toMatchObject({ clientId: 'kbridge-target', brokers: ['b-1:9096'], logLevel: toKafkaLogLevel('warn') });
    expect(typeof options.logCreator).toBe('function');
    expect(options.ssl).toBeUndefined();
    expect(options.sasl).toBeUndefined();
    expect(options.retry).toBeUndefined();
  });

  it('maps TLS, SCRAM, timeouts and the retry count', () => {
    // Act
    const options = toKafkajsConfig({
      ...base,
      tls: { ca: ['PEM'] },
      sasl: { mechanism: 'scram-sha-512', username: 'bridge', password: 'pw' },
      connectionTimeoutMs: 3000,
      requestTimeoutMs: 5000,
      retries: 0,
    });

    // Assess
    expect(options.ssl).toEqual({ ca: ['PEM'] });
    expect(options.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'bridge', password: 'pw' });
    expect(options).toMatchObject({ connectionTimeout: 3000, requestTimeout: 5000, retry: { retries: 0 } });
  });

  it('maps MSK IAM to SASL/OAUTHBEARER asking the token provider at each authentication', async () => {
    // Prepare
    let asked = 0;
    const token = async () => ({ value: `token-${++asked}` });

    // Act
    const options = toKafkajsConfig({ ...base, tls: true, sasl: { mechanism: 'oauthbearer', token } });
    const sasl = options.sasl as { mechanism: string; oauthBearerProvider: () => Promise<{ value: string }> };

    // Assess
    expect(options.ssl).toBe(true);
    expect(sasl.mechanism).toBe('oauthbearer');
    expect(await sasl.oauthBearerProvider()).toEqual({ value: 'token-1' });
    expect(await sasl.oauthBearerProvider()).toEqual({ value: 'token-2' });
  });
});
