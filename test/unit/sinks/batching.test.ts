import { describe, expect, it } from 'vitest';
import { chunkEntries, classifyAwsError, sendWithRetry } from '../../../src/sinks/batching';
import type { Entry, EntryOutcome } from '../../../src/sinks/types';
import { makeRecord } from './support';

const entry = (bytes: number, conflictKey?: string): Entry<number> => ({
  records: [makeRecord()],
  payload: bytes,
  bytes,
  ...(conflictKey ? { conflictKey } : {}),
});

describe('chunkEntries', () => {
  it('respects the count limit', () => {
    const chunks = chunkEntries(Array.from({ length: 23 }, () => entry(1)), { maxEntries: 10, maxRequestBytes: 1000, maxEntryBytes: 1000 });
    expect(chunks.map((c) => c.length)).toEqual([10, 10, 3]);
  });

  it('respects the byte limit and keeps order', () => {
    const sizes = [400, 400, 300, 100, 900, 50];
    const chunks = chunkEntries(sizes.map((s) => entry(s)), { maxEntries: 10, maxRequestBytes: 1000, maxEntryBytes: 1000 });
    expect(chunks.map((c) => c.map((e) => e.payload))).toEqual([[400, 400], [300, 100], [900, 50]]);
  });

  it('never puts two entries with the same conflict key in one request', () => {
    const chunks = chunkEntries([entry(1, 'a'), entry(2, 'b'), entry(3, 'a'), entry(4, 'c')], { maxEntries: 25, maxRequestBytes: 100, maxEntryBytes: 100 });
    expect(chunks.map((c) => c.map((e) => e.payload))).toEqual([[1, 2], [3, 4]]);
  });

  it('refuses an entry over the limit (it must be dead-lettered first)', () => {
    expect(() => chunkEntries([entry(11)], { maxEntries: 1, maxRequestBytes: 10, maxEntryBytes: 10 })).toThrow(RangeError);
  });
});

describe('sendWithRetry', () => {
  it('retries only the entries that failed retriably, with growing backoff, until they succeed', async () => {
    // Prepare
    const sent: number[][] = [];
    const delays: number[] = [];
    const failuresLeft = new Map([[2, 2], [3, 1]]);
    const send = async (entries: Entry<number>[]): Promise<EntryOutcome[]> => {
      sent.push(entries.map((e) => e.payload));
      return entries.map((e) => {
        const left = failuresLeft.get(e.payload) ?? 0;
        failuresLeft.set(e.payload, left - 1);
        return left > 0 ? { ok: false, retriable: true, reason: 'Throttled' } : { ok: true };
      });
    };
    // Act
    const outcomes = await sendWithRetry([entry(1), entry(2), entry(3)], send, {
      maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1000, sleep: async (ms) => void delays.push(ms), random: () => 0.999,
    });
    // Assess
    expect(outcomes).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(sent).toEqual([[1, 2, 3], [2, 3], [2]]);
    expect(delays).toEqual([99, 199]);
  });

  it('gives up after maxAttempts and does not retry non-retriable failures', async () => {
    let calls = 0;
    const send = async (entries: Entry<number>[]): Promise<EntryOutcome[]> => {
      calls += 1;
      return entries.map((e) => (e.payload === 1 ? { ok: false, retriable: false, reason: 'InvalidParameter' } : { ok: false, retriable: true, reason: 'InternalFailure' }));
    };
    const outcomes = await sendWithRetry([entry(1), entry(2)], send, { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1, sleep: async () => undefined });
    expect(calls).toBe(3);
    expect(outcomes).toEqual([
      { ok: false, retriable: false, reason: 'InvalidParameter' },
      { ok: false, retriable: true, reason: 'InternalFailure (gave up after 3 attempts)' },
    ]);
  });

  it('fails every entry of a request that throws, with the error classified', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
    const outcomes = await sendWithRetry([entry(1), entry(2)], async () => { throw throttled; }, { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 });
    expect(outcomes).toEqual([
      { ok: false, retriable: true, reason: 'ThrottlingException: Rate exceeded (gave up after 1 attempts)' },
      { ok: false, retriable: true, reason: 'ThrottlingException: Rate exceeded (gave up after 1 attempts)' },
    ]);
  });
});

describe('classifyAwsError', () => {
  it('treats client faults as permanent and server faults, throttles and network errors as retriable', () => {
    const clientFault = Object.assign(new Error('bad'), { name: 'ValidationException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
    const serverFault = Object.assign(new Error('oops'), { name: 'InternalFailure', $fault: 'server', $metadata: { httpStatusCode: 500 } });
    const network = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(classifyAwsError(clientFault).retriable).toBe(false);
    expect(classifyAwsError(serverFault).retriable).toBe(true);
    expect(classifyAwsError(network).retriable).toBe(true);
    expect(classifyAwsError(new TypeError('x is undefined')).retriable).toBe(false);
  });
});
