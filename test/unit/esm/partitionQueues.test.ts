import { describe, expect, it } from 'vitest';
import { estimateRecordSize } from '../../../src/event/codec';
import type { SourceRecord } from '../../../src/event/types';
import { commitFrontier, enqueueFetched, newPartitionState, partitionsToResume, planBatch, queueFullness, RecordQueue, settleBatch, type BatchLimits, type PartitionState } from '../../../src/local/esm/partitionQueues';

function rec(partition: number, offset: number, valueBytes = 10): SourceRecord {
  return { topic: 'orders', partition, offset: BigInt(offset), timestamp: 1_700_000_000_000, timestampType: 'CREATE_TIME', key: null, value: new Uint8Array(valueBytes), headers: [] };
}

function limits(overrides: Partial<BatchLimits> = {}): BatchLimits {
  return { batchSize: 100, maxPayloadBytes: 6 * 1024 * 1024, batchingWindowMs: 500, envelope: { eventSource: 'SelfManagedKafka', bootstrapServers: ['b:9092'] }, ...overrides };
}

const keepAll = (): boolean => true;
const retry = { maximumRetryAttempts: -1, backoffMs: (n: number) => 100 * n, now: 1000 };

describe('enqueueFetched', () => {
  it('drops records below the fetch frontier and filtered records, but advances the frontier', () => {
    // Prepare
    const s = newPartitionState('orders', 0);
    enqueueFetched(s, [rec(0, 0), rec(0, 1)], 1n, undefined, 0);

    // Act
    const added = enqueueFetched(s, [rec(0, 0), rec(0, 1), rec(0, 2), rec(0, 3)], 4n, (r) => r.offset !== 3n, 0);

    // Assess
    expect(added).toBe(1);
    expect(s.queue.snapshot().records.map((r) => r.offset)).toEqual([0n, 1n, 2n]);
    expect(s.fetchedUpTo).toBe(5n);
  });
});

describe('planBatch', () => {
  it('waits for the batching window while fewer than batchSize records are queued', () => {
    // Prepare
    const s = newPartitionState('orders', 0);
    enqueueFetched(s, [rec(0, 0)], 0n, keepAll, 1000);

    // Act
    const early = planBatch([s], limits(), 1200);
    const due = planBatch([s], limits(), 1500);

    // Assess
    expect(early).toEqual({ kind: 'wait', untilMs: 1500 });
    expect(due.kind).toBe('batch');
  });

  it('takes at most batchSize records, partitions in turn, each in offset order, and marks them in flight', () => {
    // Prepare
    const p0 = newPartitionState('orders', 0);
    const p1 = newPartitionState('orders', 1);
    enqueueFetched(p0, [rec(0, 5), rec(0, 6), rec(0, 7)], 7n, keepAll, 0);
    enqueueFetched(p1, [rec(1, 0), rec(1, 1)], 1n, keepAll, 0);

    // Act
    const plan = planBatch([p0, p1], limits({ batchSize: 4 }), 0, 1);

    // Assess
    if (plan.kind !== 'batch') throw new Error('expected a batch');
    expect(plan.parts.map((p) => [p.state.key, p.records.map((r) => r.offset)])).toEqual([
      ['orders-1', [0n, 1n]],
      ['orders-0', [5n, 6n]],
    ]);
    expect(p0.queue.snapshot().records.map((r) => r.offset)).toEqual([7n]);
    expect(p0.inFlight && p1.inFlight).toBe(true);
    expect(planBatch([p0, p1], limits({ batchSize: 4, batchingWindowMs: 0 }), 0)).toEqual({ kind: 'wait', untilMs: undefined });
  });

  it('keeps the event under the 6 MB payload limit, but delivers a single oversized record alone', () => {
    // Prepare
    const s = newPartitionState('orders', 0);
    enqueueFetched(s, [rec(0, 0, 2_000_000), rec(0, 1, 2_000_000), rec(0, 2, 2_000_000), rec(0, 3, 10)], 3n, keepAll, 0);
    const big = newPartitionState('orders', 1);
    enqueueFetched(big, [rec(1, 0, 7_000_000)], 0n, keepAll, 0);

    // Act
    const first = planBatch([s], limits(), 0);
    const alone = planBatch([big], limits(), 0);

    // Assess
    if (first.kind !== 'batch' || alone.kind !== 'batch') throw new Error('expected batches');
    expect(first.parts[0]?.records.map((r) => r.offset)).toEqual([0n, 1n]);
    expect(first.bytes).toBeLessThanOrEqual(6 * 1024 * 1024);
    expect(alone.parts[0]?.records).toHaveLength(1);
  });

  it('holds back a partition during its retry backoff and lets the others through', () => {
    // Prepare
    const p0 = newPartitionState('orders', 0);
    const p1 = newPartitionState('orders', 1);
    enqueueFetched(p0, [rec(0, 0)], 0n, keepAll, 0);
    enqueueFetched(p1, [rec(1, 0)], 0n, keepAll, 0);
    p0.notBefore = 5000;

    // Act
    const plan = planBatch([p0, p1], limits({ batchingWindowMs: 0 }), 1000);

    // Assess
    if (plan.kind !== 'batch') throw new Error('expected a batch');
    expect(plan.parts.map((p) => p.state.key)).toEqual(['orders-1']);
    expect(planBatch([p0, p1], limits({ batchingWindowMs: 0 }), 1000)).toEqual({ kind: 'wait', untilMs: 5000 });
  });
});

function takeBatch(states: ReturnType<typeof newPartitionState>[]) {
  const plan = planBatch(states, limits({ batchingWindowMs: 0 }), 0);
  if (plan.kind !== 'batch') throw new Error('expected a batch');
  return plan.parts;
}

describe('settleBatch', () => {
  it('commits everything fetched after a success', () => {
    // Prepare
    const s = newPartitionState('orders', 0);
    enqueueFetched(s, [rec(0, 0), rec(0, 1)], 2n, keepAll, 0);
    const parts = takeBatch([s]);

    // Act
    const [settled] = settleBatch(parts, { kind: 'success' }, retry);

    // Assess
    expect(settled?.commit).toBe(3n);
    expect(s.queue).toHaveLength(0);
    expect(s.inFlight).toBe(false);
  });

  it('gives the whole batch back after an error, commits nothing new and backs off', () => {
    // Prepare
    const s = newPartitionState('orders', 0);
    s.committed = 0n;
    enqueueFetched(s, [rec(0, 0), rec(0, 1)], 1n, keepAll, 0);
    const parts = takeBatch([s]);

    // Act
    const [settled] = settleBatch(parts, { kind: 'error', error: new Error('boom') }, retry);

    // Assess
    expect(settled?.commit).toBeUndefined();
    expect(settled?.requeued).toBe(2);
    expect(s.queue.snapshot().records.map((r) => r.offset)).toEqual([0n, 1n]);
    expect(s.notBefore).toBe(1100);
  });

  it('commits up to the lowest failed offset of a partial response and redelivers from it', () => {
    // Prepare
    const p0 = newPartitionState('orders', 0);
    const p1 = newPartitionState('orders', 1);
    enqueueFetched(p0, [rec(0, 10), rec(0, 11), rec(0, 12), rec(0, 13)], 13n, keepAll, 0);
    enqueueFetched(p1, [rec(1, 0)], 0n, keepAll, 0);
    const parts = takeBatch([p0, p1]);

    // Act
    const settled = settleBatch(parts, { kind: 'partial', failedFrom: new Map([['orders-0', 12n]]) }, retry);

    // Assess
    expect(settled.map((s) => [s.state.key, s.commit])).toEqual([
      ['orders-0', 12n],
      ['orders-1', 1n],
    ]);
    expect(p0.queue.snapshot().records.map((r) => r.offset)).toEqual([12n, 13n]);
    expect(p0.failures).toBe(1);
  });

  it('discards the failed records after maximumRetryAttempts retries and moves on', () => {
    // Prepare
    const s = newPartitionState('orders', 0);
    enqueueFetched(s, [rec(0, 0), rec(0, 1)], 1n, keepAll, 0);
    const options = { ...retry, maximumRetryAttempts: 1 };

    // Act
    const first = settleBatch(takeBatch([s]), { kind: 'error', error: new Error('boom') }, options);
    s.notBefore = 0;
    const second = settleBatch(takeBatch([s]), { kind: 'error', error: new Error('boom') }, options);

    // Assess
    expect(first[0]?.discarded).toHaveLength(0);
    expect(second[0]?.discarded.map((r) => r.offset)).toEqual([0n, 1n]);
    expect(second[0]?.commit).toBe(2n);
    expect(s.queue).toHaveLength(0);
  });
});

describe('commitFrontier', () => {
  it('moves forward over filtered records but never past a queued one or while in flight', () => {
    // Prepare
    const s = newPartitionState('orders', 0);
    enqueueFetched(s, [rec(0, 0), rec(0, 1), rec(0, 2)], 2n, (r) => r.offset === 1n, 0);

    // Act
    const beforeDelivery = commitFrontier(s);
    s.inFlight = true;
    const inFlight = commitFrontier(s);

    // Assess
    expect(beforeDelivery).toBe(1n);
    expect(inFlight).toBeUndefined();
  });
});

describe('queued bytes', () => {
  it("tracks each queued record's size and arrival, and their sum, through enqueue, take and redelivery", () => {
    // Prepare
    const s = newPartitionState('orders', 0);
    const snapshot = (): { bytes: number; sum: number; sizes: number[]; arrivals: number[] } => {
      const { sizes, arrivals } = s.queue.snapshot();
      return { bytes: s.queue.bytes, sum: sizes.reduce((n, size) => n + size, 0), sizes, arrivals };
    };
    const records = [rec(0, 0, 10), rec(0, 1, 100), rec(0, 2, 1000)];
    const size = records.map((r) => estimateRecordSize(r)) as [number, number, number];
    enqueueFetched(s, records, 2n, keepAll, 5);
    const afterEnqueue = snapshot();

    // Act
    const plan = planBatch([s], limits({ batchSize: 2 }), 5);
    const afterTake = snapshot();
    settleBatch(plan.kind === 'batch' ? plan.parts : [], { kind: 'partial', failedFrom: new Map([['orders-0', 1n]]) }, retry);
    const afterRequeue = snapshot();

    // Assess
    expect(afterEnqueue).toEqual({ bytes: size[0] + size[1] + size[2], sum: size[0] + size[1] + size[2], sizes: size, arrivals: [5, 5, 5] });
    expect(afterTake).toEqual({ bytes: size[2], sum: size[2], sizes: [size[2]], arrivals: [5] });
    // The record given back goes first, with no arrival time (its batching window is over).
    expect(afterRequeue).toEqual({ bytes: size[1] + size[2], sum: size[1] + size[2], sizes: [size[1], size[2]], arrivals: [0, 5] });
    expect(s.queue.snapshot().records.map((r) => r.offset)).toEqual([1n, 2n]);
  });
});

describe('RecordQueue', () => {
  it('keeps order, sizes, arrivals and bytes through takes past its compaction, and records given back go first', () => {
    // Prepare
    const q = new RecordQueue();
    for (let i = 0; i < 3000; i++) q.push(rec(0, i), i + 1, 10_000 + i);
    const taken: bigint[] = [];

    // Act
    for (let n = 0; n < 25; n++) {
      const bytes = Array.from({ length: 100 }, (_, i) => q.sizeAt(i)).reduce((a, b) => a + b, 0);
      taken.push(...q.take(100, bytes).map((r) => r.offset));
    }
    const afterTakes = { length: q.length, first: q.at(0)?.offset, size: q.sizeAt(0), arrival: q.arrivalAt(0), bytes: q.bytes };
    q.unshift([rec(0, 2498), rec(0, 2499)], [2499, 2500]);
    const given = q.snapshot();

    // Assess
    expect(taken).toEqual(Array.from({ length: 2500 }, (_, i) => BigInt(i)));
    // Sizes 2501..3000 are left.
    expect(afterTakes).toEqual({ length: 500, first: 2500n, size: 2501, arrival: 12_500, bytes: ((2501 + 3000) * 500) / 2 });
    expect(given.records.map((r) => r.offset)).toEqual(Array.from({ length: 502 }, (_, i) => BigInt(2498 + i)));
    expect(given.sizes.slice(0, 3)).toEqual([2499, 2500, 2501]);
    expect(given.arrivals.slice(0, 3)).toEqual([0, 0, 12_500]);
    expect(q.bytes).toBe(((2499 + 3000) * 502) / 2);
  });

  it('is empty, with nothing held, once everything is taken, and fills again from there', () => {
    // Prepare
    const q = new RecordQueue();
    q.push(rec(0, 0), 5, 1);
    q.push(rec(0, 1), 6, 1);

    // Act
    const taken = q.take(2, 11);
    q.push(rec(0, 2), 7, 2);

    // Assess
    expect(taken.map((r) => r.offset)).toEqual([0n, 1n]);
    expect(q.snapshot()).toEqual({ records: [rec(0, 2)], sizes: [7], arrivals: [2] });
    expect(q.bytes).toBe(7);
  });
});

describe('partitionsToResume', () => {
  function queued(partition: number, count: number): PartitionState {
    const s = newPartitionState('orders', partition);
    enqueueFetched(s, Array.from({ length: count }, (_, i) => rec(partition, i)), BigInt(count - 1), keepAll, 0);
    return s;
  }

  it('resumes nothing until a paused partition of the batch drained below half the limit, then every paused one below the limit', () => {
    // Prepare
    const p0 = queued(0, 49);
    const p1 = queued(1, 99);
    const p2 = queued(2, 100);
    const p3 = queued(3, 50);

    // Act
    const limit = { records: 100, bytes: 1e9 };
    const notYet = partitionsToResume([p3], new Set([p0, p1, p2, p3]), limit);
    const notPaused = partitionsToResume([p0], new Set([p1, p2, p3]), limit);
    const now = partitionsToResume([p0, p3], new Set([p0, p1, p2, p3]), limit);

    // Assess
    expect(notYet).toEqual([]);
    expect(notPaused).toEqual([]);
    expect(now.map((s) => s.key)).toEqual(['orders-0', 'orders-1', 'orders-3']);
  });

  it('counts bytes as well as records: a queue is full at either bound', () => {
    // Prepare
    const p0 = queued(0, 10);
    const p1 = queued(1, 10);
    const bytes = p0.queue.bytes;

    // Act
    const byRecords = queueFullness(p0, { records: 10, bytes: 100 * bytes });
    const byBytes = queueFullness(p0, { records: 1000, bytes });
    const resumed = partitionsToResume([p0], new Set([p0, p1]), { records: 1000, bytes: 2 * bytes + 1 });
    const notResumed = partitionsToResume([p0], new Set([p0, p1]), { records: 1000, bytes: 2 * bytes });

    // Assess
    expect(byRecords).toBe(1);
    expect(byBytes).toBe(1);
    expect(resumed.map((s) => s.key)).toEqual(['orders-0', 'orders-1']);
    expect(notResumed).toEqual([]);
  });
});
