import { describe, expect, it } from 'vitest';
import type { OffsetMapEntry } from '../../../src/bridge/offsetMap';
import { sourceOffsetAfterTarget, sourceOffsetThroughPeer } from '../../../src/cutover/reverseOffsets';
import { OffsetTranslationError } from '../../../src/errors';

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

describe('sourceOffsetThroughPeer', () => {
  // Bridge: source 0-9 → target 0-9 (marker at 10). Peer (reverse bridge): skipped target 0-10, then target 11-14
  // (written on the target) → source 10-13.
  const bridged = [entry([{ sourceStart: 0n, targetStart: 0n, length: 10 }])];
  const peerEntry = (runs: OffsetMapEntry['runs'], first: bigint, last: bigint): OffsetMapEntry => ({ ...entry(runs), firstSourceOffset: first, lastSourceOffset: last });
  const peer = [peerEntry([], 0n, 10n), peerEntry([{ sourceStart: 11n, targetStart: 10n, length: 4 }], 11n, 14n)];
  const at = (targetCommitted: bigint, p = peer) => sourceOffsetThroughPeer({ groupId: 'billing', bridged, peer: p, sourceTopic: 'orders', targetTopic: 'orders', partition: 0, targetCommitted });

  it('resumes after the copies of the records the group consumed on the target', () => {
    expect(at(5n)).toBe(5n);
    expect(at(11n)).toBe(10n);
    expect(at(13n)).toBe(12n);
    expect(at(15n)).toBe(14n);
  });

  it('refuses an offset the peer has not copied, naming group, topic, partition and offset', () => {
    const behind = [peerEntry([], 0n, 10n)];
    let error: unknown;
    try {
      at(13n, behind);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(OffsetTranslationError);
    expect((error as OffsetTranslationError).message).toMatch(/group billing .*orders-0 .*offset 13/);
    expect((error as OffsetTranslationError).context).toMatchObject({ group: 'billing', topic: 'orders', partition: 0, offset: '13' });
  });
});
