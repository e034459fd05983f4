import { describe, expect, it } from 'vitest';
import type { OffsetMapEntry } from '../../../src/bridge/offsetMap';
import { sourceOffsetAfterTarget } from '../../../src/cutover/reverseOffsets';

const entry = (runs: OffsetMapEntry['runs'], partition = 0): OffsetMapEntry => ({
  bridgeId: 'b',
  sourceTopic: 'orders',
  sourcePartition: partition,
  targetTopic: 'orders',
  targetPartition: partition,
  firstSourceOffset: runs[0]?.sourceStart ?? 0n,
  lastSourceOffset: (runs.at(-1)?.sourceStart ?? 0n) + BigInt((runs.at(-1)?.length ?? 1) - 1),
  runs,
  deadLettered: [],
  writtenAt: 0,
});

describe('sourceOffsetAfterTarget', () => {
  // Two bridge transactions: source 0-9 → target 100-109 (marker at 110), source 10-14 → target 111-115.
  const entries = [entry([{ sourceStart: 0n, targetStart: 100n, length: 10 }]), entry([{ sourceStart: 10n, targetStart: 111n, length: 5 }])];

  it('resumes the source right after the last replicated record the target group consumed', () => {
    expect(sourceOffsetAfterTarget(entries, 'orders', 0, 104n)).toBe(4n);
    expect(sourceOffsetAfterTarget(entries, 'orders', 0, 113n)).toBe(12n);
  });

  it('skips the transaction marker between batches', () => {
    expect(sourceOffsetAfterTarget(entries, 'orders', 0, 110n)).toBe(10n);
    expect(sourceOffsetAfterTarget(entries, 'orders', 0, 111n)).toBe(10n);
  });

  it('treats target offsets past the map (direct writes on the target) as after the last replicated record', () => {
    expect(sourceOffsetAfterTarget(entries, 'orders', 0, 130n)).toBe(15n);
  });

  it('answers undefined when no replicated record was consumed, or for another partition', () => {
    expect(sourceOffsetAfterTarget(entries, 'orders', 0, 100n)).toBeUndefined();
    expect(sourceOffsetAfterTarget(entries, 'orders', 1, 105n)).toBeUndefined();
  });
});
