import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors';
import { parseSinkConfig } from '../../../src/sinks/config';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('parseSinkConfig', () => {
  it('applies defaults and infers FIFO from the queue URL', () => {
    // Act
    const config = parseSinkConfig('sqs', { QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123/orders.fifo', HOME: '/root' });
    // Assess
    expect(config).toMatchObject({
      kind: 'sqs', fifo: true, messageGroup: 'partition', payloadFormat: 'base64', keyFormat: 'auto',
      limits: { maxEntries: 10, maxEntryBytes: 1_048_576, maxRequestBytes: 1_048_576 }, retry: { maxAttempts: 4 },
    });
  });

  it('takes the source cluster name for dead letters from SOURCE_CLUSTER_NAME (absent by default)', () => {
    // Act
    const named = parseSinkConfig('s3', { BUCKET: 'b', SOURCE_CLUSTER_NAME: ' onprem-dc1 ' });
    const unnamed = parseSinkConfig('s3', { BUCKET: 'b' });
    // Assess
    expect(named.sourceClusterName).toBe('onprem-dc1');
    expect(unnamed).not.toHaveProperty('sourceClusterName');
  });

  it('lets the byte limits be overridden (e.g. an SNS topic with MaximumMessageSize 1 MiB)', () => {
    const config = parseSinkConfig('sns', { TOPIC_ARN: 'arn:aws:sns:us-east-1:123:t', MAX_ENTRY_BYTES: '1048576', MAX_REQUEST_BYTES: '1048576' });
    expect(config.limits).toEqual({ maxEntries: 10, maxEntryBytes: 1_048_576, maxRequestBytes: 1_048_576 });
  });

  it('names every bad variable and what was expected', () => {
    const err = configError(() => parseSinkConfig('sqs', { PAYLOAD_FORMAT: 'xml', DLQ_URL: 'not a url', MAX_ATTEMPTS: '0' }));
    expect(err.message).toContain('QUEUE_URL is missing');
    expect(err.message).toContain('PAYLOAD_FORMAT');
    expect(err.message).toMatch(/'base64' \| 'text' \| 'json'/);
    expect(err.message).toContain('DLQ_URL: expected the dead-letter SQS queue URL');
    expect(err.message).toContain('MAX_ATTEMPTS');
    expect(err.message).toContain('environment of sink-sqs');
  });

  it('checks cross-field rules of DynamoDB and Kinesis', () => {
    expect(configError(() => parseSinkConfig('dynamodb', { TABLE_NAME: 't', ITEM_KEY: 'value:id' })).message).toContain('needs PAYLOAD_FORMAT=json');
    expect(configError(() => parseSinkConfig('dynamodb', { TABLE_NAME: 't', PARTITION_KEY_ATTRIBUTE: 'offset' })).message).toContain('PARTITION_KEY_ATTRIBUTE');
    expect(configError(() => parseSinkConfig('dynamodb', { TABLE_NAME: 't', ITEM_KEY: 'kafka-key', SORT_KEY_ATTRIBUTE: 'sk' })).message).toContain('SORT_KEY_ATTRIBUTE');
    expect(configError(() => parseSinkConfig('kinesis', {})).message).toContain('set STREAM_NAME or STREAM_ARN');
    expect(configError(() => parseSinkConfig('eventbridge', { EVENT_SOURCE: 'aws.kafka' })).message).toContain('EVENT_SOURCE');
    expect(parseSinkConfig('dynamodb', { TABLE_NAME: 't', ITEM_KEY: 'value:customer.id', PAYLOAD_FORMAT: 'json' })).toMatchObject({
      itemKey: { kind: 'value-field', path: ['customer', 'id'] },
    });
  });
});
