import { describe, expect, it } from 'vitest';
import { ConfigError, TopicMismatchError } from '../../../src/errors';
import { isRepartitioned, mapTopic, parseTopicMapping } from '../../../src/bridge/topicMapping';

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

  it('reads key-based repartitioning per topic or for all topics, with any mapping kind', () => {
    // Act
    const listed = parseTopicMapping('{"map":{"orders":"orders-v2","payments":"payments"},"repartition":["orders"]}', 'TOPIC_MAPPING');
    const all = parseTopicMapping('{"prefix":"dr.","repartition":"all"}', 'TOPIC_MAPPING');
    const identity = parseTopicMapping('{"repartition":["orders"]}', 'TOPIC_MAPPING');

    // Assess
    expect(listed).toEqual({ kind: 'map', map: { orders: 'orders-v2', payments: 'payments' }, repartition: ['orders'] });
    expect([isRepartitioned(listed, 'orders'), isRepartitioned(listed, 'payments')]).toEqual([true, false]);
    expect(all).toEqual({ kind: 'prefix', prefix: 'dr.', repartition: 'all' });
    expect(isRepartitioned(all, 'anything')).toBe(true);
    expect(identity).toEqual({ kind: 'identity', repartition: ['orders'] });
    expect(mapTopic(identity, 'orders')).toBe('orders');
    expect(isRepartitioned(parseTopicMapping(undefined, 'TOPIC_MAPPING'), 'orders')).toBe(false);
  });

  it('rejects a bad repartition value naming the field and what was expected', () => {
    const bad = (raw: string): string => {
      try {
        parseTopicMapping(raw, 'TOPIC_MAPPING');
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      throw new Error(`accepted ${raw}`);
    };
    expect(bad('{"repartition":"al"}')).toMatch(/TOPIC_MAPPING\.repartition: expected "all" or a non-empty list of source topic names/);
    expect(bad('{"repartition":[]}')).toMatch(/TOPIC_MAPPING\.repartition: expected at least one source topic/);
    expect(bad('{"repartition":["orders","orders"]}')).toMatch(/TOPIC_MAPPING\.repartition\.1: "orders" is listed twice/);
    expect(bad('{"repartition":["bad name"]}')).toMatch(/TOPIC_MAPPING\.repartition\.0: expected a Kafka topic name/);
    expect(bad('{"map":{"orders":"o2"},"repartition":["payments"]}')).toMatch(/TOPIC_MAPPING\.repartition\.0: "payments" is not a source topic of "map" \(expected one of: orders\)/);
    expect(bad('{"prefix":"dr.","map":{"a":"b"}}')).toMatch(/TOPIC_MAPPING\.map: give either "prefix" or "map", not both/);
  });
});
