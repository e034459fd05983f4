import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeKafkaEvent } from '../../../src/event/codec';
import { compileFilterCriteria, type FilterPatternInput } from '../../../src/event/filter';
import type { SourceRecord } from '../../../src/event/types';
import { ConfigError } from '../../../src/errors';

const edgeCases = decodeKafkaEvent(JSON.parse(readFileSync(new URL('../../../events/kafka-edge-cases.json', import.meta.url), 'utf8')));
const sample = decodeKafkaEvent(JSON.parse(readFileSync(new URL('../../../events/kafka-msk.json', import.meta.url), 'utf8')));

function withValue(value: unknown, overrides: Partial<SourceRecord> = {}): SourceRecord {
  const base = sample.partitions[0]?.records[0];
  if (!base) throw new Error('fixture changed');
  const bytes =
    value === null ? null : value instanceof Uint8Array ? value : new Uint8Array(Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)));
  return { ...base, value: bytes, ...overrides };
}

const matches = (patterns: FilterPatternInput[], record: SourceRecord): boolean => compileFilterCriteria(patterns)(record);

// The producer's JSON from the AWS Kafka filtering docs.
const device = { device_ID: 'AB1234', session: { start_time: '2024-01-01T00:00:00', duration: 162 } };

describe('compileFilterCriteria with the AWS Kafka filtering examples', () => {
  it('keeps a JSON value whose device_ID begins with AB', () => {
    // Prepare
    const keep = compileFilterCriteria([{ pattern: '{ "value" : { "device_ID" : [ { "prefix": "AB" } ] } }' }]);

    // Act / Assess
    expect(keep(withValue(device))).toBe(true);
    expect(keep(withValue({ ...device, device_ID: 'XY1234' }))).toBe(false);
  });

  it('drops a plain-string value equal to "error" with anything-but', () => {
    // Prepare
    const keep = compileFilterCriteria(['{ "value" : [ { "anything-but": [ "error" ] } ] }']);

    // Act / Assess
    expect(keep(withValue('error'))).toBe(false);
    expect(keep(withValue('Hello, this is a test.'))).toBe(true);
  });

  it('matches the documented sample record as a plain string', () => {
    expect(matches(['{ "value": [ "Hello, this is a test." ] }'], sample.partitions[0]?.records[0] as SourceRecord)).toBe(true);
  });
});

describe('compileFilterCriteria operators (Lambda filter rule syntax table)', () => {
  const cases: Array<[string, Record<string, unknown>, Record<string, unknown>, boolean]> = [
    ['null', { UserID: [null] }, { UserID: null }, true],
    ['null vs absent', { UserID: [null] }, {}, false],
    ['empty', { LastName: [''] }, { LastName: '' }, true],
    ['equals', { Name: ['Alice'] }, { Name: 'Alice' }, true],
    ['equals is case-sensitive', { Name: ['Alice'] }, { Name: 'alice' }, false],
    ['and', { Location: ['New York'], Day: ['Monday'] }, { Location: 'New York', Day: 'Tuesday' }, false],
    ['or', { PaymentType: ['Credit', 'Debit'] }, { PaymentType: 'Debit' }, true],
    ['not', { Weather: [{ 'anything-but': ['Raining'] }] }, { Weather: 'Sunny' }, true],
    ['not (excluded)', { Weather: [{ 'anything-but': ['Raining'] }] }, { Weather: 'Raining' }, false],
    ['not (absent field)', { Weather: [{ 'anything-but': ['Raining'] }] }, {}, false],
    ['numeric equals', { Price: [{ numeric: ['=', 100] }] }, { Price: 100 }, true],
    ['numeric range', { Price: [{ numeric: ['>', 10, '<=', 20] }] }, { Price: 20 }, true],
    ['numeric range (outside)', { Price: [{ numeric: ['>', 10, '<=', 20] }] }, { Price: 10 }, false],
    ['numeric on a string', { Price: [{ numeric: ['>', 10] }] }, { Price: '11' }, false],
    ['exists', { ProductName: [{ exists: true }] }, { ProductName: 'x' }, true],
    ['does not exist', { ProductName: [{ exists: false }] }, { Other: 1 }, true],
    ['does not exist (present)', { ProductName: [{ exists: false }] }, { ProductName: 'x' }, false],
    ['begins with', { Region: [{ prefix: 'us-' }] }, { Region: 'us-east-1' }, true],
    ['ends with', { FileName: [{ suffix: '.png' }] }, { FileName: 'a.png' }, true],
    ['prefix ignoring case', { Region: [{ prefix: { 'equals-ignore-case': 'US-' } }] }, { Region: 'us-east-1' }, true],
    ['suffix ignoring case', { FileName: [{ suffix: { 'equals-ignore-case': '.PNG' } }] }, { FileName: 'a.png' }, true],
    ['equals ignoring case', { Name: [{ 'equals-ignore-case': 'ALICE' }] }, { Name: 'alice' }, true],
    ['wildcard', { Path: [{ wildcard: 'dir/*.png' }] }, { Path: 'dir/sub/a.png' }, true],
    ['wildcard (no match)', { Path: [{ wildcard: 'dir/*.png' }] }, { Path: 'dir/a.jpg' }, false],
    ['escaped wildcard', { Path: [{ wildcard: 'a\\*b' }] }, { Path: 'axb' }, false],
    ['anything-but prefix', { Status: [{ 'anything-but': { prefix: 'init' } }] }, { Status: 'initializing' }, false],
    ['anything-but suffix', { File: [{ 'anything-but': { suffix: '.tmp' } }] }, { File: 'a.txt' }, true],
    ['anything-but ignoring case', { S: [{ 'anything-but': { 'equals-ignore-case': ['STOPPED'] } }] }, { S: 'stopped' }, false],
    ['anything-but number', { Code: [{ 'anything-but': [100, 200] }] }, { Code: 300 }, true],
    ['boolean', { Flag: [true] }, { Flag: true }, true],
    ['array field matches any element', { Tags: ['b'] }, { Tags: ['a', 'b'] }, true],
    ['$or', { $or: [{ c: ['x'] }, { d: [{ numeric: ['>', 5] }] }] }, { c: 'y', d: 9 }, true],
    ['$or (neither)', { $or: [{ c: ['x'] }, { d: [{ numeric: ['>', 5] }] }] }, { c: 'y', d: 1 }, false],
    ['multi-level', { session: { duration: [{ numeric: ['>=', 162] }] } }, device, true],
    ['nested field absent', { session: { missing: [{ exists: false }] } }, device, true],
  ];

  it.each(cases)('%s', (_name, valuePattern, value, expected) => {
    // Prepare
    const keep = compileFilterCriteria([{ value: valuePattern }]);

    // Act
    const result = keep(withValue(value));

    // Assess
    expect(result).toBe(expected);
  });
});

describe('compileFilterCriteria over records', () => {
  it('ORs several patterns', () => {
    // Prepare
    const keep = compileFilterCriteria(['{"value":{"a":[1]}}', '{"value":{"b":[2]}}']);

    // Act / Assess
    expect([{ a: 1 }, { b: 2 }, { a: 2, b: 1 }].map((v) => keep(withValue(v)))).toEqual([true, true, false]);
  });

  it('lets every record through when there are no patterns', () => {
    expect(compileFilterCriteria([])(withValue(null))).toBe(true);
  });

  it('matches record metadata', () => {
    // Prepare
    const records = edgeCases.partitions.flatMap((p) => p.records);
    const keep = compileFilterCriteria([{ topic: [{ prefix: 'orders-' }], partition: [11] }]);

    // Act
    const kept = records.filter(keep);

    // Assess
    expect(kept.map((r) => r.offset)).toEqual([9007199254740991n]);
  });

  it('sees a tombstone as an absent value', () => {
    // Prepare
    const keep = compileFilterCriteria(['{"value":[{"exists":false}]}']);

    // Act / Assess
    expect(keep(withValue(null))).toBe(true);
    expect(keep(withValue('x'))).toBe(false);
    expect(compileFilterCriteria(['{"value":{"a":["x"]}}'])(withValue(null))).toBe(false);
  });

  it('matches the key as well as the value', () => {
    // Prepare
    const keep = compileFilterCriteria(['{"key":[{"prefix":"order-"}]}']);
    const [json, tombstone] = edgeCases.partitions[0]?.records ?? [];

    // Act / Assess
    expect(keep(tombstone as SourceRecord)).toBe(true);
    expect(keep(json as SourceRecord)).toBe(false);
  });

  it.each([
    ['a plain string under a JSON pattern', '{"value":{"a":["x"]}}', 'just text'],
    ['a JSON object under a plain-string pattern', '{"value":["x"]}', { a: 'x' }],
    ['bytes that are not UTF-8', '{"value":["x"]}', new Uint8Array([0xc3, 0x28])],
  ])('filters on metadata only for %s, as documented, or drops it when asked', (_what, pattern, value) => {
    // Prepare
    const documented = compileFilterCriteria([pattern]);
    const strict = compileFilterCriteria([pattern], { onFormatMismatch: 'drop' });
    const withMeta = compileFilterCriteria([JSON.stringify({ ...JSON.parse(pattern), partition: [5] })]);

    // Act / Assess
    expect(documented(withValue(value))).toBe(true);
    expect(strict(withValue(value))).toBe(false);
    expect(withMeta(withValue(value))).toBe(false);
  });

  it('accepts the pattern as text, { pattern }, { Pattern } or an object', () => {
    // Prepare
    const text = '{"value":{"a":[1]}}';
    const forms: FilterPatternInput[] = [text, { pattern: text }, { Pattern: text }, { value: { a: [1] } }];

    // Act / Assess
    for (const form of forms) {
      expect(compileFilterCriteria([form])(withValue({ a: 1 }))).toBe(true);
      expect(compileFilterCriteria([form])(withValue({ a: 2 }))).toBe(false);
    }
  });
});

describe('compileFilterCriteria on invalid patterns', () => {
  it.each([
    ['not JSON', '{"value": ', 'filterPatterns[1]: the pattern is not valid JSON'],
    ['a JSON array', '[1]', 'a pattern must be a JSON object'],
    ['an unknown operator', '{"value":{"a":[{"prefx":"x"}]}}', 'filterPatterns[1] at value.a[0]: unknown operator "prefx"'],
    ['an unknown record field', '{"headers":["x"]}', 'unknown record field "headers"'],
    ['an empty rule list', '{"value":{"a":[]}}', 'filterPatterns[1] at value.a: a rule list must not be empty'],
    ['a bad numeric operator', '{"value":{"a":[{"numeric":["<",1,">",5]}]}}', '"numeric" operator "<" not allowed here'],
    ['a non-boolean exists', '{"value":{"a":[{"exists":"yes"}]}}', '"exists" expects true or false'],
    ['consecutive wildcards', '{"value":{"a":[{"wildcard":"a**"}]}}', 'consecutive "*"'],
    ['a scalar where a list belongs', '{"value":{"a":"x"}}', 'expected a rule list [...] or a nested object'],
    ['a scalar metadata object', '{"partition":{"a":[1]}}', '"partition" is a scalar field'],
    ['an empty pattern', '{}', 'a pattern needs at least one field'],
    ['a bad $or', '{"$or":{"value":["x"]}}', '"$or" expects a non-empty array'],
  ])('names the pattern and place for %s', (_what, pattern, message) => {
    // Act
    let error: unknown;
    try {
      compileFilterCriteria(['{"value":["ok"]}', pattern]);
    } catch (err) {
      error = err;
    }

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(message);
    expect((error as ConfigError).context.field).toBe('filterPatterns[1]');
  });
});
