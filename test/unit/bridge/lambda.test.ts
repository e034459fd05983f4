import { describe, expect, it } from 'vitest';
import { createBridgeLambda } from '../../../src/bridge/lambda';
import { ConfigError } from '../../../src/errors';

const base = { BRIDGE_ID: 'dr', TARGET_BOOTSTRAP_SERVERS: 'b1:9092', AWS_REGION: 'eu-west-1' };

describe('createBridgeLambda and KAFKA_CLIENT', () => {
  it('fails the init with a ConfigError naming KAFKA_CLIENT and the accepted values for an unknown client', () => {
    // Act
    const init = (): unknown => createBridgeLambda({ ...base, KAFKA_CLIENT: 'rdkafka' });

    // Assess
    expect(init).toThrow(ConfigError);
    expect(init).toThrow(/KAFKA_CLIENT is "rdkafka"; expected one of kafkajs, platformatic/);
  });

  it.each(['kafkajs', 'platformatic', ''])('accepts KAFKA_CLIENT=%j without connecting at init', (kind) => {
    // Act
    const lambda = createBridgeLambda({ ...base, KAFKA_CLIENT: kind });

    // Assess
    expect(lambda.config.bridgeId).toBe('dr');
  });
});
