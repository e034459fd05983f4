import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OffsetTranslationError } from '../../../src/errors';
import {
  buildRuns,
  decodeCheckpointMetadata,
  decodeOffsetMapEntry,
  encodeCheckpointMetadata,
  encodeOffsetMapEntry,
  offsetMapKey,
  requireExactTranslation,
  translateOffset,
  type OffsetMapEntry,
  type Placement,
} from '../../../src/bridge/offsetMap';

function entry(first: bigint, last: bigint, placements: Placement[], deadLettered: bigint[] = []): OffsetMapEntry {
  return {
    bridgeId: 'b',
    sourceTopic: 'orders',
    sourcePartition: 0,
    targetTopic: 'orders',
    targetPartition: 0,
    firstSourceOffset: first,
    lastSourceOffset: last,
    runs: buildRuns(placements),
    deadLettered: deadLettered.map((offset) => ({ offset, reason: 'record-too-large' })),
    writtenAt: 0,
  };
}

const place = (pairs: Array<[number, number]>): Placement[] => pairs.map(([s, t]) => ({ sourceOffset: BigInt(s), targetOffset: BigInt(t) }));

describe('buildRuns', () => {
  it('compresses contiguous placements and breaks runs at source or target gaps', () => {
    // Prepare
    const placements = place([[0, 10], [1, 11], [2, 12], [4, 13], [5, 15]]);

    // Act
    const runs = buildRuns(placements);

    // Assess
    expect(runs).toEqual([
      { sourceStart: 0n, targetStart: 10n, length: 3 },
      { sourceStart: 4n, targetStart: 13n, length: 1 },
      { sourceStart: 5n, targetStart: 15n, length: 1 },
    ]);
  });
});

describe('offset-map entry encoding', () => {
  it('round-trips an entry with gaps and dead letters, offsets beyond 2^53 kept exact', () => {
    // Prepare
    const big = 2n ** 60n;
    const e = entry(big, big + 5n, place([[0, 0]]).map(() => ({ sourceOffset: big, targetOffset: big + 7n })), [big + 5n]);

    // Act
    const decoded = decodeOffsetMapEntry(encodeOffsetMapEntry(e));

    // Assess
    expect(decoded).toEqual(e);
    expect(offsetMapKey('b', 'orders', 0, big)).toBe(`b/orders/0/${big}`);
  });

  it('rejects a malformed entry naming the field', () => {
    // Act + Assess
    expect(() => decodeOffsetMapEntry(Buffer.from('{"v":1}'))).toThrow(OffsetTranslationError);
    expect(() => decodeOffsetMapEntry(Buffer.from('not json'))).toThrow(/not JSON/);
  });

  it('encodes checkpoint metadata compactly and tolerates foreign metadata', () => {
    expect(decodeCheckpointMetadata(encodeCheckpointMetadata(42n))).toBe(42n);
    expect(decodeCheckpointMetadata(encodeCheckpointMetadata(undefined))).toBeUndefined();
    expect(decodeCheckpointMetadata('')).toBeUndefined();
    expect(decodeCheckpointMetadata('something else')).toBeUndefined();
  });
});

describe('translateOffset', () => {
  // Source 0..4 → target 100..104 (marker at 105); source 5 is a source txn marker (gap);
  // source 6..9 → 106..109 but 8 was dead-lettered, so 6,7 → 106,107 and 9 → 108; marker at 109.
  // Next batch: source 10..11 → 110..111.
  const entries = [
    entry(0n, 4n, place([[0, 100], [1, 101], [2, 102], [3, 103], [4, 104]])),
    entry(6n, 9n, place([[6, 106], [7, 107], [9, 108]]), [8n]),
    entry(10n, 11n, place([[10, 110], [11, 111]])),
  ];

  it('lands on the next replicated record inside a run', () => {
    expect(translateOffset(entries, 'orders', 0, 3n)).toEqual({ status: 'exact', targetOffset: 103n, reason: 'next-replicated-record' });
  });

  it('skips a source gap (transaction marker) to the next replicated record', () => {
    expect(translateOffset(entries, 'orders', 0, 5n)).toMatchObject({ status: 'exact', targetOffset: 106n });
  });

  it('skips a dead-lettered record to the next replicated one', () => {
    expect(translateOffset(entries, 'orders', 0, 8n)).toMatchObject({ status: 'exact', targetOffset: 108n });
  });

  it('maps the first offset of a later batch past the target transaction marker', () => {
    expect(translateOffset(entries, 'orders', 0, 10n)).toMatchObject({ status: 'exact', targetOffset: 110n });
  });

  it('maps a fully caught-up group to the offset after the last replicated record', () => {
    expect(translateOffset(entries, 'orders', 0, 12n)).toEqual({ status: 'exact', targetOffset: 112n, reason: 'caught-up' });
  });

  it('reports offsets beyond the bridge and before the map as not exact', () => {
    expect(translateOffset(entries, 'orders', 0, 13n)).toMatchObject({ status: 'ahead-of-bridge', bridgeNextSourceOffset: 12n });
    const later = entries.slice(1);
    expect(translateOffset(later, 'orders', 0, 2n)).toMatchObject({ status: 'not-covered', firstCoveredSourceOffset: 6n });
    expect(translateOffset(entries, 'orders', 1, 2n)).toMatchObject({ status: 'unavailable' });
    expect(() => requireExactTranslation(entries, 'orders', 0, 13n)).toThrow(OffsetTranslationError);
  });

  it('is independent of entry order and always lands on the next record with source offset ≥ committed', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 3 }), dlq: fc.boolean(), batchEnd: fc.boolean() }), { minLength: 1, maxLength: 60 }),
        fc.nat({ max: 250 }),
        (steps, committedRaw) => {
          // Prepare: simulate a source stream with gaps, DLQ'd records and batches separated by target markers.
          let source = 0n;
          let target = 1000n;
          const all: Array<{ s: bigint; t: bigint | undefined }> = [];
          const built: OffsetMapEntry[] = [];
          let cur: { first: bigint; placements: Placement[]; dlq: bigint[] } | undefined;
          for (const step of steps) {
            source += BigInt(step.gap);
            cur ??= { first: source, placements: [], dlq: [] };
            if (step.dlq) {
              cur.dlq.push(source);
              all.push({ s: source, t: undefined });
            } else {
              cur.placements.push({ sourceOffset: source, targetOffset: target });
              all.push({ s: source, t: target });
              target += 1n;
            }
            if (step.batchEnd) {
              built.push(entry(cur.first, source, cur.placements, cur.dlq));
              cur = undefined;
              target += 1n; // transaction marker
            }
            source += 1n;
          }
          if (cur) built.push(entry(cur.first, source - 1n, cur.placements, cur.dlq));
          const committed = BigInt(committedRaw) % (source + 1n);

          // Act
          const result = translateOffset([...built].reverse(), 'orders', 0, committed);

          // Assess
          const nextRecord = all.find((r) => r.s >= committed && r.t !== undefined);
          const lastReplicated = [...all].reverse().find((r) => r.t !== undefined);
          if (committed < (built[0]?.firstSourceOffset ?? 0n)) expect(result.status).toBe('not-covered');
          else if (nextRecord) expect(result).toMatchObject({ status: 'exact', targetOffset: nextRecord.t });
          else if (lastReplicated) expect(result).toMatchObject({ status: 'exact', targetOffset: (lastReplicated.t as bigint) + 1n });
          else expect(result.status).toBe('unavailable');
        },
      ),
    );
  });
});

describe('repartitioned entries', () => {
  const repartitioned = (partition: number, first: bigint): OffsetMapEntry => ({
    ...entry(first, first + 3n, []),
    sourcePartition: partition,
    targetTopic: 'orders-v2',
    targetPartition: null,
    repartitioned: { targetPartitions: 3, spans: [{ partition: 2, targetStart: 40n, length: 3 }, { partition: 0, targetStart: 2n ** 60n, length: 1 }] },
  });

  it('round-trips the target partition count and spans, with no runs and no target partition', () => {
    // Prepare
    const e = repartitioned(5, 100n);

    // Act
    const decoded = decodeOffsetMapEntry(encodeOffsetMapEntry(e));

    // Assess
    expect(decoded).toEqual(e);
    expect(JSON.parse(encodeOffsetMapEntry(e).toString()).target).toEqual({
      topic: 'orders-v2',
      repartitioned: { partitions: 3, spans: [[2, '40', 3], [0, String(2n ** 60n), 1]] },
    });
  });

  it('reports translation unavailable (repartitioned) for every partition of the topic, even one without entries', () => {
    // Prepare
    const entries = [repartitioned(5, 100n), entry(0n, 3n, place([[0, 0], [1, 1], [2, 2], [3, 3]]))].map((e, i) =>
      i === 1 ? { ...e, sourceTopic: 'payments' } : e,
    );

    // Act
    const five = translateOffset(entries, 'orders', 5, 102n);
    const seven = translateOffset(entries, 'orders', 7, 0n);

    // Assess
    expect(five).toMatchObject({ status: 'unavailable', reason: 'repartitioned' });
    expect(five.status === 'unavailable' && five.detail).toBe('repartitioned by key onto the 3 partition(s) of orders-v2: a source offset has no single target offset');
    expect(seven).toMatchObject({ status: 'unavailable', reason: 'repartitioned' });
    expect(translateOffset(entries, 'payments', 0, 2n)).toMatchObject({ status: 'exact', targetOffset: 2n });
    expect(() => requireExactTranslation(entries, 'orders', 5, 102n)).toThrow(/Cannot translate orders-5@102: translation unavailable \(repartitioned/);
  });
});
