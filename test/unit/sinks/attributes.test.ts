import { describe, expect, it } from 'vitest';
import { buildMessageAttributes, fifoId, isValidAttributeName, MaxMessageAttributes } from '../../../src/sinks/attributes';
import { makeRecord, utf8 } from './support';

const headers = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `h${i}`, value: utf8(`v${i}`) }));

describe('buildMessageAttributes', () => {
  it('carries coordinates, key and each header as its own attribute when they fit', () => {
    // Prepare
    const record = makeRecord({ offset: 42n, key: 'customer-1', headers: headers(2) });
    // Act
    const attrs = buildMessageAttributes(record, {});
    // Assess
    expect(attrs).toEqual({
      'kafka.topic': { DataType: 'String', StringValue: 'orders' },
      'kafka.partition': { DataType: 'Number', StringValue: '0' },
      'kafka.offset': { DataType: 'Number', StringValue: '42' },
      'kafka.key': { DataType: 'String', StringValue: 'customer-1' },
      h0: { DataType: 'String', StringValue: 'v0' },
      h1: { DataType: 'String', StringValue: 'v1' },
    });
  });

  it('uses exactly all 10 slots when headers fit without overflow', () => {
    const attrs = buildMessageAttributes(makeRecord({ headers: headers(6) }), {});
    expect(Object.keys(attrs)).toHaveLength(MaxMessageAttributes);
    expect(attrs['kafka.headers']).toBeUndefined();
  });

  it('packs overflowing headers deterministically into kafka.headers and never exceeds 10 attributes', () => {
    // Prepare: 4 reserved slots, 12 headers → 5 individual + 1 kafka.headers with the other 7
    const record = makeRecord({ headers: headers(12) });
    // Act
    const attrs = buildMessageAttributes(record, {});
    // Assess
    expect(Object.keys(attrs)).toHaveLength(MaxMessageAttributes);
    expect(Object.keys(attrs).filter((k) => /^h\d+$/.test(k))).toEqual(['h0', 'h1', 'h2', 'h3', 'h4']);
    const packed = JSON.parse(attrs['kafka.headers']?.StringValue ?? '[]') as Array<{ key: string; value: string }>;
    expect(packed.map((h) => h.key)).toEqual(['h5', 'h6', 'h7', 'h8', 'h9', 'h10', 'h11']);
    expect(Buffer.from(packed[0]?.value ?? '', 'base64').toString()).toBe('v5');
  });

  it('packs headers with invalid or repeated names and empty values instead of dropping them', () => {
    const record = makeRecord({
      headers: [
        { key: 'AWS.trace', value: utf8('x') },
        { key: 'ok', value: utf8('1') },
        { key: 'ok', value: utf8('2') },
        { key: 'empty', value: new Uint8Array() },
        { key: 'kafka.offset', value: utf8('spoof') },
      ],
    });
    const attrs = buildMessageAttributes(record, {});
    expect(attrs.ok).toEqual({ DataType: 'String', StringValue: '1' });
    expect(attrs['kafka.offset']).toEqual({ DataType: 'Number', StringValue: '0' });
    const packed = JSON.parse(attrs['kafka.headers']?.StringValue ?? '[]') as Array<{ key: string }>;
    expect(packed.map((h) => h.key)).toEqual(['AWS.trace', 'ok', 'empty', 'kafka.offset']);
  });

  it('sends binary keys as Binary and marks empty keys and tombstones', () => {
    const binary = buildMessageAttributes(makeRecord({ key: Uint8Array.of(0x00, 0xff) }), {});
    expect(binary['kafka.key']).toEqual({ DataType: 'Binary', BinaryValue: Uint8Array.of(0x00, 0xff) });
    const marked = buildMessageAttributes(makeRecord({ key: '' }), { valueMarker: 'value-null' });
    expect(marked['kafka.key']).toBeUndefined();
    expect(marked['kafka.markers']).toEqual({ DataType: 'String', StringValue: 'key-empty,value-null' });
  });
});

describe('isValidAttributeName', () => {
  it('follows the SQS/SNS naming rules', () => {
    expect(isValidAttributeName('trace-id_1.x')).toBe(true);
    for (const bad of ['.a', 'a.', 'a..b', 'Amazon.x', 'aws.x', 'has space', 'ü', 'x'.repeat(257), 'kafka.key']) {
      expect(isValidAttributeName(bad)).toBe(false);
    }
  });
});

describe('fifoId', () => {
  it('keeps qualifying text and hashes the rest to 64 hex characters', () => {
    expect(fifoId('orders-3-1042')).toBe('orders-3-1042');
    const long = fifoId(`${'t'.repeat(249)}-0-1`);
    expect(long).toMatch(/^[0-9a-f]{64}$/);
    expect(fifoId(`${'t'.repeat(249)}-0-1`)).toBe(long);
    expect(fifoId(Uint8Array.of(0xff))).toMatch(/^[0-9a-f]{64}$/);
    expect(fifoId('with space')).toMatch(/^[0-9a-f]{64}$/);
  });
});
