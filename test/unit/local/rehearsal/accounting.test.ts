import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeliveryLedger, encodeSequencedValue, parseSequencedValue, type ClusterSide } from '../../../../src/local/rehearsal/accounting';

const produce = (ledger: DeliveryLedger, topic: string, partition: number, seqs: number[], cluster: ClusterSide = 'source', atMs = 1000): void => {
  for (const seq of seqs) ledger.produced({ topic, partition, seq, atMs: atMs + seq, cluster });
};
const consume = (ledger: DeliveryLedger, topic: string, partition: number, seqs: number[], cluster: ClusterSide = 'source', atMs = 2000): void => {
  seqs.forEach((seq, i) => ledger.consumed({ topic, partition, seq, atMs: atMs + i, producedAtMs: 1000 + seq, cluster }));
};
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('DeliveryLedger', () => {
  it('counts nothing lost or duplicated when every acknowledged record is consumed once', () => {
    // Prepare
    const ledger = new DeliveryLedger();
    produce(ledger, 'orders', 0, range(0, 99));
    produce(ledger, 'orders', 1, range(0, 49), 'target');
    // Act
    consume(ledger, 'orders', 0, range(0, 59), 'source');
    consume(ledger, 'orders', 0, range(60, 99), 'target');
    consume(ledger, 'orders', 1, range(0, 49), 'target');
    const summary = ledger.summarize();
    // Assess
    expect(summary).toMatchObject({ produced: 150, consumed: 150, uniqueConsumed: 150, lost: 0, duplicated: 0, orderViolations: 0, unacknowledgedConsumed: 0 });
    expect(summary.producedBy).toEqual({ source: 100, target: 50 });
    expect(summary.consumedBy).toEqual({ source: 60, target: 90 });
    expect(ledger.allConsumed()).toBe(true);
  });

  it('names lost sequence numbers as ranges per partition', () => {
    // Prepare
    const ledger = new DeliveryLedger();
    produce(ledger, 'orders', 2, range(0, 9));
    // Act
    consume(ledger, 'orders', 2, [0, 1, 2, 6, 9]);
    const summary = ledger.summarize();
    // Assess
    expect(summary.lost).toBe(5);
    expect(summary.lostRanges).toEqual([
      { topic: 'orders', partition: 2, fromSeq: 3, toSeq: 5 },
      { topic: 'orders', partition: 2, fromSeq: 7, toSeq: 8 },
    ]);
    expect(ledger.allConsumed()).toBe(false);
    expect(summary.lastConsumedAtMs).toBeNull();
  });

  it('counts each extra delivery as a duplicate and tells on which clusters it was seen', () => {
    // Prepare
    const ledger = new DeliveryLedger();
    produce(ledger, 'payments', 0, range(0, 4));
    // Act: the target consumer starts one record too early, and one record is redelivered twice.
    consume(ledger, 'payments', 0, [0, 1, 2, 3], 'source');
    consume(ledger, 'payments', 0, [3, 4], 'target');
    consume(ledger, 'payments', 0, [4, 4], 'target');
    const summary = ledger.summarize();
    // Assess
    expect(summary.lost).toBe(0);
    expect(summary.duplicated).toBe(3);
    expect(summary.uniqueConsumed).toBe(5);
    expect(summary.duplicates).toEqual([
      { topic: 'payments', partition: 0, seq: 3, times: 2, clusters: ['source', 'target'] },
      { topic: 'payments', partition: 0, seq: 4, times: 3, clusters: ['target', 'target', 'target'] },
    ]);
  });

  it('counts a record consumed after a higher sequence number of its partition as out of order', () => {
    // Prepare
    const ledger = new DeliveryLedger();
    produce(ledger, 't', 0, range(0, 3));
    produce(ledger, 't', 1, range(0, 1));
    // Act: partitions interleave freely; only within a partition does order count.
    consume(ledger, 't', 0, [0, 2]);
    consume(ledger, 't', 1, [0, 1]);
    consume(ledger, 't', 0, [1, 3]);
    // Assess
    expect(ledger.summarize().orderViolations).toBe(1);
  });

  it('keeps records consumed but never acknowledged apart from losses', () => {
    // Prepare
    const ledger = new DeliveryLedger();
    produce(ledger, 't', 0, [0, 1]);
    // Act: seq 2 landed although its send reported an error.
    consume(ledger, 't', 0, [0, 1, 2]);
    const summary = ledger.summarize();
    // Assess
    expect(summary.unacknowledgedConsumed).toBe(1);
    expect(summary.lost).toBe(0);
  });

  it('measures the longest pause between acknowledged writes and between consumed records', () => {
    // Prepare
    const ledger = new DeliveryLedger();
    // Act
    for (const [seq, atMs] of [[0, 100], [1, 200], [2, 2700], [3, 2800]] as const) ledger.produced({ topic: 't', partition: 0, seq, atMs, cluster: seq < 2 ? 'source' : 'target' });
    for (const [seq, atMs] of [[0, 150], [1, 260], [2, 4260], [3, 4300]] as const) ledger.consumed({ topic: 't', partition: 0, seq, atMs, producedAtMs: 100, cluster: 'source' });
    const summary = ledger.summarize();
    // Assess
    expect(summary.writeGap).toEqual({ ms: 2500, fromMs: 200, toMs: 2700 });
    expect(summary.readGap).toEqual({ ms: 4000, fromMs: 260, toMs: 4260 });
    expect(summary.maxEndToEndMs).toBe(4200);
    expect(summary.lastConsumedAtMs).toBe(4300);
  });

  it('rejects a sequence number that is not a whole number ≥ 0', () => {
    // Prepare
    const ledger = new DeliveryLedger();
    // Act + Assess
    expect(() => ledger.produced({ topic: 't', partition: 0, seq: -1, atMs: 0, cluster: 'source' })).toThrow(RangeError);
    expect(() => ledger.consumed({ topic: 't', partition: 0, seq: 1.5, atMs: 0, producedAtMs: 0, cluster: 'source' })).toThrow(/sequence number/);
  });

  it('agrees with a plain count for any interleaving of deliveries', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.array(fc.integer({ min: 0, max: 320 }), { maxLength: 600 }),
        (produced, deliveries) => {
          // Prepare
          const ledger = new DeliveryLedger();
          produce(ledger, 't', 0, range(0, produced - 1));
          // Act
          for (const seq of deliveries) ledger.consumed({ topic: 't', partition: 0, seq, atMs: 0, producedAtMs: 0, cluster: 'target' });
          const summary = ledger.summarize();
          // Assess
          const seen = new Map<number, number>();
          for (const seq of deliveries) seen.set(seq, (seen.get(seq) ?? 0) + 1);
          const lost = range(0, produced - 1).filter((s) => !seen.has(s)).length;
          const duplicated = [...seen.values()].reduce((n, times) => n + Math.min(times, 255) - 1, 0);
          expect(summary.lost).toBe(lost);
          expect(summary.duplicated).toBe(duplicated);
          expect(summary.uniqueConsumed).toBe(seen.size);
          expect(summary.unacknowledgedConsumed).toBe([...seen.keys()].filter((s) => s >= produced).length);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('sequenced record values', () => {
  it('round-trip through the JSON value the producer writes', () => {
    // Act
    const value = parseSequencedValue(encodeSequencedValue({ runId: 'reh-1', seq: 42, producedAtMs: 1700000000000, cluster: 'target' }));
    // Assess
    expect(value).toEqual({ runId: 'reh-1', seq: 42, producedAtMs: 1700000000000, cluster: 'target' });
  });

  it('refuse a value that is not a rehearsal record, saying what was expected', () => {
    // Act + Assess
    expect(() => parseSequencedValue(null)).toThrow(/expected a rehearsal record value .* null/);
    expect(() => parseSequencedValue(Buffer.from('not json'))).toThrow(/not JSON/);
    expect(() => parseSequencedValue(Buffer.from('{"seq":"1"}'))).toThrow(/expected a rehearsal record value \{runId, seq, producedAt, cluster\}; got \{"seq":"1"\}/);
  });
});
