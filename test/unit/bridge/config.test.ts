import { describe, expect, it } from 'vitest';
import { parseBridgeConfig } from '../../../src/bridge/config';
import { ConfigError } from '../../../src/errors';

const base = { BRIDGE_ID: 'dr', TARGET_BOOTSTRAP_SERVERS: 'b1:9092,b2:9092' };

describe('parseBridgeConfig', () => {
  it('applies defaults for a minimal environment', () => {
    // Act
    const config = parseBridgeConfig(base);

    // Assess
    expect(config).toMatchObject({
      bridgeId: 'dr',
      target: { bootstrapServers: ['b1:9092', 'b2:9092'], auth: { type: 'none' } },
      topicMapping: { kind: 'identity' },
      provenanceHeaders: false,
      offsetMapTopic: '__kbridge_offset_map',
      deadLetter: { type: 'none' },
      reportBatchItemFailures: false,
      concurrency: 8,
    });
    expect(config.source).toBeUndefined();
  });

  it('reads the DLQ, mapping, source connection and MSK ARN', () => {
    const config = parseBridgeConfig({
      BRIDGE_ID: 'dr',
      TARGET_MSK_CLUSTER_ARN: 'arn:aws:kafka:eu-west-1:123456789012:cluster/target/abc-1',
      TARGET_AUTH: 'iam',
      AWS_REGION: 'eu-west-1',
      SOURCE_BOOTSTRAP_SERVERS: 'onprem:9092',
      TOPIC_MAPPING: '{"prefix":"dr."}',
      DLQ_TYPE: 'sqs',
      DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/dlq',
      PROVENANCE_HEADERS: 'true',
    });
    expect(config).toMatchObject({
      targetMskClusterArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/target/abc-1',
      target: { bootstrapServers: [], auth: { type: 'iam' } },
      source: { bootstrapServers: ['onprem:9092'] },
      topicMapping: { kind: 'prefix', prefix: 'dr.' },
      deadLetter: { type: 'sqs', queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/dlq' },
      provenanceHeaders: true,
    });
  });

  it('names the variable that is wrong', () => {
    expect(() => parseBridgeConfig({ TARGET_BOOTSTRAP_SERVERS: 'b:1' })).toThrow(/BRIDGE_ID is missing/);
    expect(() => parseBridgeConfig({ ...base, DLQ_TYPE: 'kafka' })).toThrow(/DLQ_TOPIC is missing/);
    expect(() => parseBridgeConfig({ ...base, DLQ_URL: 'https://x.example/q' })).toThrow(/DLQ_TYPE is missing/);
    expect(() => parseBridgeConfig({ ...base, PROVENANCE_HEADERS: 'yes' })).toThrow(/PROVENANCE_HEADERS/);
    expect(() => parseBridgeConfig({ BRIDGE_ID: 'dr' })).toThrow(ConfigError);
    expect(() => parseBridgeConfig({ ...base, TARGET_MSK_CLUSTER_ARN: 'arn:aws:kafka:eu-west-1:123456789012:cluster/t/x' })).toThrow(/not both/);
  });

  it('reads key-based repartitioning from TOPIC_MAPPING and names the variable when it is wrong', () => {
    expect(parseBridgeConfig({ ...base, TOPIC_MAPPING: '{"prefix":"dr.","repartition":"all"}' }).topicMapping).toEqual({ kind: 'prefix', prefix: 'dr.', repartition: 'all' });
    expect(() => parseBridgeConfig({ ...base, TOPIC_MAPPING: '{"repartition":"some"}' })).toThrow(/TOPIC_MAPPING\.repartition/);
  });
});
