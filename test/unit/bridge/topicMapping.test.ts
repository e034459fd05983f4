import { describe, expect, it } from 'vitest';
import { ConfigError, TopicMismatchError } from '../../../src/errors';
import { mapTopic, parseTopicMapping } from '../../../src/bridge/topicMapping';

describe('topic mapping', () => {
  it('defaults to identity', () => {
    expect(mapTopic(parseTopicMapping(undefined, 'TOPIC_MAPPING'), 'orders')).toBe('orders');
    expect(mapTopic(parseTopicMapping('identity', 'TOPIC_MAPPING'), 'orders')).toBe('orders');
  });

  it('applies a prefix', () => {
    expect(mapTopic(parseTopicMapping('{"prefix":"dr."}', 'TOPIC_MAPPING'), 'orders')).toBe('dr.orders');
  });

  it('applies an explicit map and rejects unmapped topics naming them', () => {
    // Prepare
    const mapping = parseTopicMapping('{"map":{"orders":"orders-v2"}}', 'TOPIC_MAPPING');

    // Act + Assess
    expect(mapTopic(mapping, 'orders')).toBe('orders-v2');
    expect(() => mapTopic(mapping, 'payments')).toThrow(TopicMismatchError);
    expect(() => mapTopic(mapping, 'payments')).toThrow(/payments/);
  });

  it('rejects a many-to-one map, unknown keys and bad JSON with a ConfigError naming the variable', () => {
    expect(() => parseTopicMapping('{"map":{"a":"x","b":"x"}}', 'TOPIC_MAPPING')).toThrow(/one-to-one/);
    expect(() => parseTopicMapping('{"prefx":"x"}', 'TOPIC_MAPPING')).toThrow(ConfigError);
    expect(() => parseTopicMapping('{oops', 'TOPIC_MAPPING')).toThrow(/TOPIC_MAPPING is not valid JSON/);
  });
});
