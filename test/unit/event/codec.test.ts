import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildBatchResponse,
  decodeKafkaEvent,
  encodeKafkaEvent,
  EventSizeCounter,
  estimateEventSize,
  estimateRecordSize,
  fromWireRecord,
  lowestFailedOffsets,
  parseBatchResponse,
  parsePartitionKey,
  partitionKey,
  toWireRecord,
} from '../../../src/event/codec';
import type { KafkaBatch, SourceRecord } from '../../../src/event/types';
import { EventDecodeError } from '../../../src/errors';

const loadEvent = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../../../events/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;
// The decoder hands out Buffers (decoded once, never copied), so expected bytes are Buffers too.
const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');
const bytesArb = (maxLength: number): fc.Arbitrary<Buffer> => fc.uint8Array({ maxLength }).map((u) => Buffer.from(u));
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** Run `fn` and return the EventDecodeError it throws (fails the test otherwise). */
function decodeError(fn: () => unknown): EventDecodeError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(EventDecodeError);
    return err as EventDecodeError;
  }
  throw new Error('expected an EventDecodeError, nothing was thrown');
}

// Kafka topic names: [a-zA-Z0-9._-], so `-` inside names is the normal case, not an edge case.
const topicArb = fc.stringMatching(/^[a-zA-Z0-9._-]{1,30}$/);
const headerArb = fc.record({
  key: fc.string({ unit: 'binary', maxLength: 12 }),
  value: bytesArb(24),
});
const recordFieldsArb = fc.record({
  offset: fc.bigInt({ min: 0n, max: BigInt(Number.MAX_SAFE_INTEGER) }),
  timestamp: fc.oneof(fc.constant(-1), fc.maxSafeNat()),
  timestampType: fc.constantFrom('CREATE_TIME' as const, 'LOG_APPEND_TIME' as const),
  key: fc.option(bytesArb(40), { nil: null }),
  value: fc.option(bytesArb(200), { nil: null }),
  // Repeated keys come for free from the small key space plus duplication below.
  headers: fc.array(headerArb, { maxLength: 4 }).chain((hs) =>
    fc.boolean().map((dup) => (dup && hs[0] ? [...hs, { key: hs[0].key, value: Buffer.alloc(0) }] : hs)),
  ),
});
const partitionArb = fc
  .tuple(topicArb, fc.integer({ min: 0, max: 2_147_483_647 }), fc.array(recordFieldsArb, { maxLength: 5 }))
  .map(([topic, partition, records]) => ({
    topic,
    partition,
    records: records.map((r): SourceRecord => ({ topic, partition, ...r })),
  }));
const batchArb: fc.Arbitrary<KafkaBatch> = fc
  .record({
    eventSource: fc.constantFrom('SelfManagedKafka' as const, 'aws:kafka' as const),
    arn: fc.option(fc.constant('arn:aws:kafka:eu-west-1:123456789012:cluster/demo/abc-1'), { nil: undefined }),
    bootstrapServers: fc.array(fc.stringMatching(/^[a-z0-9.-]{1,20}:[0-9]{2,5}$/), { minLength: 1, maxLength: 3 }),
    partitions: fc.uniqueArray(partitionArb, { maxLength: 4, selector: (p) => partitionKey(p.topic, p.partition) }),
  })
  .map(({ arn, ...rest }) => (arn === undefined ? rest : { ...rest, eventSourceArn: arn }));

describe('decodeKafkaEvent on the AWS documentation samples', () => {
  it.each(['kafka-self-managed.json', 'kafka-msk.json'])('decodes %s to the documented values', (file) => {
    // Prepare
    const event = loadEvent(file);

    // Act
    const batch = decodeKafkaEvent(event);

    // Assess
    expect(batch.bootstrapServers).toEqual([
      'b-2.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092',
      'b-1.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092',
    ]);
    expect(batch.partitions).toHaveLength(1);
    const [record] = batch.partitions[0]?.records ?? [];
    expect(record?.offset).toBe(15n);
    expect(record?.timestamp).toBe(1545084650987);
    expect(Buffer.from(record?.value ?? []).toString('utf8')).toBe('Hello, this is a test.');
    expect(record?.headers).toEqual([{ key: 'headerKey', value: utf8('headerValue') }]);
    expect(batch.eventSourceArn).toBe(event.eventSourceArn);
  });

  it.each(['kafka-self-managed.json', 'kafka-msk.json'])('round-trips %s (the sample key re-encodes canonically)', (file) => {
    // Prepare
    const event = loadEvent(file);

    // Act
    const batch = decodeKafkaEvent(event);
    const reEncoded = encodeKafkaEvent(batch);

    // Assess: the documented key "…1234==" has non-zero padding bits; Java (and we) decode it anyway and
    // re-encode it canonically, so only that one field differs.
    expect(decodeKafkaEvent(clone(reEncoded))).toEqual(batch);
    const expected = clone(event) as { records: Record<string, Array<Record<string, unknown>>> };
    const first = expected.records['mytopic-0']?.[0];
    if (first) first.key = 'abcDEFghiJKLmnoPQRstuVWXyz123w==';
    expect(reEncoded).toEqual(expected);
  });
});

describe('decodeKafkaEvent on edge cases', () => {
  it('decodes null keys, tombstones, binary keys, empty values, non-ASCII and repeated headers', () => {
    // Prepare
    const event = loadEvent('kafka-edge-cases.json');

    // Act
    const batch = decodeKafkaEvent(event);

    // Assess
    expect(batch.partitions.map((p) => [p.topic, p.partition])).toEqual([
      ['orders-eu-west', 0],
      ['orders-eu-west', 11],
    ]);
    const [json, tombstone, binary] = batch.partitions[0]?.records ?? [];
    expect(json?.key).toBeNull();
    expect(JSON.parse(Buffer.from(json?.value ?? []).toString('utf8'))).toEqual({ orderId: 'A-1', amount: 12.5, status: 'NEW' });
    expect(tombstone?.value).toBeNull();
    expect(tombstone?.key).toEqual(utf8('order-2'));
    expect(binary?.key).toEqual(Buffer.from([0xff, 0x00, 0x80, 0x7f]));
    expect(binary?.value).toEqual(Buffer.alloc(0));
    expect(binary?.timestampType).toBe('LOG_APPEND_TIME');
    expect(binary?.headers).toEqual([
      { key: 'träce', value: utf8('café ☃') },
      { key: 'träce', value: utf8('second') },
      { key: 'empty', value: Buffer.alloc(0) },
    ]);
    expect(batch.partitions[1]?.records[0]?.offset).toBe(9007199254740991n);
  });

  it('re-encodes the edge-case event byte for byte', () => {
    // Prepare
    const event = loadEvent('kafka-edge-cases.json');

    // Act
    const reEncoded = encodeKafkaEvent(decodeKafkaEvent(event));

    // Assess
    expect(JSON.stringify(reEncoded)).toBe(JSON.stringify(event));
  });

  it('accepts offsets as decimal strings, beyond 2^53', () => {
    // Prepare
    const record = { topic: 't', partition: 0, offset: '18446744073709551615', timestamp: 1, timestampType: 'CREATE_TIME', headers: [] };

    // Act
    const decoded = fromWireRecord(record);

    // Assess
    expect(decoded.offset).toBe(18446744073709551615n);
  });

  it('reads missing or null headers as no headers and null/absent key and value as null', () => {
    // Act
    const decoded = fromWireRecord({ topic: 't', partition: 0, offset: 1, timestamp: 1, timestampType: 'CREATE_TIME', key: null, headers: null });

    // Assess
    expect(decoded.headers).toEqual([]);
    expect(decoded.key).toBeNull();
    expect(decoded.value).toBeNull();
  });
});

describe('decodeKafkaEvent with release (a handler that owns its event)', () => {
  it('lets the wire records go and leaves an event that reads and decodes as before', () => {
    // Prepare
    const event = loadEvent('kafka-edge-cases.json');
    const original = JSON.stringify(event);
    const wireRecords = event.records;

    // Act
    const batch = decodeKafkaEvent(event, { release: true });

    // Assess: the event no longer holds the parsed records (so their strings can die young)…
    expect(Object.getOwnPropertyDescriptor(event, 'records')?.get).toBeTypeOf('function');
    // …decoding it again gives the same batch (fresh arrays: editing the first does not change the second)…
    batch.partitions.reverse();
    expect(decodeKafkaEvent(event)).toEqual(decodeKafkaEvent(JSON.parse(original)));
    // …and whoever reads it still gets Lambda's shape, the same records (here, byte for byte).
    expect(JSON.stringify(event)).toBe(original);
    expect(event.records).toEqual(wireRecords);
  });

  it.each([
    ['frozen', Object.freeze],
    ['not extensible', Object.preventExtensions],
  ])('leaves a %s event as it is', (_, lock) => {
    // Prepare
    const event = lock(loadEvent('kafka-edge-cases.json'));
    const original = JSON.stringify(event);

    // Act
    const batch = decodeKafkaEvent(event, { release: true });

    // Assess
    expect(Object.getOwnPropertyDescriptor(event, 'records')?.value).toBeDefined();
    expect(JSON.stringify(event)).toBe(original);
    expect(decodeKafkaEvent(event)).toEqual(batch);
  });
});

describe('decodeKafkaEvent on malformed events', () => {
  const base = (): Record<string, unknown> => loadEvent('kafka-edge-cases.json');
  const setRecordField = (event: Record<string, unknown>, key: string, index: number, field: string, value: unknown): Record<string, unknown> => {
    const records = event.records as Record<string, Array<Record<string, unknown>>>;
    const rec = records[key]?.[index];
    if (!rec) throw new Error('fixture changed');
    if (value === undefined) delete rec[field];
    else rec[field] = value;
    return event;
  };

  const recordCases: Array<[string, string, unknown, RegExp]> = [
    ['offset', 'a fraction', 1.5, /non-negative integer/],
    ['offset', 'a negative number', -1, /non-negative integer/],
    ['offset', 'a negative string', '-3', /non-negative integer/],
    ['offset', 'a number beyond 2^53', 2 ** 60, /lost precision/],
    ['offset', 'missing', undefined, /field is missing/],
    ['timestamp', 'a string', '1718000000000', /epoch milliseconds/],
    ['timestampType', 'an unknown type', 'NO_TIMESTAMP_TYPE', /"CREATE_TIME" or "LOG_APPEND_TIME"/],
    ['key', 'not base64', 'not base64!', /standard base64/],
    ['key', 'base64 without padding', 'b3JkZXItMg', /standard base64/],
    ['key', 'base64 with three pads', 'A===', /standard base64/],
    ['key', 'base64 with padding inside', 'AB=C', /standard base64/],
    ['key', 'URL-safe base64', 'a-_b', /standard base64/],
    ['value', 'a number', 42, /standard base64/],
    ['headers', 'an object', { a: [1] }, /array of single-key objects/],
    ['partition', 'a decimal string', '0', /an integer 0\.\./],
  ];

  it.each(recordCases)('names records["orders-eu-west-0"][2].%s when it is %s', (field, _what, value, expectation) => {
    // Prepare
    const event = setRecordField(base(), 'orders-eu-west-0', 2, field, value);

    // Act
    const err = decodeError(() => decodeKafkaEvent(event));

    // Assess
    expect(err.message).toContain(`records["orders-eu-west-0"][2].${field}`);
    expect(err.message).toMatch(expectation);
    expect(err.context.field).toBe(`records["orders-eu-west-0"][2].${field}`);
    expect(err.context.recordIndex).toBe(2);
    expect(err.retriable).toBe(false);
  });

  it('names the header and byte that is not a signed byte', () => {
    // Prepare
    const event = setRecordField(base(), 'orders-eu-west-0', 2, 'headers', [{ ok: [1] }, { bad: [1, 200] }]);

    // Act
    const err = decodeError(() => decodeKafkaEvent(event));

    // Assess
    expect(err.message).toContain('records["orders-eu-west-0"][2].headers[1]["bad"][1]');
    expect(err.message).toContain('-128..127');
    expect(err.message).toContain('got 200');
  });

  it('rejects a header object with two keys', () => {
    // Prepare
    const event = setRecordField(base(), 'orders-eu-west-0', 0, 'headers', [{ a: [1], b: [2] }]);

    // Act / Assess
    expect(decodeError(() => decodeKafkaEvent(event)).message).toContain('records["orders-eu-west-0"][0].headers[0]: expected an object with exactly one key');
  });

  it('rejects a record whose topic or partition disagrees with its records key', () => {
    // Prepare
    const event = setRecordField(base(), 'orders-eu-west-11', 0, 'partition', 1);

    // Act
    const err = decodeError(() => decodeKafkaEvent(event));

    // Assess
    expect(err.message).toContain('records["orders-eu-west-11"][0]');
    expect(err.message).toContain('do not match');
    expect(err.context.partition).toBe(1);
  });

  it.each([
    ['no dash', 'orders'],
    ['an empty topic', '-0'],
    ['a non-numeric partition', 'orders-x'],
    ['a leading zero', 'orders-01'],
  ])('rejects a records key with %s', (_what, key) => {
    // Prepare
    const event = base();
    event.records = { [key]: [] };

    // Act / Assess
    expect(decodeError(() => decodeKafkaEvent(event)).message).toContain(`records key ${JSON.stringify(key)}`);
  });

  it.each([
    ['eventSource', 'aws:sqs', /eventSource: expected "SelfManagedKafka" or "aws:kafka"/],
    ['bootstrapServers', ['a:1'], /bootstrapServers: expected a comma-separated/],
    ['records', [], /records: expected an object/],
    ['eventSourceArn', 'cluster/x', /eventSourceArn: expected an ARN/],
  ])('rejects a bad top-level %s', (field, value, expectation) => {
    // Prepare
    const event = base();
    event[field] = value;

    // Act / Assess
    expect(decodeError(() => decodeKafkaEvent(event)).message).toMatch(expectation);
  });

  it('rejects a non-object event and a non-array partition entry', () => {
    expect(decodeError(() => decodeKafkaEvent('{}')).message).toContain('event: expected a Lambda Kafka event object');
    const event = base();
    event.records = { 'a-0': {} };
    expect(decodeError(() => decodeKafkaEvent(event)).message).toContain('records["a-0"]: expected an array of records');
  });
});

describe('encodeKafkaEvent', () => {
  it('builds records on first read, and every way of reading the event sees Lambda\'s shape', () => {
    fc.assert(
      fc.property(batchArb, (batch) => {
        // Prepare
        const wire = (e: unknown): unknown => JSON.parse(JSON.stringify(e));
        const expected = wire(encodeKafkaEvent(batch));

        // Act / Assess: keys, a clone, a spread and a read agree; a handler may replace records
        const event = encodeKafkaEvent(batch);
        expect(Object.keys(event)).toContain('records');
        expect(wire(structuredClone(event))).toEqual(expected);
        expect(wire({ ...event })).toEqual(expected);
        expect(wire(event.records)).toEqual((expected as { records: unknown }).records);
        expect(event.records).toBe(event.records);
        const replaced = encodeKafkaEvent(batch);
        replaced.records = {};
        expect(replaced.records).toEqual({});
      }),
      { numRuns: 100 },
    );
  });

  it('gives every event the same accessor and keeps its batch where no reader of the event sees it', () => {
    // Prepare
    const batch = decodeKafkaEvent(loadEvent('kafka-edge-cases.json'));
    const [a, b] = [encodeKafkaEvent(batch), encodeKafkaEvent(batch)];
    const derived = Object.create(b) as typeof b;

    // Act
    const [getA, getB] = [a, b].map((e) => Object.getOwnPropertyDescriptor(e, 'records')?.get);
    const viaPrototype = derived.records;

    // Assess: one getter for all (closures per event gave each event a hidden class that V8 keeps with its batch)
    expect(getA).toBeTypeOf('function');
    expect(getA).toBe(getB);
    expect(Object.getOwnPropertyNames(a).sort()).toEqual(['bootstrapServers', 'eventSource', 'records']);
    expect(decodeKafkaEvent(a)).toEqual(batch);
    // Read through an object inheriting from the event, records are built on the event itself, as a data property.
    expect(viaPrototype).toBe(b.records);
    expect(Object.getOwnPropertyDescriptor(b, 'records')?.value).toBe(viaPrototype);
    expect(Object.getOwnPropertyDescriptor(a, 'records')?.get).toBe(getA);
  });

  it('reads the same from an event frozen before its records were first read, and refuses to replace them', () => {
    // Prepare
    const batch = decodeKafkaEvent(loadEvent('kafka-edge-cases.json'));
    const expected = JSON.stringify(encodeKafkaEvent(batch));
    const event = Object.freeze(encodeKafkaEvent(batch));

    // Act
    const first = JSON.stringify(event);
    const second = JSON.stringify(event);

    // Assess
    expect(first).toBe(expected);
    expect(second).toBe(expected);
    expect(decodeKafkaEvent(event)).toEqual(batch);
    expect(() => {
      (event as { records: unknown }).records = {};
    }).toThrow(TypeError);
  });

  it('is inverted by decodeKafkaEvent for arbitrary batches, also through JSON', () => {
    fc.assert(
      fc.property(batchArb, (batch) => {
        // Act
        const direct = decodeKafkaEvent(encodeKafkaEvent(batch));
        const viaJson = decodeKafkaEvent(JSON.parse(JSON.stringify(encodeKafkaEvent(batch))));

        // Assess
        expect(direct).toEqual(batch);
        expect(viaJson).toEqual(batch);
      }),
      { numRuns: 300 },
    );
  });

  it('decodes an event it built itself to the very records it was built from, and still validates a JSON copy of it', () => {
    // Prepare: a batch, its event from the encoder, and a JSON copy of the event with a byte the validation refuses
    const batch = decodeKafkaEvent(loadEvent('kafka-edge-cases.json'));
    const event = encodeKafkaEvent(batch);
    const copy = clone(event);
    const first = Object.values(copy.records)[0]?.[0];
    if (!first) throw new Error('fixture changed');
    first.key = 'b3JkZXItMg';

    // Act
    const again = decodeKafkaEvent(event);

    // Assess: the same record objects (no base64 decoding), in a fresh batch; the copy from outside is refused
    expect(again).toEqual(batch);
    expect(again).not.toBe(batch);
    expect(again.partitions[0]?.records[0]).toBe(batch.partitions[0]?.records[0]);
    expect(decodeError(() => decodeKafkaEvent(copy)).message).toMatch(/standard base64/);
  });

  it('decodes keys, values and header values into Buffers', () => {
    // Act
    const record = decodeKafkaEvent(loadEvent('kafka-edge-cases.json')).partitions.flatMap((p) => p.records).find((r) => r.key !== null && r.headers.length > 0);

    // Assess
    expect(Buffer.isBuffer(record?.key)).toBe(true);
    expect(Buffer.isBuffer(record?.headers[0]?.value)).toBe(true);
  });

  it('leaves out null keys and values, as Lambda does', () => {
    // Prepare
    const record: SourceRecord = {
      topic: 't',
      partition: 0,
      offset: 1n,
      timestamp: 5,
      timestampType: 'CREATE_TIME',
      key: null,
      value: null,
      headers: [],
    };

    // Act
    const wire = toWireRecord(record);

    // Assess
    expect(Object.keys(wire)).toEqual(['topic', 'partition', 'offset', 'timestamp', 'timestampType', 'headers']);
  });

  it('emits header bytes as signed Java bytes', () => {
    // Prepare
    const record = fromWireRecord({ topic: 't', partition: 0, offset: 1, timestamp: 5, timestampType: 'CREATE_TIME', headers: [] });
    record.headers = [{ key: 'h', value: new Uint8Array([0, 127, 128, 255]) }];

    // Act / Assess
    expect(toWireRecord(record).headers).toEqual([{ h: [0, 127, -128, -1] }]);
  });

  it('refuses an offset that a JSON number cannot carry exactly', () => {
    // Prepare
    const batch = decodeKafkaEvent(loadEvent('kafka-msk.json'));
    const record = batch.partitions[0]?.records[0];
    if (!record) throw new Error('fixture changed');
    record.offset = BigInt(Number.MAX_SAFE_INTEGER) + 1n;

    // Act
    const err = decodeError(() => encodeKafkaEvent(batch));

    // Assess
    expect(err.message).toContain('9007199254740992');
    expect(err.message).toContain('mytopic-0');
    expect(err.context.rangeError).toBe(true);
  });

  it('refuses an unsafe offset at the end of a partition of many records, and a negative one at its start', () => {
    // Prepare: records in offset order, as a KafkaBatch holds them
    const record = (offset: bigint): SourceRecord => ({ topic: 'orders', partition: 2, offset, timestamp: 0, timestampType: 'CREATE_TIME', key: null, value: null, headers: [] });
    const safe = BigInt(Number.MAX_SAFE_INTEGER);
    const batch = (offsets: bigint[]): KafkaBatch => ({ eventSource: 'SelfManagedKafka', bootstrapServers: ['b:9092'], partitions: [{ topic: 'orders', partition: 2, records: offsets.map(record) }] });

    // Act / Assess
    expect(() => encodeKafkaEvent(batch([safe - 2n, safe - 1n, safe]))).not.toThrow();
    expect(decodeError(() => encodeKafkaEvent(batch([safe - 1n, safe, safe + 1n]))).message).toContain('9007199254740992');
    expect(decodeError(() => encodeKafkaEvent(batch([-1n, 0n, 1n]))).message).toContain('orders-2');
  });

  it('refuses two entries for the same topic-partition', () => {
    // Prepare
    const batch = decodeKafkaEvent(loadEvent('kafka-msk.json'));
    const p = batch.partitions[0];
    if (!p) throw new Error('fixture changed');
    batch.partitions.push({ ...p, records: [] });

    // Act / Assess
    expect(decodeError(() => encodeKafkaEvent(batch)).message).toContain('mytopic-0 appears twice');
  });
});

describe('partition keys', () => {
  it('split on the last dash, so topics may contain dashes', () => {
    fc.assert(
      fc.property(topicArb, fc.integer({ min: 0, max: 2_147_483_647 }), (topic, partition) => {
        expect(parsePartitionKey(partitionKey(topic, partition))).toEqual({ topic, partition });
      }),
    );
    expect(parsePartitionKey('a-b--7')).toEqual({ topic: 'a-b-', partition: 7 });
  });

  it('reject a partition beyond a Java int', () => {
    expect(decodeError(() => parsePartitionKey('t-2147483648')).context.field).toBe('records["t-2147483648"]');
  });
});

describe('event size estimation', () => {
  it('equals the byte length of the serialised event for arbitrary batches', () => {
    fc.assert(
      fc.property(batchArb, (batch) => {
        // Act
        const estimate = estimateEventSize(batch);

        // Assess
        expect(estimate).toBe(Buffer.byteLength(JSON.stringify(encodeKafkaEvent(batch)), 'utf8'));
      }),
      { numRuns: 300 },
    );
  });

  it('counts an event assembled record by record, in any order, like the serialised event', () => {
    fc.assert(
      fc.property(batchArb, fc.func(fc.integer()), (batch, shuffleKey) => {
        // Prepare
        const records = batch.partitions.flatMap((p) => p.records).sort((a, b) => shuffleKey(a) - shuffleKey(b));
        const counter = new EventSizeCounter(batch);
        const withEmptyPartitionsDropped = { ...batch, partitions: batch.partitions.filter((p) => p.records.length > 0) };

        // Act
        for (const r of records) {
          const predicted = counter.bytesWith(r);
          expect(counter.add(r)).toBe(predicted);
        }

        // Assess
        expect(counter.bytes).toBe(Buffer.byteLength(JSON.stringify(encodeKafkaEvent(withEmptyPartitionsDropped)), 'utf8'));
      }),
      { numRuns: 200 },
    );
  });

  it('equals the byte length of each serialised record', () => {
    // Prepare
    const batch = decodeKafkaEvent(loadEvent('kafka-edge-cases.json'));

    // Act / Assess
    for (const p of batch.partitions) {
      for (const r of p.records) expect(estimateRecordSize(r)).toBe(Buffer.byteLength(JSON.stringify(toWireRecord(r))));
    }
  });

  it('counts the digits of offsets, timestamps and partitions on both sides of every power of ten, in any order', () => {
    // Prepare: ascending, descending and shuffled (an estimate that kept state between records would show it here)
    const edges = [0, 9, Number.MAX_SAFE_INTEGER, ...Array.from({ length: 16 }, (_, d) => [10 ** d - 1, 10 ** d, 10 ** d + 1]).flat()].filter((n) => n <= Number.MAX_SAFE_INTEGER);
    const records: SourceRecord[] = edges.map((n) => ({ topic: 't', partition: Math.min(n, 2 ** 31 - 1), offset: BigInt(n), timestamp: n, timestampType: 'CREATE_TIME', key: null, value: null, headers: [] }));
    const ascending = [...records].sort((a, b) => a.timestamp - b.timestamp);
    const orders = [ascending, [...ascending].reverse(), ascending.map((_, i) => ascending[(i * 7) % ascending.length] as SourceRecord)];

    // Act / Assess
    for (const order of orders) {
      for (const r of order) expect(estimateRecordSize(r)).toBe(Buffer.byteLength(JSON.stringify(toWireRecord(r))));
    }
  });

  it('counts an offset past 2^53 - 1 by its decimal digits too', () => {
    // Prepare: the estimate checks the range on a Number; a BigInt above 2^53 - 1 must not pass for a safe one
    const base: SourceRecord = { topic: 't', partition: 0, offset: 0n, timestamp: 0, timestampType: 'CREATE_TIME', key: null, value: null, headers: [] };
    const safe = BigInt(Number.MAX_SAFE_INTEGER);

    // Act / Assess
    for (const offset of [safe - 1n, safe, safe + 1n, safe + 2n, 10n ** 16n - 1n, 10n ** 16n, 2n ** 63n - 1n]) {
      expect(estimateRecordSize({ ...base, offset }) - estimateRecordSize(base)).toBe(offset.toString().length - 1);
    }
  });

  it('counts the digits of any safe offset and timestamp, record after record', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.bigInt({ min: 0n, max: BigInt(Number.MAX_SAFE_INTEGER) }), fc.integer({ min: 0, max: 2 ** 45 })), { minLength: 1, maxLength: 40 }), (pairs) => {
        for (const [offset, timestamp] of pairs) {
          const r: SourceRecord = { topic: 't', partition: 0, offset, timestamp, timestampType: 'CREATE_TIME', key: null, value: null, headers: [] };
          expect(estimateRecordSize(r)).toBe(Buffer.byteLength(JSON.stringify(toWireRecord(r))));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('partial batch responses', () => {
  const batch = decodeKafkaEvent(loadEvent('kafka-edge-cases.json'));

  it('build the documented shape and parse back', () => {
    // Prepare
    const failures = [
      { topic: 'orders-eu-west', partition: 0, offset: 2n },
      { topic: 'orders-eu-west', partition: 11, offset: 9007199254740991n },
    ];

    // Act
    const response = buildBatchResponse(failures);

    // Assess
    expect(response).toEqual({
      batchItemFailures: [
        { itemIdentifier: { partition: 'orders-eu-west-0', offset: 2 } },
        { itemIdentifier: { partition: 'orders-eu-west-11', offset: 9007199254740991 } },
      ],
    });
    expect(parseBatchResponse(clone(response), batch)).toEqual(failures);
  });

  it('write offsets beyond 2^53 as decimal strings', () => {
    expect(buildBatchResponse([{ topic: 't', partition: 0, offset: 2n ** 60n }]).batchItemFailures[0]?.itemIdentifier.offset).toBe(
      '1152921504606846976',
    );
  });

  it.each([undefined, null, {}, 'done', { statusCode: 200 }])('treat %j as no batch response (complete success)', (response) => {
    expect(parseBatchResponse(response)).toBeUndefined();
  });

  it.each([{ batchItemFailures: [] }, { batchItemFailures: null }])('treat %j as no failures', (response) => {
    expect(parseBatchResponse(response)).toEqual([]);
  });

  it('accept an offset as a decimal string', () => {
    expect(parseBatchResponse({ batchItemFailures: [{ itemIdentifier: { partition: 'a-b-3', offset: '7' } }] })).toEqual([
      { topic: 'a-b', partition: 3, offset: 7n },
    ]);
  });

  it.each([
    ['a non-array list', { batchItemFailures: 'x' }, 'batchItemFailures'],
    ['a null itemIdentifier', { batchItemFailures: [{ itemIdentifier: null }] }, 'batchItemFailures[0].itemIdentifier'],
    ['an empty itemIdentifier string', { batchItemFailures: [{ itemIdentifier: '' }] }, 'batchItemFailures[0].itemIdentifier'],
    ['a bad key name', { batchItemFailures: [{ itemIdentifier: { partition: 'a-0', offset: 1, seq: 2 } }] }, 'batchItemFailures[0].itemIdentifier'],
    ['a missing partition', { batchItemFailures: [{ itemIdentifier: { offset: 1 } }] }, 'batchItemFailures[0].itemIdentifier.partition'],
    ['a malformed partition', { batchItemFailures: [{ itemIdentifier: { partition: 'a', offset: 1 } }] }, 'batchItemFailures[0].itemIdentifier.partition'],
    ['a fractional offset', { batchItemFailures: [{ itemIdentifier: { partition: 'a-0', offset: 1.5 } }] }, 'batchItemFailures[0].itemIdentifier.offset'],
  ])('fail the whole batch on %s', (_what, response, field) => {
    // Act
    const err = decodeError(() => parseBatchResponse(response));

    // Assess
    expect(err.context.field).toBe(field);
    expect(err.message).toContain('Lambda treats the whole batch as failed');
  });

  it('fail the whole batch on an identifier that names no record of the batch', () => {
    // Prepare
    const response = { batchItemFailures: [{ itemIdentifier: { partition: 'orders-eu-west-0', offset: 99 } }] };

    // Act / Assess
    expect(decodeError(() => parseBatchResponse(response, batch)).message).toContain('orders-eu-west-0@99');
    expect(parseBatchResponse(response)).toHaveLength(1);
  });

  it('keep the lowest failed offset per partition', () => {
    // Prepare
    const failures = [
      { topic: 'a', partition: 0, offset: 9n },
      { topic: 'a', partition: 0, offset: 4n },
      { topic: 'a', partition: 1, offset: 7n },
    ];

    // Act
    const lowest = lowestFailedOffsets(failures);

    // Assess
    expect([...lowest.entries()]).toEqual([
      ['a-0', { topic: 'a', partition: 0, offset: 4n }],
      ['a-1', { topic: 'a', partition: 1, offset: 7n }],
    ]);
  });
});

describe('forward compatibility', () => {
  it('ignores fields it does not know on the event and on records', () => {
    // Prepare
    const event = loadEvent('kafka-msk.json') as { records: Record<string, Array<Record<string, unknown>>> } & Record<string, unknown>;
    event.someNewField = { a: 1 };
    const first = event.records['mytopic-0']?.[0];
    if (first) first.valueSchemaMetadata = { dataFormat: 'JSON', schemaId: '123' };

    // Act
    const batch = decodeKafkaEvent(event);

    // Assess
    expect(batch.partitions[0]?.records[0]?.offset).toBe(15n);
    expect(Object.keys(batch.partitions[0]?.records[0] ?? {})).not.toContain('valueSchemaMetadata');
  });
});
