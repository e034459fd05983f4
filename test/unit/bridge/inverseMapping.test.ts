import { describe, expect, it } from 'vitest';
import { parseBridgeDirection } from '../../../src/bridge/direction';
import { inverseTopic, invertTopicMapping, invertTopicRecord } from '../../../src/bridge/inverseMapping';
import { mapTopic, type TopicMapping } from '../../../src/bridge/topicMapping';

describe('inverseTopic', () => {
  it('maps target topics back through identity, prefix and map', () => {
    expect(inverseTopic({ kind: 'identity' }, 'orders')).toBe('orders');
    expect(inverseTopic({ kind: 'prefix', prefix: 'dr.' }, 'dr.orders')).toBe('orders');
    expect(inverseTopic({ kind: 'map', map: { orders: 'orders-v2', payments: 'pay' } }, 'pay')).toBe('payments');
  });

  it('is the inverse of mapTopic', () => {
    const mappings: TopicMapping[] = [{ kind: 'identity' }, { kind: 'prefix', prefix: 'x.' }, { kind: 'map', map: { a: 'b', b: 'c' } }];
    for (const m of mappings) {
      for (const t of m.kind === 'map' ? Object.keys(m.map) : ['a', 'orders']) expect(inverseTopic(m, mapTopic(m, t))).toBe(t);
    }
  });

  it('refuses, naming the topic, a name the prefix rule cannot produce', () => {
    expect(() => inverseTopic({ kind: 'prefix', prefix: 'dr.' }, 'payments')).toThrow(/Topic "payments" cannot be replicated back: .*prefix "dr."/);
    expect(() => inverseTopic({ kind: 'prefix', prefix: 'dr.' }, 'dr.')).toThrow(/Topic "dr."/);
  });

  it('refuses a target topic no source topic maps to', () => {
    expect(() => inverseTopic({ kind: 'map', map: { orders: 'orders-v2' } }, 'orders')).toThrow(/Topic "orders" cannot be replicated back: no source topic maps to it/);
  });

  it('refuses a topic the forward bridge repartitions by key', () => {
    const m: TopicMapping = { kind: 'map', map: { orders: 'orders-v2', pay: 'pay' }, repartition: ['orders'] };
    expect(() => inverseTopic(m, 'orders-v2')).toThrow(/Topic "orders-v2" cannot be replicated back: the forward bridge repartitions "orders" by key/);
    expect(inverseTopic(m, 'pay')).toBe('pay');
  });

  it('serves mapTopic for an inverse mapping (what the reverse bridge applies)', () => {
    const reverse = invertTopicMapping({ kind: 'prefix', prefix: 'dr.' }, 'TOPIC_MAPPING');
    expect(mapTopic(reverse, 'dr.orders')).toBe('orders');
    expect(() => mapTopic(reverse, 'orders')).toThrow(/Topic "orders" cannot be replicated back/);
  });
});

describe('invertTopicMapping', () => {
  it('refuses a forward mapping that repartitions every topic', () => {
    expect(() => invertTopicMapping({ kind: 'identity', repartition: 'all' }, 'TOPIC_MAPPING')).toThrow(/TOPIC_MAPPING: the forward mapping repartitions every topic/);
  });
});

describe('invertTopicRecord', () => {
  it('inverts a one-to-one plan mapping', () => {
    expect(invertTopicRecord({ orders: 'dr.orders', pay: 'pay2' }, 'bridge.topicMapping')).toEqual({ 'dr.orders': 'orders', pay2: 'pay' });
  });

  it('refuses a mapping that sends two topics to one, naming them', () => {
    expect(() => invertTopicRecord({ a: 'x', b: 'x' }, 'bridge.topicMapping')).toThrow(/topics "a" and "b" both map to "x"/);
  });
});

describe('parseBridgeDirection', () => {
  it('defaults to forward with the mapping as given', () => {
    expect(parseBridgeDirection({ TOPIC_MAPPING: '{"prefix":"dr."}' })).toEqual({ direction: 'forward', topicMapping: { kind: 'prefix', prefix: 'dr.' } });
  });

  it('inverts the forward mapping for a reverse bridge and keeps both names', () => {
    expect(parseBridgeDirection({ BRIDGE_DIRECTION: 'reverse', TOPIC_MAPPING: '{"prefix":"dr."}', SOURCE_CLUSTER_NAME: 'msk', TARGET_CLUSTER_NAME: 'onprem' })).toEqual({
      direction: 'reverse',
      topicMapping: { kind: 'inverse', forward: { kind: 'prefix', prefix: 'dr.' } },
      sourceClusterName: 'msk',
      targetClusterName: 'onprem',
    });
  });

  it('needs both cluster names for a reverse bridge, and two different ones', () => {
    expect(() => parseBridgeDirection({ BRIDGE_DIRECTION: 'reverse', SOURCE_CLUSTER_NAME: 'msk' })).toThrow(/TARGET_CLUSTER_NAME is missing/);
    expect(() => parseBridgeDirection({ BRIDGE_DIRECTION: 'reverse', TARGET_CLUSTER_NAME: 'onprem' })).toThrow(/SOURCE_CLUSTER_NAME is missing/);
    expect(() => parseBridgeDirection({ SOURCE_CLUSTER_NAME: 'a', TARGET_CLUSTER_NAME: 'a' })).toThrow(/expected two different names/);
  });

  it('names a bad direction', () => {
    expect(() => parseBridgeDirection({ BRIDGE_DIRECTION: 'backwards' })).toThrow(/BRIDGE_DIRECTION.*expected "forward" or "reverse"/);
  });
});
