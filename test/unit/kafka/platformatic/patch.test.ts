import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRecord, createRecordsBatch, createRecordsBatchAsync, crc32c, readRecordsBatch, readRecordsBatches, Reader, Writer, type MessageRecord } from '@platformatic/kafka';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

// patches/@platformatic+kafka+2.12.1.patch (applied by `npm ci` through patch-package): the library's own
// read_committed filter ended an aborted transaction at the producer's LAST abort marker in a fetch answer, so a
// marker-only abort after committed transactions hid all of them (the conformance test "an abort with no data of
// its own" in test/integration/kafka/port.test.ts shows the behaviour against a real broker). Here: the
// installed file is the patched one, the one esbuild bundles.
const root = join(import.meta.dirname, '../../../../node_modules/@platformatic/kafka');

describe('@platformatic/kafka read_committed filter (patched)', () => {
  it('is the patched version', async () => {
    const source = await readFile(join(root, 'dist/clients/consumer/consumer.js'), 'utf8');
    expect(source).toContain('kafka-msk-bridge patch');
    expect(JSON.parse(await readFile(join(root, 'package.json'), 'utf8')).version).toBe('2.12.1');
  });
});

type BatchOptions = Parameters<typeof createRecordsBatch>[1] & {};

/**
 * 2.12.1's own record batch (its `prepareRecordsBatch` and `finalizeRecordsBatch`), built from what the library still
 * exports unchanged: `createRecord` per record, its Writer, its CRC. The reference for the patched fast path.
 */
function referenceBatch(messages: MessageRecord[], options: BatchOptions): Buffer {
  const firstTimestamp = messages[0]?.timestamp as bigint;
  let maxTimestamp = firstTimestamp;
  const records = Writer.create();
  messages.forEach((m, i) => {
    if ((m.timestamp as bigint) > maxTimestamp) maxTimestamp = m.timestamp as bigint;
    records.appendFrom(createRecord(m, i, firstTimestamp));
  });
  const first = messages[0] as MessageRecord;
  const writer = Writer.create()
    .appendInt16(options.transactionalId ? 0x10 : 0)
    .appendInt32(messages.length - 1)
    .appendInt64(firstTimestamp)
    .appendInt64(maxTimestamp)
    .appendInt64(options.producerId ?? -1n)
    .appendInt16(options.producerEpoch ?? 0)
    .appendInt32(options.sequences?.getWithDefault(`${first.topic}:${first.partition}`, 0) ?? 0)
    .appendInt32(messages.length)
    .appendFrom(records);
  return writer.appendUnsignedInt32(crc32c(writer.dynamicBuffer), false).appendInt8(2, false).appendInt32(options.partitionLeaderEpoch ?? 0, false).prependLength().appendInt64(0n, false).buffer;
}

const bytes = (max: number): fc.Arbitrary<Buffer> => fc.uint8Array({ maxLength: max }).map((u) => Buffer.from(u));
const messageArb = fc.record({
  key: fc.option(bytes(40), { nil: undefined }),
  value: fc.oneof(bytes(300), fc.constant(null)),
  headers: fc.option(fc.array(fc.tuple(bytes(12), bytes(30)), { maxLength: 4 }).map((h) => new Map(h)), { nil: undefined }),
  // Deltas from the first record's timestamp of any sign, small and large (varints of 1 to 8 bytes).
  delta: fc.oneof(fc.integer({ min: -300, max: 300 }), fc.bigInt({ min: -(2n ** 45n), max: 2n ** 45n }).map(Number)),
});
const optionsArb = fc.record({
  transactionalId: fc.option(fc.constant('tx-1'), { nil: undefined }),
  producerId: fc.option(fc.bigInt({ min: 0n, max: 2n ** 40n }), { nil: undefined }),
  producerEpoch: fc.option(fc.integer({ min: 0, max: 32_000 }), { nil: undefined }),
  firstSequence: fc.option(fc.integer({ min: 0, max: 2 ** 31 - 1 }), { nil: undefined }),
  partitionLeaderEpoch: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: undefined }),
});
const base = 1_765_000_000_000n;

function build(spec: ReadonlyArray<{ key?: Buffer | undefined; value: Buffer | null; headers?: Map<Buffer, Buffer> | undefined; delta: number }>, o: Partial<{ transactionalId: string; producerId: bigint; producerEpoch: number; firstSequence: number; partitionLeaderEpoch: number }>): { messages: () => MessageRecord[]; options: BatchOptions } {
  const messages = (): MessageRecord[] =>
    spec.map((m, i) => ({ topic: 't', partition: 3, key: m.key, value: m.value as Buffer, headers: m.headers, timestamp: i === 0 ? base : base + BigInt(m.delta) }));
  const options: BatchOptions = {
    ...(o.transactionalId ? { transactionalId: o.transactionalId } : {}),
    ...(o.producerId !== undefined ? { producerId: o.producerId } : {}),
    ...(o.producerEpoch !== undefined ? { producerEpoch: o.producerEpoch } : {}),
    ...(o.partitionLeaderEpoch !== undefined ? { partitionLeaderEpoch: o.partitionLeaderEpoch } : {}),
    ...(o.firstSequence !== undefined ? { sequences: { getWithDefault: (key: string) => (key === 't:3' ? o.firstSequence : -1) } } : {}),
  } as BatchOptions;
  return { messages, options };
}

describe('@platformatic/dynamic-buffer 64-bit varints (patched)', () => {
  // 0.3.1 zig-zagged with `>> 31n` and wrote only while bits 7..31 were set: a record's timestamp delta of 2^31 ms
  // (~25 days) or more from the batch's first record was written wrong (2^31 as 0x01, i.e. -1).
  it('writes what it reads back, beyond 2^31 and 2^32, of both signs', () => {
    for (const value of [0n, -1n, 300n, 2n ** 31n - 1n, 2n ** 31n, -(2n ** 31n) - 1n, 2n ** 32n, 2n ** 40n, -(2n ** 45n), 2n ** 62n, -(2n ** 63n)]) {
      const written = Writer.create().appendVarInt64(value).buffer;
      expect(Reader.from(written).readVarInt64(), `${value}`).toBe(value);
    }
    expect(Writer.create().appendVarInt64(2n ** 31n).buffer.toString('hex')).toBe('8080808010');
  });
});

describe('@platformatic/kafka uncompressed record batches (patched: written into one Buffer)', () => {
  it('is the patched version', async () => {
    expect(await readFile(join(root, 'dist/protocol/records.js'), 'utf8')).toContain('createPlainRecordsBatch');
  });

  it('writes the same bytes as 2.12.1, whose CRC and records read back', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(messageArb, { minLength: 1, maxLength: 20 }), optionsArb, async (spec, o) => {
        const { messages, options } = build(spec, o);
        const expected = referenceBatch(messages(), options);
        const fast = createRecordsBatch(messages(), options);
        expect(fast.buffers).toHaveLength(1);
        expect(fast.buffer.equals(expected)).toBe(true);
        expect((await createRecordsBatchAsync(messages(), options)).buffer.equals(expected)).toBe(true);
        // What a reader of the batch gets back: the CRC over Attributes.. and every record.
        const read = readRecordsBatch(Reader.from(fast.buffer));
        expect(read.crc).toBe(crc32c(fast.buffer.subarray(21)));
        expect(read.records.map((r) => [r.key ?? null, r.value ?? null])).toEqual(spec.map((m) => [m.key ?? null, m.value ?? null]));
      }),
      { numRuns: 300 },
    );
  });

  it('leaves a batch it does not write itself to the library (a key that is a Uint8Array, not a Buffer)', () => {
    const messages = (): MessageRecord[] => [
      { topic: 't', partition: 0, value: Buffer.from('a'), timestamp: base },
      { topic: 't', partition: 0, value: Buffer.from('b'), headers: new Map([[Buffer.from('k'), Buffer.from('v')]]), timestamp: base + 5n },
    ];
    const { options } = build([], {});
    expect(createRecordsBatch(messages(), options).buffer.equals(referenceBatch(messages(), options))).toBe(true);
    // One message the fast path does not take sends the whole batch down the library's own path.
    const other = (): MessageRecord[] => {
      const list = messages();
      (list[0] as { key?: unknown }).key = new Uint8Array([1, 2]);
      return list;
    };
    const fallback = createRecordsBatch(other(), options);
    expect(fallback.buffers.length).toBeGreaterThan(1);
    expect(fallback.buffer.equals(referenceBatch(other(), options))).toBe(true);
  });
});

describe('@platformatic/kafka record reader (patched: each record from one Buffer)', () => {
  it('is the patched version', async () => {
    expect(await readFile(join(root, 'dist/protocol/records.js'), 'utf8')).toContain('readPlainVarInt64');
  });

  it('reads every field back, whichever socket chunks the answer came in', () => {
    fc.assert(
      fc.property(fc.array(messageArb, { minLength: 1, maxLength: 20 }), fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 40 }), (spec, cuts) => {
        const { messages, options } = build(spec, {});
        const batch = createRecordsBatch(messages(), options).buffer;
        // The answer as the connection hands it over: chunks of the sizes drawn (records and fields cut anywhere).
        const chunks: Buffer[] = [];
        for (let at = 0, i = 0; at < batch.length; i++) {
          const size = cuts[i % cuts.length] as number;
          chunks.push(batch.subarray(at, at + size));
          at += size;
        }
        const chunked = Writer.create();
        for (const chunk of chunks) chunked.append(chunk);
        for (const reader of [Reader.from(batch), new Reader(chunked.dynamicBuffer)]) {
          const read = readRecordsBatch(reader);
          const expected = messages();
          expect(read.records).toHaveLength(expected.length);
          read.records.forEach((r, i) => {
            const m = expected[i] as MessageRecord;
            // The record's length as the library's own (unpatched) varint reader reads it from the record alone.
            const written = createRecord(m, i, expected[0]?.timestamp as bigint).buffer;
            expect(r.length).toBe(Reader.from(written).readVarInt());
            expect(r.attributes).toBe(0);
            expect(r.offsetDelta).toBe(i);
            expect(r.timestampDelta).toBe((m.timestamp as bigint) - (expected[0]?.timestamp as bigint));
            expect(r.key === null ? null : Buffer.from(r.key)).toEqual(m.key ?? null);
            expect(r.value === null ? null : Buffer.from(r.value)).toEqual(m.value ?? null);
            expect(r.headers.map(([k, v]) => [Buffer.from(k as Buffer), Buffer.from(v as Buffer)])).toEqual([...(m.headers ?? new Map())]);
          });
        }
      }),
      { numRuns: 300 },
    );
  });

  it('reads records in order across batches and chunks, and again after the answer buffer changed', () => {
    const { messages, options } = build(
      Array.from({ length: 30 }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`${i}:${'v'.repeat(i * 7)}`), headers: new Map([[Buffer.from('h'), Buffer.from(`${i}`)]]), delta: i })),
      {},
    );
    const one = createRecordsBatch(messages(), options).buffer;
    const answer = Buffer.concat([one, one, one]);
    const chunked = Writer.create();
    for (let at = 0; at < answer.length; at += 97) chunked.append(answer.subarray(at, at + 97));
    const dynamic = chunked.dynamicBuffer;
    const values = (reader: Reader): string[] => readRecordsBatches(reader).flatMap((b) => b.records.map((r) => Buffer.from(r.value as Buffer).toString()));
    const expected = messages().map((m) => (m.value as Buffer).toString());
    expect(values(new Reader(dynamic))).toEqual([...expected, ...expected, ...expected]);
    // The chunk remembered from a read must not outlive a change of the buffer: read the first batch, drop 50 bytes
    // from the front (every chunk now starts 50 bytes earlier) and append 50, then read the second batch where it now is.
    const again = Writer.create();
    for (let at = 0; at < answer.length; at += 97) again.append(answer.subarray(at, at + 97));
    const changed = again.dynamicBuffer;
    const first = new Reader(changed);
    readRecordsBatch(first);
    changed.consume(50);
    changed.append(Buffer.alloc(50));
    const second = new Reader(changed);
    second.position = one.length - 50;
    expect(readRecordsBatch(second).records.map((r) => Buffer.from(r.value as Buffer).toString())).toEqual(expected);
  });
});
