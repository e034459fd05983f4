import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildDeadLetterBody, sourceClusterOf, type DeadLetterInput } from '../../../src/deadLetter/body';
import { makeRecord, utf8 } from '../sinks/support';

const kafkaOrders = { kind: 'kafka', name: 'orders' } as const;

/** The record and letter of the example in docs/dead-letters.md. */
function documentedLetter(): DeadLetterInput {
  const record = makeRecord({ partition: 3, offset: 1234567n, key: null, value: '{"total":12.5}', headers: [{ key: 'trace', value: utf8('t-1') }] });
  return { record, reason: 'null-key-on-compacted-topic', detail: 'orders is compacted and rejects records without a key', sourceCluster: 'onprem-east', destination: kafkaOrders };
}

describe('buildDeadLetterBody', () => {
  it('builds the body docs/dead-letters.md shows', () => {
    // Prepare
    const docs = readFileSync(new URL('../../../docs/dead-letters.md', import.meta.url), 'utf8');
    const example = /```json\n([\s\S]*?)```/.exec(docs)?.[1];
    // Act
    const body = buildDeadLetterBody(documentedLetter());
    // Assess
    expect(body).toEqual(JSON.parse(example ?? 'null'));
  });

  it('carries the coordinates, the payload as base64 and the original sizes', () => {
    // Prepare
    const record = makeRecord({ offset: 7n, key: 'k', value: Uint8Array.of(1, 2, 3), headers: [{ key: 'hé', value: utf8('v') }] });
    // Act
    const body = buildDeadLetterBody({ record, reason: 'unshapeable', detail: 'value is not valid UTF-8', destination: { kind: 'sns', name: 'arn:aws:sns:eu-west-1:1:t' } });
    // Assess
    expect(body).toEqual({
      kbridge: 'dead-letter', v: 2, reason: 'unshapeable', detail: 'value is not valid UTF-8',
      source: { topic: 'orders', partition: 0, offset: '7', timestamp: 1718000000000, timestampType: 'CREATE_TIME' },
      destination: { kind: 'sns', name: 'arn:aws:sns:eu-west-1:1:t' }, truncated: false,
      key: 'aw==', keyBytes: 1, value: 'AQID', valueBytes: 3, headers: [{ key: 'hé', value: 'dg==' }], headersBytes: 4,
    });
  });

  it('keeps a tombstone and a null key as null, with null sizes', () => {
    // Act
    const body = buildDeadLetterBody({ record: makeRecord({ key: null, value: null }), reason: 'record-too-large', detail: 'd', destination: kafkaOrders });
    // Assess
    expect(body).toMatchObject({ key: null, keyBytes: null, value: null, valueBytes: null, headers: [], headersBytes: 0, truncated: false });
  });

  it('cuts the value to whole base64 quanta that decode to a prefix, keeping the original size', () => {
    // Prepare
    const value = Uint8Array.from({ length: 2_000_000 }, (_, i) => i % 251);
    // Act
    const body = buildDeadLetterBody({ record: makeRecord({ value }), reason: 'record-too-large', detail: 'd', destination: kafkaOrders }, 1_048_576);
    // Assess
    expect(body).toMatchObject({ truncated: true, valueBytes: 2_000_000, key: 'aw==', headers: [] });
    expect(Buffer.byteLength(JSON.stringify(body))).toBeLessThanOrEqual(1_048_576);
    expect(Buffer.byteLength(JSON.stringify(body))).toBeGreaterThan(1_048_576 - 4);
    const kept = Buffer.from(body.value ?? '', 'base64');
    expect(kept.length).toBeGreaterThan(780_000);
    expect(kept.equals(Buffer.from(value.subarray(0, kept.length)))).toBe(true);
  });

  it('drops key and headers when the value alone cannot make room, and gives the value that room', () => {
    // Prepare
    const record = makeRecord({ key: new Uint8Array(300_000).fill(1), value: new Uint8Array(1000).fill(2), headers: [{ key: 'h', value: new Uint8Array(10) }] });
    // Act
    const body = buildDeadLetterBody({ record, reason: 'record-too-large', detail: 'd', destination: kafkaOrders }, 256 * 1024);
    // Assess
    expect(body).toMatchObject({ truncated: true, key: null, keyBytes: 300_000, headers: null, headersBytes: 11, valueBytes: 1000 });
    expect(Buffer.from(body.value ?? '', 'base64')).toEqual(Buffer.alloc(1000, 2));
  });

  it('cuts the detail last, when even the coordinates barely fit', () => {
    // Act
    const body = buildDeadLetterBody({ record: makeRecord(), reason: 'rejected-by-broker', detail: 'x'.repeat(5000), destination: kafkaOrders }, 2000);
    // Assess
    expect(body).toMatchObject({ truncated: true, value: '', key: null, headers: null, detail: 'x'.repeat(1024) });
  });
});

describe('sourceClusterOf', () => {
  it('prefers the configured name, then the MSK cluster ARN, then the bootstrap list', () => {
    const batch = { bootstrapServers: ['a:9092', 'b:9092'] };
    expect(sourceClusterOf(batch, 'onprem')).toBe('onprem');
    expect(sourceClusterOf({ ...batch, eventSourceArn: 'arn:aws:kafka:eu-west-1:1:cluster/c/u' })).toBe('arn:aws:kafka:eu-west-1:1:cluster/c/u');
    expect(sourceClusterOf(batch)).toBe('a:9092,b:9092');
  });
});
