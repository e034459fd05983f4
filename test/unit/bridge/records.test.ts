import { describe, expect, it } from 'vitest';
import { RECORD_BATCH_OVERHEAD, chunkBySize, estimateRecordSize, toTargetRecord } from '../../../src/bridge/records';
import type { SourceRecord } from '../../../src/event/types';

const record = (overrides: Partial<SourceRecord> = {}): SourceRecord => ({
  topic: 'orders',
  partition: 3,
  offset: 41n,
  timestamp: 1_718_000_000_123,
  timestampType: 'CREATE_TIME',
  key: new Uint8Array([0xff, 0x00]),
  value: new TextEncoder().encode('hello'),
  headers: [
    { key: 'a', value: new Uint8Array([1]) },
    { key: 'b', value: new Uint8Array([2]) },
    { key: 'a', value: new Uint8Array([3]) },
  ],
  ...overrides,
});

describe('toTargetRecord', () => {
  it('keeps key bytes, value, timestamp, partition and interleaved repeated headers in order', () => {
    // Act
    const m = toTargetRecord(record());

    // Assess
    expect(m.partition).toBe(3);
    expect(m.timestamp).toBe('1718000000123');
    expect(Buffer.from(m.key as Buffer)).toEqual(Buffer.from([0xff, 0x00]));
    expect((m.value as Buffer).toString()).toBe('hello');
    expect(m.headers).toEqual([
      { key: 'a', value: Buffer.from([1]) },
      { key: 'b', value: Buffer.from([2]) },
      { key: 'a', value: Buffer.from([3]) },
    ]);
  });

  it('shares the source bytes instead of copying them', () => {
    // Prepare
    const key = Buffer.from('k');
    const value = Buffer.from('v');

    // Act
    const m = toTargetRecord(record({ key, value }));

    // Assess
    expect(m.key).toBe(key);
    expect(m.value).toBe(value);
  });

  it('adds provenance headers only when asked', () => {
    expect(toTargetRecord(record()).headers?.some((h) => h.key.startsWith('kbridge.source.'))).toBe(false);
    const headers = toTargetRecord(record(), { provenance: { cluster: 'onprem' } }).headers ?? [];
    expect(Object.fromEntries(headers.filter((h) => h.key.startsWith('kbridge.')).map((h) => [h.key, h.value.toString()]))).toEqual({
      'kbridge.source.cluster': 'onprem',
      'kbridge.source.topic': 'orders',
      'kbridge.source.partition': '3',
      'kbridge.source.offset': '41',
    });
  });

  it('keeps null keys and values null, and a header named __proto__ as a header', () => {
    const m = toTargetRecord(record({ key: null, value: null, headers: [{ key: '__proto__', value: new Uint8Array([9]) }] }));
    expect(m.key).toBeNull();
    expect(m.value).toBeNull();
    expect(m.headers).toEqual([{ key: '__proto__', value: Buffer.from([9]) }]);
  });
});

describe('chunkBySize', () => {
  it('keeps order and keeps every chunk under the limit', () => {
    // Prepare
    const sizes = [400, 400, 400, 100, 900, 50];

    // Act
    const chunks = chunkBySize(sizes, (s) => s, 1000);

    // Assess
    expect(chunks.flat()).toEqual(sizes);
    for (const c of chunks) expect(c.reduce((a, b) => a + b, RECORD_BATCH_OVERHEAD)).toBeLessThanOrEqual(1000);
    expect(estimateRecordSize(toTargetRecord(record()))).toBeGreaterThan(2 + 5 + 3 * 2);
  });
});
