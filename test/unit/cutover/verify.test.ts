import { describe, expect, it } from 'vitest';
import { targetLagReasons, type VerifyProbe } from '../../../src/cutover/steps/verify';

const probes = (lags: Array<bigint | null>, members = 1): VerifyProbe[] =>
  lags.map((lag, i) => ({ atMs: i * 1000, newTargetRecords: 10n, groups: { app: { members, lag } } }));

describe('targetLagReasons (verify: target lag falling)', () => {
  it('accepts a lag at 0 in the newest probe', () => {
    expect(targetLagReasons(probes([7n, 9n, 0n]))).toEqual([]);
    expect(targetLagReasons(probes([0n]))).toEqual([]);
  });

  it('accepts a lag that falls across the window', () => {
    expect(targetLagReasons(probes([12n, 5n, 2n]))).toEqual([]);
    expect(targetLagReasons(probes([12n, 12n, 4n]))).toEqual([]);
  });

  it('rejects a steady non-zero lag: the group may be stuck', () => {
    expect(targetLagReasons(probes([15n, 15n, 15n]))).toEqual(['target group app lag not falling (15 → 15 → 15)']);
  });

  it('rejects a lag that rose in between, even if it ends lower', () => {
    expect(targetLagReasons(probes([10n, 30n, 8n]))).toEqual(['target group app lag not falling (10 → 30 → 8)']);
  });

  it('rejects a single non-zero probe, an unknown lag and a group without members', () => {
    expect(targetLagReasons(probes([3n]))).toEqual(['target group app lag not falling (3)']);
    expect(targetLagReasons(probes([5n, null]))).toEqual(['target group app lag unknown']);
    expect(targetLagReasons(probes([5n, 0n], 0))).toEqual(['target group app has no members']);
  });
});
