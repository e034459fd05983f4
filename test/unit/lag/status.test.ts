import { describe, expect, it } from 'vitest';
import { evaluateStatus, type GroupSample } from '../../../src/lag/status';

/** Samples one minute apart for one partition: [committed, lag] pairs. */
function series(points: [number | null, number | null][], members = 1): GroupSample[] {
  return points.map(([c, l], i) => ({
    atMs: i * 60_000,
    state: members > 0 ? 'Stable' : 'Empty',
    members,
    partitions: [{ topic: 't', partition: 0, committed: c === null ? null : String(c), lag: l === null ? null : String(l) }],
  }));
}

describe('evaluateStatus', () => {
  it('is OK when the lag reached 0 in the window', () => {
    expect(evaluateStatus(series([[10, 5], [15, 0], [15, 3]])).status).toBe('OK');
  });

  it('is STALL when members are alive but the committed offset does not move', () => {
    const result = evaluateStatus(series([[10, 5], [10, 7], [10, 9]]));
    expect(result.status).toBe('STALL');
    expect(result.partitions[0]).toMatchObject({ topic: 't', partition: 0, status: 'STALL' });
  });

  it('is STOP when the committed offset does not move and the group has no members', () => {
    expect(evaluateStatus(series([[10, 5], [10, 5], [10, 5]], 0)).status).toBe('STOP');
  });

  it('is WARN when committing but the lag grows every interval', () => {
    expect(evaluateStatus(series([[10, 5], [12, 8], [14, 8], [20, 12]])).status).toBe('WARN');
  });

  it('is OK when committing and the lag falls somewhere in the window', () => {
    expect(evaluateStatus(series([[10, 5], [12, 8], [20, 4]])).status).toBe('OK');
  });

  it('is REWIND when the committed offset goes back', () => {
    expect(evaluateStatus(series([[10, 0], [4, 6], [6, 4]])).status).toBe('REWIND');
  });

  it('is ERR when the latest sample could not be read', () => {
    const samples = series([[10, 0]]);
    samples.push({ atMs: 60_000, state: 'Unknown', members: 0, error: 'timeout', partitions: [] });
    expect(evaluateStatus(samples)).toMatchObject({ status: 'ERR', reason: expect.stringContaining('timeout') });
  });

  it('is ERR with no sample at all', () => {
    expect(evaluateStatus([]).status).toBe('ERR');
  });

  it('does not judge a stall before the window holds minSamples samples', () => {
    expect(evaluateStatus(series([[10, 5], [10, 5]]), { minSamples: 3 })).toMatchObject({ status: 'OK', complete: false });
  });

  it('reports the group status as its worst partition', () => {
    const samples = series([[10, 5], [10, 5], [10, 5]]).map((s, i) => ({
      ...s,
      partitions: [...s.partitions, { topic: 't', partition: 1, committed: String(10 + i), lag: '0' }],
    }));
    const result = evaluateStatus(samples);
    expect(result.status).toBe('STALL');
    expect(result.partitions.map((p) => p.partition)).toEqual([0]);
  });
});
