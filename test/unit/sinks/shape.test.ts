import { describe, expect, it } from 'vitest';
import { coordinatesOf, decodeUtf8, serializeValue, shapeBytes, shapeRecord } from '../../../src/sinks/shape';
import { makeRecord, utf8 } from './support';

describe('shapeBytes', () => {
  it('encodes raw bytes as base64, byte-exact', () => {
    // Prepare
    const bytes = Uint8Array.of(0xff, 0x00, 0x80);
    // Act
    const result = shapeBytes(bytes, 'base64');
    // Assess
    expect(result).toEqual({ ok: true, value: '/wCA' });
  });

  it('decodes UTF-8 text and rejects invalid UTF-8 with a reason instead of replacing characters', () => {
    expect(shapeBytes(utf8('héllo ☃'), 'text')).toEqual({ ok: true, value: 'héllo ☃' });
    const bad = shapeBytes(Uint8Array.of(0x41, 0xc3), 'text');
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.reason).toMatch(/not valid UTF-8 \(2 bytes/);
  });

  it('parses JSON and rejects invalid JSON without quoting the payload', () => {
    expect(shapeBytes(utf8('{"a":[1,2]}'), 'json')).toEqual({ ok: true, value: { a: [1, 2] } });
    const bad = shapeBytes(utf8('{"secret-ish": '), 'json');
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.reason).toMatch(/^is not valid JSON/);
    expect(!bad.ok && bad.reason).not.toContain('secret-ish');
  });

  it('keeps a tombstone as null in every format', () => {
    for (const format of ['base64', 'text', 'json'] as const) expect(shapeBytes(null, format)).toEqual({ ok: true, value: null });
  });
});

describe('shapeRecord', () => {
  it('builds the envelope with coordinates, key, value and headers in the chosen shapes', () => {
    // Prepare
    const record = makeRecord({ offset: 9007199254740993n, key: 'k-1', value: '{"x":1}', headers: [{ key: 'h', value: utf8('v') }] });
    // Act
    const shaped = shapeRecord(record, { payloadFormat: 'json', keyFormat: 'text' });
    // Assess
    expect(shaped).toEqual({
      ok: true,
      value: { topic: 'orders', partition: 0, offset: '9007199254740993', timestamp: 1718000000000, timestampType: 'CREATE_TIME', key: 'k-1', value: { x: 1 }, headers: [{ key: 'h', value: 'v' }] },
    });
  });

  it('names the field that cannot be shaped', () => {
    const record = makeRecord({ headers: [{ key: 'bin', value: Uint8Array.of(0xff) }] });
    const shaped = shapeRecord(record, { payloadFormat: 'json', keyFormat: 'text' });
    expect(shaped).toEqual({ ok: false, reason: expect.stringMatching(/^header "bin" is not valid UTF-8/) });
  });
});

describe('serializeValue', () => {
  it('returns undefined for bodies SQS/SNS cannot carry (null or empty) and compact JSON otherwise', () => {
    expect(serializeValue(null, 'text')).toBeUndefined();
    expect(serializeValue('', 'base64')).toBeUndefined();
    expect(serializeValue(null, 'json')).toBeUndefined();
    expect(serializeValue({ a: 1 }, 'json')).toBe('{"a":1}');
  });
});

describe('coordinatesOf / decodeUtf8', () => {
  it('formats topic-partition-offset and decodes strictly', () => {
    expect(coordinatesOf({ topic: 'a-b', partition: 2, offset: 10n })).toBe('a-b-2-10');
    expect(decodeUtf8(Uint8Array.of(0xed, 0xa0, 0x80))).toBeUndefined();
  });
});
