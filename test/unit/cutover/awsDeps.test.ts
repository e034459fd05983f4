import { DEFAULT_KAFKA_CLIENT } from '../../../src/kafka/select';
import { describe, expect, it } from 'vitest';
import { parseCutoverLambdaEnv } from '../../../src/cutover/awsDeps';
import { ConfigError } from '../../../src/errors';

describe('parseCutoverLambdaEnv', () => {
  it('reads KAFKA_CLIENT, the default when unset', () => {
    // Act
    const chosen = parseCutoverLambdaEnv({ CUTOVER_AUDIT_BUCKET: 'audit', KAFKA_CLIENT: 'kafkajs' });
    const unset = parseCutoverLambdaEnv({ CUTOVER_AUDIT_BUCKET: 'audit' });

    // Assess
    expect(chosen.kafkaClient).toBe('kafkajs');
    expect(unset.kafkaClient).toBe(DEFAULT_KAFKA_CLIENT);
  });

  it('fails with a ConfigError naming KAFKA_CLIENT for an unknown client library', () => {
    // Act
    const parse = (): unknown => parseCutoverLambdaEnv({ CUTOVER_AUDIT_BUCKET: 'audit', KAFKA_CLIENT: 'librdkafka' });

    // Assess
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(/KAFKA_CLIENT is "librdkafka"/);
  });
});
