import { describe, expect, it } from 'vitest';
import type { SourceRecord } from '../../../src/event/types';
import { ORIGIN_HEADER, isLoopedBack, originOf, splitLoopedBack, withOriginHeader } from '../../../src/bridge/origin';
import { PROVENANCE_HEADER_PREFIX } from '../../../src/bridge/records';

const record = (offset: bigint, origin?: string): SourceRecord => ({
  topic: 'orders',
  partition: 0,
  offset,
  timestamp: 1_700_000_000_000,
  timestampType: 'CREATE_TIME',
  key: null,
  value: Buffer.from(`v${offset}`),
  headers: [{ key: 'trace', value: Buffer.from('t') }, ...(origin === undefined ? [] : [{ key: ORIGIN_HEADER, value: Buffer.from(origin) }])],
});

const forward = { sourceCluster: 'onprem', targetCluster: 'msk' };
const reverse = { sourceCluster: 'msk', targetCluster: 'onprem' };

describe('origin header', () => {
  it('is a provenance header, so verification ignores it', () => {
    expect(ORIGIN_HEADER.startsWith(PROVENANCE_HEADER_PREFIX)).toBe(true);
  });

  it('reads the origin of a record, or nothing when it has none', () => {
    expect(originOf(record(0n, 'onprem'))).toBe('onprem');
    expect(originOf(record(0n))).toBeUndefined();
  });

  it('adds the source cluster as origin to a record without one, after its own headers', () => {
    const headers = withOriginHeader(record(0n).headers, 'onprem');
    expect(headers.map((h) => h.key)).toEqual(['trace', ORIGIN_HEADER]);
    expect(Buffer.from(headers[1]?.value ?? []).toString()).toBe('onprem');
  });

  it('keeps an existing origin (the cluster the record was first produced on)', () => {
    const headers = withOriginHeader(record(0n, 'dc-west').headers, 'onprem');
    expect(headers.filter((h) => h.key === ORIGIN_HEADER).map((h) => Buffer.from(h.value).toString())).toEqual(['dc-west']);
  });
});

describe('loop rule', () => {
  it('the reverse bridge skips what the forward bridge wrote, and the forward bridge what the reverse bridge wrote', () => {
    const forwardWritten = { headers: withOriginHeader([], forward.sourceCluster) };
    const reverseWritten = { headers: withOriginHeader([], reverse.sourceCluster) };
    expect(isLoopedBack(forwardWritten, reverse)).toBe(true);
    expect(isLoopedBack(reverseWritten, forward)).toBe(true);
    expect(isLoopedBack(forwardWritten, forward)).toBe(false);
    expect(isLoopedBack(reverseWritten, reverse)).toBe(false);
  });

  it('replicates records without an origin and records from a third cluster', () => {
    expect(isLoopedBack(record(0n), reverse)).toBe(false);
    expect(isLoopedBack(record(0n, 'dc-west'), reverse)).toBe(false);
  });

  it('splits a batch keeping the order of both parts', () => {
    const batch = [record(0n), record(1n, 'onprem'), record(2n), record(3n, 'onprem'), record(4n, 'dc-west')];
    const { replicate, loopedBack } = splitLoopedBack(batch, reverse);
    expect(replicate.map((r) => r.offset)).toEqual([0n, 2n, 4n]);
    expect(loopedBack.map((r) => r.offset)).toEqual([1n, 3n]);
  });
});
