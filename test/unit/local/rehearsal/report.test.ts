import { describe, expect, it } from 'vitest';
import { timelineFromAudit, currentStep } from '../../../../src/local/rehearsal/cutover';
import { escapeHtml, jsonForScript, renderReportHtml } from '../../../../src/local/rehearsal/html';
import type { ProducerEvent } from '../../../../src/local/rehearsal/producer';
import { countsFrom, evaluateRehearsal, fencedWindowMs, stepDurationMs, type RehearsalCounts, type RehearsalReport } from '../../../../src/local/rehearsal/report';
import { DeliveryLedger } from '../../../../src/local/rehearsal/accounting';
import type { AuditRecord } from '../../../../src/ports/auditLog';
import { at, counts as baseCounts, rehearsalReport } from './fixtures';

// This file's runs split the consumed records evenly between the clusters.
const cleanCounts = (over: Partial<RehearsalCounts> = {}): RehearsalCounts => baseCounts({ consumedOnSource: 5, consumedOnTarget: 5, ...over });
const succeeded = { status: 'succeeded' as const, steps: [] };
const rec = (step: string, event: AuditRecord['event'], ms: number, detail?: unknown): AuditRecord => ({ cutoverId: 'c', step, event, at: at(ms), ...(detail ? { detail } : {}) });

describe('evaluateRehearsal', () => {
  it('passes a run with nothing lost, nothing duplicated and a succeeded cutover', () => {
    // Act + Assess
    expect(evaluateRehearsal(cleanCounts(), succeeded)).toEqual([]);
  });

  it('names every reason a run fails', () => {
    // Prepare
    const counts = cleanCounts({ lost: 3, duplicated: 1, orderViolations: 2, replicatedDuplicates: 4, replicationMissing: 5, unsent: 6, foreign: 7 });
    const cutover = { status: 'failed' as const, error: 'rolled back after WaitTimeoutError: not drained', steps: [{ step: 'waitDrained', startedAtMs: 0, endedAtMs: 9, attempts: 4, status: 'failed' as const }] };
    // Act
    const failures = evaluateRehearsal(counts, cutover, ['the consumers did not catch up']);
    // Assess
    expect(failures).toEqual([
      '3 record(s) lost: acknowledged by the cluster but never consumed',
      '1 duplicate delivery to the consumer group',
      '2 record(s) consumed out of order within a partition',
      '4 source record(s) appear more than once on the target topics',
      '5 source record(s) are missing from the target topics',
      '6 generated record(s) could not be sent before the end',
      '7 record(s) on the rehearsal topics were not written by this rehearsal',
      'cutover failed at waitDrained: rolled back after WaitTimeoutError: not drained',
      'the consumers did not catch up',
    ]);
  });

  it('fails a run whose load never produced anything or whose cutover never ran', () => {
    // Act
    const failures = evaluateRehearsal(cleanCounts({ produced: 0 }), { status: 'skipped', steps: [] });
    // Assess
    expect(failures).toEqual(['no record was produced: the load never ran', 'the cutover did not run']);
  });
});

describe('countsFrom', () => {
  it('takes lost and duplicated from the ledger, not from anything the bridge reports', () => {
    // Prepare
    const ledger = new DeliveryLedger();
    for (const seq of [0, 1, 2]) ledger.produced({ topic: 't', partition: 0, seq, atMs: seq, cluster: 'source' });
    for (const seq of [0, 0, 2]) ledger.consumed({ topic: 't', partition: 0, seq, atMs: 10, producedAtMs: 0, cluster: 'target' });
    // Act
    const counts = countsFrom(ledger.summarize(), { replicated: 3, replicatedDuplicates: 0, replicationMissing: 0, foreign: 0, unsent: 0 });
    // Assess
    expect(counts).toMatchObject({ produced: 3, producedOnSource: 3, consumed: 3, consumedOnTarget: 3, uniqueConsumed: 2, lost: 1, duplicated: 1 });
  });
});

describe('availability windows', () => {
  it('measure the producer fence from pause to resume, and a step from start to end', () => {
    // Prepare
    const events: ProducerEvent[] = [
      { kind: 'connected', atMs: 0, cluster: 'source', bootstrapServers: 's:1' },
      { kind: 'paused', atMs: 1000, cluster: 'source', bootstrapServers: 's:1' },
      { kind: 'switched', atMs: 3000, cluster: 'target', bootstrapServers: 't:1' },
      { kind: 'resumed', atMs: 4500, cluster: 'target', bootstrapServers: 't:1' },
    ];
    // Act + Assess
    expect(fencedWindowMs(events)).toBe(3500);
    expect(fencedWindowMs(events.slice(0, 3))).toBeNull();
    expect(stepDurationMs([{ step: 'waitDrained', startedAtMs: 100, endedAtMs: 2100, attempts: 3, status: 'succeeded' }], 'waitDrained')).toBe(2000);
    expect(stepDurationMs([], 'waitDrained')).toBeNull();
  });
});

describe('timelineFromAudit', () => {
  it('builds one entry per step from the audit trail, starting each where the previous ended', () => {
    // Prepare
    const records = [
      rec('preflight', 'done', 1500),
      rec('fenceProducers', 'change', 1600),
      rec('fenceProducers', 'done', 1700),
      rec('waitDrained', 'probe', 2000),
      rec('waitDrained', 'probe', 3000),
      rec('waitDrained', 'probe', 4000),
      rec('waitDrained', 'done', 4000),
    ];
    // Act
    const steps = timelineFromAudit(records, 1000);
    // Assess
    expect(steps).toEqual([
      { step: 'preflight', startedAtMs: 1000, endedAtMs: 1500, attempts: 1, status: 'succeeded' },
      { step: 'fenceProducers', startedAtMs: 1500, endedAtMs: 1700, attempts: 1, status: 'succeeded' },
      { step: 'waitDrained', startedAtMs: 1700, endedAtMs: 4000, attempts: 3, status: 'succeeded' },
    ]);
    expect(currentStep(records)).toBe('waitDrained');
  });

  it('marks the step that failed with the cause rollback recorded, then the rollback itself', () => {
    // Prepare
    const records = [
      rec('preflight', 'done', 1500),
      rec('waitDrained', 'probe', 2000),
      rec('rollback', 'failed', 5000, { Error: 'WaitTimeoutError', Cause: 'not drained within 3 s' }),
      rec('rollback', 'rolled-back', 5100),
      rec('rollback', 'done', 5200),
    ];
    // Act
    const steps = timelineFromAudit(records, 1000, { failed: true, error: 'rolled back' });
    // Assess
    expect(steps.map((s) => [s.step, s.status, s.endedAtMs])).toEqual([
      ['preflight', 'succeeded', 1500],
      ['waitDrained', 'failed', 5000],
      ['rollback', 'succeeded', 5200],
    ]);
    expect(steps[1]?.error).toBe('WaitTimeoutError: not drained within 3 s');
  });

  it('leaves an unfinished step failed when the cutover failed without a rollback record', () => {
    // Act
    const steps = timelineFromAudit([rec('preflight', 'probe', 1200)], 1000, { failed: true, error: 'PreflightError: target topic missing' });
    // Assess
    expect(steps).toEqual([{ step: 'preflight', startedAtMs: 1000, endedAtMs: null, attempts: 1, status: 'failed', error: 'PreflightError: target topic missing' }]);
  });
});

describe('renderReportHtml', () => {
  const report: RehearsalReport = rehearsalReport({
    ok: false,
    failures: ['1 record(s) lost: <script>alert(1)</script>'],
    counts: cleanCounts({ lost: 1 }),
    availability: { writeUnavailableMs: 1200, writeGap: { ms: 1200, fromMs: 10_000, toMs: 11_200 }, fencedMs: 1100, readUnavailableMs: 900, readGap: null, maxEndToEndMs: 2000, timeToDrainMs: 3000, catchUpMs: 200 },
    series: [{ atMs: 1000, sourceGroupLag: '5', bridgeLag: '2', targetGroupLag: null, producedPerSec: 100, consumedPerSec: 95, phase: 'load', cutoverStep: null }],
  });

  it('embeds the report data safely and shows the verdict, counts and failures escaped', () => {
    // Act
    const html = renderReportHtml(report, { js: 'window.uPlot = function () {};', css: '.uplot{}' });
    // Assess
    expect(html).toContain('<span class="badge failed">FAILED</span>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('window.uPlot = function () {};');
    const data = /<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)?.[1];
    expect(JSON.parse(data as string)).toEqual(report);
    expect(html).toContain('<td>preflight</td>');
  });

  it('escapes text and script-embedded JSON', () => {
    // Act + Assess
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(jsonForScript({ s: '</script><!--' })).toBe('{"s":"\\u003c/script>\\u003c!--"}');
  });
});
