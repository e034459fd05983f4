import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CutoverSteps } from '../../src/cutover/plan';
import type { RehearsalReport } from '../../src/local/rehearsal/report';
import { runKbridge, type KbridgeResult } from '../support/cli';

/**
 * Issue 14: `kbridge rehearse --failback` as a user runs it — forward cutover with the reverse bridge, a dwell on
 * the target, the failback through the same state machine, the load on the source again; and a failure injected
 * at a failback step, rolled back with nothing lost. Small rate and short dwell: about a minute per run.
 */

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

interface ResultLine {
  type: string;
  ok: boolean;
  failures: string[];
  counts: RehearsalReport['counts'];
  availability: RehearsalReport['availability'];
  cutover: { status: string };
  failback?: { status: string };
}

describe('kbridge rehearse --failback (as a user runs it)', () => {
  let dir: string;
  let outDir: string;
  let result: KbridgeResult;
  let lines: Array<Record<string, unknown>>;

  beforeAll(async () => {
    // Prepare
    dir = await mkdtemp(join(tmpdir(), 'kbridge-rehearse-failback-'));
    outDir = join(dir, 'report');
    // Act
    result = await runKbridge(['rehearse', '--failback', '--dwell', '5', '--duration', '15', '--rate', '100', '--topics', '2', '--partitions', '2', '--json', '--out', outDir], { timeoutMs: 230_000 });
    lines = jsonLines(result.stdout);
  }, 240_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 0 with nothing lost, duplicated or reordered over both moves, counted from the acknowledged writes', () => {
    // Assess
    const final = lines[lines.length - 1] as unknown as ResultLine;
    expect(final.type, result.stderr.slice(-2000)).toBe('result');
    expect(final.failures).toEqual([]);
    expect(final.ok).toBe(true);
    expect(result.code).toBe(0);
    expect(final.cutover.status).toBe('succeeded');
    expect(final.failback?.status).toBe('succeeded');
    const c = final.counts;
    expect(c).toMatchObject({ lost: 0, duplicated: 0, orderViolations: 0, unacknowledgedConsumed: 0, replicatedDuplicates: 0, replicationMissing: 0, reverseReplicatedDuplicates: 0, reverseReplicationMissing: 0 });
    expect(c.producedOnSource).toBeGreaterThan(0);
    expect(c.producedOnTarget).toBeGreaterThan(0);
    expect(c.uniqueConsumed).toBe(c.produced);
    // Every record was consumed on the cluster it was written to: before the cutover and after the failback on the
    // source, in between on the target.
    expect(c.consumedOnSource).toBe(c.producedOnSource);
    expect(c.consumedOnTarget).toBe(c.producedOnTarget);
    // Each bridge copied the other cluster's writes exactly once.
    expect(c.replicated).toBe(c.producedOnSource);
    expect(c.reverseReplicated).toBe(c.producedOnTarget);
  });

  it('prints both moves as they happen: phases, and steps labelled forward and failback', () => {
    // Assess
    expect(lines.filter((l) => l.type === 'phase').map((l) => l.phase)).toEqual(['clusters', 'setup', 'load', 'cutover', 'load-after-cutover', 'failback', 'load-after-failback', 'catch-up', 'verify']);
    const steps = lines.filter((l) => l.type === 'cutover-step');
    expect(steps.some((l) => l.direction === 'forward')).toBe(true);
    expect(steps.some((l) => l.direction === 'failback')).toBe(true);
  });

  it('writes report.json with both cutovers on one timeline and an unavailability window for each', async () => {
    // Act
    const report = JSON.parse(await readFile(join(outDir, 'report.json'), 'utf8')) as RehearsalReport;
    // Assess
    expect(report.ok).toBe(true);
    expect(report.settings.failback).toEqual({ dwellSeconds: 5 });
    expect(report.cutover).toMatchObject({ direction: 'forward', status: 'succeeded' });
    expect(report.failback).toMatchObject({ direction: 'failback', status: 'succeeded' });
    const failback = report.failback as NonNullable<RehearsalReport['failback']>;
    for (const c of [report.cutover, failback]) {
      expect(c.steps.map((s) => s.step)).toEqual([...CutoverSteps]);
      expect(c.steps.every((s) => s.status === 'succeeded')).toBe(true);
    }
    expect(failback.startedAtMs).toBeGreaterThan(report.cutover.endedAtMs as number);
    const windows = report.availability.windows ?? [];
    expect(windows.map((w) => w.direction)).toEqual(['forward', 'failback']);
    for (const [w, c] of [
      [windows[0], report.cutover],
      [windows[1], failback],
    ] as const) {
      expect(w?.writeUnavailableMs).toBeGreaterThan(0);
      expect(w?.readUnavailableMs).toBeGreaterThan(0);
      expect(w?.fencedMs).toBeGreaterThan(0);
      expect(w?.timeToDrainMs).not.toBeNull();
      // The pause began while this move ran.
      expect(w?.writeGap?.fromMs).toBeGreaterThanOrEqual(c.startedAtMs as number);
      expect(w?.writeGap?.fromMs).toBeLessThanOrEqual(c.endedAtMs as number);
    }
    // The producer went source → target → source.
    expect(report.producerEvents.filter((e) => e.kind === 'switched').map((e) => e.cluster)).toEqual(['target', 'source']);
    expect(report.series.some((s) => s.reverseBridgeLag !== null && s.reverseBridgeLag !== undefined)).toBe(true);
  });

  it('renders index.html with both moves labelled and every chart drawn', async () => {
    // Prepare
    expect(CHROMIUM, 'Chromium is needed for this test: apt-get install -y chromium').toBeDefined();
    // Act
    const dom = await promisify(execFile)(
      CHROMIUM as string,
      ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', `--user-data-dir=${join(dir, 'chromium')}`, '--virtual-time-budget=5000', '--dump-dom', `file://${join(outDir, 'index.html')}`],
      { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
    );
    // Assess
    expect(dom.stdout).toMatch(/<body[^>]*data-render="ok"/);
    expect(dom.stdout).toContain('Cutover and failback timeline');
    expect(dom.stdout).toMatch(/<td>forward<\/td><td>succeeded<\/td>/);
    expect(dom.stdout).toMatch(/<td>failback<\/td><td>succeeded<\/td>/);
    expect(dom.stdout).toContain('reverse bridge lag');
  });
});

describe('kbridge rehearse --failback with a failback step that fails', () => {
  // The last step: producers and consumers already run on the source again, so the rollback must let the source
  // consumers finish what was written there, and resume the target group after the forward bridge's copies of it.
  const step = 'verify';
  let dir: string;
  let outDir: string;
  let result: KbridgeResult;

  beforeAll(async () => {
    // Prepare
    dir = await mkdtemp(join(tmpdir(), 'kbridge-rehearse-failback-fail-'));
    outDir = join(dir, 'report');
    // Act
    result = await runKbridge(['rehearse', '--failback', '--dwell', '5', '--duration', '10', '--rate', '100', '--topics', '1', '--partitions', '2', '--fail-at', step, '--json', '--out', outDir], {
      timeoutMs: 230_000,
    });
  }, 240_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 1 naming the failback step, and the rollback back to the target loses, duplicates and reorders nothing', async () => {
    // Assess
    const lines = jsonLines(result.stdout);
    const final = lines[lines.length - 1] as unknown as ResultLine;
    expect(final.type, result.stderr.slice(-2000)).toBe('result');
    expect(result.code).toBe(1);
    expect(final.ok).toBe(false);
    expect(final.failures).toHaveLength(1);
    expect(final.failures[0]).toMatch(new RegExp(`^failback failed at ${step}: rolled back after .*Injected failure after step ${step}`));
    const report = JSON.parse(await readFile(join(outDir, 'report.json'), 'utf8')) as RehearsalReport;
    expect(report.settings.failAt).toEqual({ direction: 'failback', step });
    expect(report.cutover.status).toBe('succeeded');
    expect(report.failback?.steps.map((s) => [s.step, s.status]).slice(-2)).toEqual([
      [step, 'failed'],
      ['rollback', 'succeeded'],
    ]);
    expect(report.counts).toMatchObject({ lost: 0, duplicated: 0, orderViolations: 0, replicationMissing: 0, reverseReplicationMissing: 0, replicatedDuplicates: 0, reverseReplicatedDuplicates: 0 });
    expect(report.counts.uniqueConsumed).toBe(report.counts.produced);
    // The rollback took the producer back to the target, where the run ended; each record was consumed where it was written.
    const switched = report.producerEvents.filter((e) => e.kind === 'switched').map((e) => e.cluster);
    expect(switched[0]).toBe('target');
    expect(switched[switched.length - 1]).toBe('target');
    expect(report.counts.consumedOnSource).toBe(report.counts.producedOnSource);
    expect(report.counts.consumedOnTarget).toBe(report.counts.producedOnTarget);
    expect(await readFile(join(outDir, 'index.html'), 'utf8')).toContain('<span class="badge failed">FAILED</span>');
  });
});
