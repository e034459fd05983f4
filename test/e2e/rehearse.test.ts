import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CutoverSteps } from '../../src/cutover/plan';
import type { RehearsalReport } from '../../src/local/rehearsal/report';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

function run(command: string, args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('kbridge rehearse (as a user runs it)', () => {
  let dir: string;
  let outDir: string;
  let result: { code: number | null; stdout: string; stderr: string };
  let lines: Array<Record<string, unknown>>;

  beforeAll(async () => {
    // Prepare
    dir = await mkdtemp(join(tmpdir(), 'kbridge-rehearse-'));
    outDir = join(dir, 'report');
    // Act
    result = await run('node', ['bin/kbridge.mjs', 'rehearse', '--duration', '20', '--rate', '100', '--topics', '2', '--partitions', '3', '--json', '--out', outDir], 170_000);
    lines = result.stdout
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }, 180_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('ends with exit code 0 and a result line that counts nothing lost and nothing duplicated', () => {
    // Assess
    const final = lines[lines.length - 1] as { type: string; ok: boolean; failures: string[]; counts: RehearsalReport['counts'] };
    expect(final.type, result.stderr.slice(-2000)).toBe('result');
    expect(final.failures).toEqual([]);
    expect(final.ok).toBe(true);
    expect(result.code).toBe(0);
    expect(final.counts.lost).toBe(0);
    expect(final.counts.duplicated).toBe(0);
    expect(final.counts.orderViolations).toBe(0);
    expect(final.counts.producedOnSource).toBeGreaterThan(0);
    expect(final.counts.producedOnTarget).toBeGreaterThan(0);
    expect(final.counts.consumedOnTarget).toBeGreaterThan(0);
    expect(final.counts.uniqueConsumed).toBe(final.counts.produced);
    expect(final.counts.replicated).toBe(final.counts.producedOnSource);
  });

  it('prints machine-readable progress: phases, samples and cutover steps as they happen', () => {
    // Assess
    const phases = lines.filter((l) => l.type === 'phase').map((l) => l.phase);
    expect(phases).toEqual(['clusters', 'setup', 'load', 'cutover', 'load-after-cutover', 'catch-up', 'verify']);
    expect(lines.filter((l) => l.type === 'sample').length).toBeGreaterThan(3);
    expect(lines.some((l) => l.type === 'cutover-step')).toBe(true);
  });

  it('writes report.json with a complete cutover timeline and lag series', async () => {
    // Act
    const report = JSON.parse(await readFile(join(outDir, 'report.json'), 'utf8')) as RehearsalReport;
    // Assess
    expect(report.ok).toBe(true);
    expect(report.cutover.status).toBe('succeeded');
    expect(report.cutover.steps.map((s) => s.step)).toEqual([...CutoverSteps]);
    for (const s of report.cutover.steps) {
      expect(s.status).toBe('succeeded');
      expect(s.endedAtMs).toBeGreaterThanOrEqual(s.startedAtMs);
    }
    expect(report.availability.writeUnavailableMs).toBeGreaterThan(0);
    expect(report.availability.readUnavailableMs).toBeGreaterThan(0);
    expect(report.availability.timeToDrainMs).not.toBeNull();
    expect(report.series.some((s) => s.bridgeLag !== null)).toBe(true);
    expect(report.series.some((s) => s.targetGroupLag !== null)).toBe(true);
  });

  it('renders index.html in headless Chromium with both charts drawn and no script error', async () => {
    // Prepare
    expect(CHROMIUM, 'Chromium is needed for this test: apt-get install -y chromium').toBeDefined();
    // Act
    const dom = await run(
      CHROMIUM as string,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        `--user-data-dir=${join(dir, 'chromium')}`,
        '--virtual-time-budget=5000',
        '--dump-dom',
        `file://${join(outDir, 'index.html')}`,
      ],
      60_000,
    );
    // Assess
    expect(dom.stdout).toMatch(/<body[^>]*data-render="ok"/);
    expect(dom.stdout.match(/<canvas/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
    expect(dom.stdout).toContain('class="uplot');
    expect(dom.stdout).toContain('PASSED');
  });
});

describe('kbridge rehearse with a cutover step that fails', () => {
  let dir: string;
  let outDir: string;
  let result: { code: number | null; stdout: string; stderr: string };

  beforeAll(async () => {
    // Prepare
    dir = await mkdtemp(join(tmpdir(), 'kbridge-rehearse-fail-'));
    outDir = join(dir, 'report');
    // Act
    result = await run(
      'node',
      ['bin/kbridge.mjs', 'rehearse', '--duration', '10', '--topics', '1', '--partitions', '2', '--fail-at', 'switchProducerConfig', '--json', '--out', outDir],
      170_000,
    );
  }, 180_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 1 naming the failed step, leaves the report, and the rollback loses and duplicates nothing', async () => {
    // Assess
    const lines = result.stdout.split('\n').filter((l) => l.trim() !== '');
    const final = JSON.parse(lines[lines.length - 1] as string) as { type: string; ok: boolean; failures: string[] };
    expect(final.type, result.stderr.slice(-2000)).toBe('result');
    expect(result.code).toBe(1);
    expect(final.ok).toBe(false);
    expect(final.failures).toHaveLength(1);
    expect(final.failures[0]).toMatch(/^cutover failed at switchProducerConfig: rolled back after .*Injected failure after step switchProducerConfig/);
    const report = JSON.parse(await readFile(join(outDir, 'report.json'), 'utf8')) as RehearsalReport;
    expect(report.cutover.steps.map((s) => [s.step, s.status]).slice(-2)).toEqual([
      ['switchProducerConfig', 'failed'],
      ['rollback', 'succeeded'],
    ]);
    expect(report.counts).toMatchObject({ lost: 0, duplicated: 0, orderViolations: 0, producedOnTarget: 0, consumedOnTarget: 0 });
    expect(report.counts.consumedOnSource).toBe(report.counts.produced);
    expect(await readFile(join(outDir, 'index.html'), 'utf8')).toContain('<span class="badge failed">FAILED</span>');
  });
});
