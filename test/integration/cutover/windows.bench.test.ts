import { afterEach, describe, expect, it } from 'vitest';
import { runCutoverLocally } from '../../../src/cutover/localRun';
import { waitFor } from '../../support/helpers';
import { checkExactlyOnceInOrder, CutoverRig, settle } from './support';

/**
 * Benchmark, not part of the suite (it takes minutes): write- and read-unavailability windows of a local
 * cutover at a steady load, median of N runs per pattern, every run checked exactly-once first.
 *
 *   KBRIDGE_BENCH_CUTOVER=3 npx vitest run test/integration/cutover/windows.bench.test.ts
 */
const runs = Number(process.env.KBRIDGE_BENCH_CUTOVER ?? '0');
const RATE = 40;

const rigs: CutoverRig[] = [];
afterEach(async () => {
  while (rigs.length > 0) await rigs.pop()?.close();
});

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

describe.runIf(runs > 0)('cutover unavailability windows (benchmark)', () => {
  it.each(['stop-drain-switch', 'consumers-first'] as const)('%s: median of the runs', async (pattern) => {
    const rows: Array<{ durationMs: number; writeUnavailableMs: number; readGapMs: number; produced: number }> = [];
    for (let i = 0; i < runs; i++) {
      // Prepare
      const rig = await CutoverRig.create({ pattern });
      rigs.push(rig);
      rig.startProducer(RATE);
      await waitFor('records flowing on the source', () => rig.consumed.length > 20 && rig.totalProduced() > 40, { timeoutMs: 30_000 });

      // Act
      const result = await runCutoverLocally({ deps: rig.deps, pollMs: 300 });
      await settle(rig);

      // Assess
      expect(result.error ? `${result.error}: ${result.cause}` : result.status).toBe('SUCCEEDED');
      expect(checkExactlyOnceInOrder(rig)).toEqual([]);
      rows.push({ durationMs: result.durationMs, ...rig.windows() });
      await rigs.pop()?.close();
    }
    const summary = {
      benchmark: 'cutover-windows',
      pattern,
      ratePerSec: RATE,
      runs: rows,
      median: { durationMs: median(rows.map((r) => r.durationMs)), writeUnavailableMs: median(rows.map((r) => r.writeUnavailableMs)), readGapMs: median(rows.map((r) => r.readGapMs)) },
    };
    console.log(JSON.stringify(summary));
  }, 600_000);
});
