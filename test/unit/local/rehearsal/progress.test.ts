import { describe, expect, it } from 'vitest';
import { createProgressPrinter } from '../../../../src/local/rehearsal/progress';
import { buildPlan } from '../../../../src/local/rehearsal/rehearse';
import type { RehearsalReport } from '../../../../src/local/rehearsal/report';
import { counts, rehearsalReport } from './fixtures';

const report = (ok: boolean): RehearsalReport =>
  rehearsalReport({
    ok,
    failures: ok ? [] : ['2 record(s) lost: acknowledged by the cluster but never consumed'],
    counts: counts({ lost: ok ? 0 : 2 }),
  });

describe('createProgressPrinter', () => {
  it('prints one JSON object per event and a final result line with --json', () => {
    // Prepare
    let out = '';
    const printer = createProgressPrinter({ json: true, tty: false, write: (s) => (out += s) });
    // Act
    printer.event({ type: 'phase', phase: 'load', atMs: 1000 });
    printer.event({ type: 'cutover-step', step: 'preflight', atMs: 2000 });
    printer.result(report(true), '/tmp/out', null);
    // Assess
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.type)).toEqual(['phase', 'cutover-step', 'result']);
    expect(lines[2]).toMatchObject({ type: 'result', ok: true, failures: [], reportDir: '/tmp/out', counts: { lost: 0, duplicated: 0 } });
  });

  it('prints a status line per sample, the cutover steps, and the verdict with the reasons for people', () => {
    // Prepare
    let out = '';
    const printer = createProgressPrinter({ json: false, tty: false, write: (s) => (out += s) });
    // Act
    printer.event({ type: 'phase', phase: 'cutover', atMs: 1000 });
    printer.event({
      type: 'sample',
      sample: { atMs: 2500, sourceGroupLag: '12', bridgeLag: '3', targetGroupLag: null, producedPerSec: 100, consumedPerSec: 98, phase: 'cutover', cutoverStep: 'waitDrained' },
      produced: 250,
      consumed: 240,
      buffered: 40,
      producerCluster: 'source',
    });
    printer.result(report(false), '/tmp/out', { source: 's:1', target: 't:1', topics: ['t'], groups: ['g'], bridgeGroups: ['bg'], offsetMapTopic: 'om' });
    // Assess
    expect(out).toContain('[   0.0 s] ── cutover ──');
    expect(out).toMatch(/\[ {3}1\.5 s\] {4}cutover +produced +250 \( +100\/s\) +consumed +240 \( +98\/s\) +lag src 12 · bridge 3 · tgt — +producer→source \(40 held\) +step waitDrained/);
    expect(out).toContain('REHEARSAL FAILED:\n  - 2 record(s) lost: acknowledged by the cluster but never consumed');
    expect(out).toContain('report: /tmp/out/index.html');
    expect(out).toContain('kept: source s:1 · target t:1');
    expect(out).toContain('offset map (target) om');
  });
});

describe('buildPlan', () => {
  it('moves one group per topic from its source mapping to its target mapping and the producer entry to the target', () => {
    // Act
    const plan = buildPlan({
      runId: 'reh-1',
      pattern: 'stop-drain-switch',
      sourceServers: '127.0.0.1:19092',
      targetServers: '127.0.0.1:29092',
      bridgeId: 'reh-1',
      offsetMapTopic: 'reh-1.offset-map',
      topics: ['reh-1.orders-0', 'reh-1.orders-1'],
      groups: ['reh-1-app-0', 'reh-1-app-1'],
      controlUrl: 'http://127.0.0.1:7070',
      producerEntryId: 'reh-1-producer',
    });
    // Assess
    expect(plan.cutoverId).toBe('reh-1-cutover');
    expect(plan.bridge).toEqual({ bridgeId: 'reh-1', offsetMapTopic: 'reh-1.offset-map' });
    expect(plan.consumerGroups).toEqual([
      { groupId: 'reh-1-app-0', sourceTriggers: [{ id: 'app-source-0', controlUrl: 'http://127.0.0.1:7070' }], targetTriggers: [{ id: 'app-target-0', controlUrl: 'http://127.0.0.1:7070' }] },
      { groupId: 'reh-1-app-1', sourceTriggers: [{ id: 'app-source-1', controlUrl: 'http://127.0.0.1:7070' }], targetTriggers: [{ id: 'app-target-1', controlUrl: 'http://127.0.0.1:7070' }] },
    ]);
    expect(plan.configEntries).toEqual([
      { store: 'local', id: 'reh-1-producer', name: 'legacy producer', role: 'producer', targetValue: { bootstrapServers: '127.0.0.1:29092', cluster: 'target' } },
    ]);
    expect(plan.source.bootstrapServers).toEqual(['127.0.0.1:19092']);
  });
});
