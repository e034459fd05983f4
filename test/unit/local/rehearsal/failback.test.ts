import { describe, expect, it } from 'vitest';
import { DeliveryLedger } from '../../../../src/local/rehearsal/accounting';
import { timelineFromAudit } from '../../../../src/local/rehearsal/cutover';
import type { ProducerEvent } from '../../../../src/local/rehearsal/producer';
import { cutoverWindow, evaluateRehearsal, fencedWindowMs, type CutoverOutcome, type RehearsalCounts } from '../../../../src/local/rehearsal/report';
import type { AuditRecord } from '../../../../src/ports/auditLog';
import { at, counts as baseCounts } from './fixtures';

// A failback run also counts what the reverse bridge copied back: the 4 target-written records, once each.
const counts = (over: Partial<RehearsalCounts> = {}): RehearsalCounts =>
  baseCounts({ reverseReplicated: 4, reverseReplicatedDuplicates: 0, reverseReplicationMissing: 0, ...over });
const outcome = (direction: 'forward' | 'failback', over: Partial<CutoverOutcome> = {}): CutoverOutcome => ({
  direction,
  status: 'succeeded',
  startedAtMs: 1000,
  endedAtMs: 2000,
  steps: [],
  runner: 'test',
  ...over,
});
const event = (kind: ProducerEvent['kind'], atMs: number, cluster: 'source' | 'target'): ProducerEvent => ({ kind, atMs, cluster, bootstrapServers: `${cluster}:9092` });

describe('DeliveryLedger.gapsStartingIn', () => {
  it('gives each cutover the longest write and read pauses that began while it ran', () => {
    // Prepare: writes every 50 ms with a 700 ms pause at 1000 (forward) and a 900 ms pause at 5000 (failback).
    const ledger = new DeliveryLedger();
    let seq = 0;
    const write = (atMs: number): void => {
      ledger.produced({ topic: 't', partition: 0, seq, atMs, cluster: atMs < 1700 || atMs > 5900 ? 'source' : 'target' });
      ledger.consumed({ topic: 't', partition: 0, seq, atMs: atMs + 10, producedAtMs: atMs, cluster: 'source' });
      seq += 1;
    };
    for (let t = 0; t <= 1000; t += 50) write(t);
    for (let t = 1700; t <= 5000; t += 50) write(t);
    for (let t = 5900; t <= 7000; t += 50) write(t);
    // Act
    const forward = ledger.gapsStartingIn(800, 2000);
    const failback = ledger.gapsStartingIn(4500, 6500);
    const none = ledger.gapsStartingIn(2000, 4000);
    // Assess
    expect(forward.writeGap).toEqual({ ms: 700, fromMs: 1000, toMs: 1700 });
    expect(forward.readGap).toEqual({ ms: 700, fromMs: 1010, toMs: 1710 });
    expect(failback.writeGap).toEqual({ ms: 900, fromMs: 5000, toMs: 5900 });
    expect(none).toEqual({ writeGap: null, readGap: null });
    expect(ledger.summarize().writeGap?.ms).toBe(900);
  });
});

describe('cutoverWindow', () => {
  it('labels one move with its pauses, its fence window and its drain time', () => {
    // Prepare
    const failback = outcome('failback', {
      startedAtMs: 10_000,
      endedAtMs: 20_000,
      steps: [{ step: 'waitDrained', startedAtMs: 11_000, endedAtMs: 14_000, attempts: 3, status: 'succeeded' }],
    });
    const events = [event('paused', 2000, 'source'), event('resumed', 3000, 'target'), event('paused', 11_000, 'target'), event('resumed', 15_500, 'source')];
    const gaps = { writeGap: { ms: 4600, fromMs: 10_900, toMs: 15_500 }, readGap: { ms: 4000, fromMs: 11_000, toMs: 15_000 } };
    // Act
    const window = cutoverWindow(failback, gaps, events);
    // Assess
    expect(window).toEqual({
      direction: 'failback',
      status: 'succeeded',
      startedAtMs: 10_000,
      endedAtMs: 20_000,
      writeUnavailableMs: 4600,
      writeGap: gaps.writeGap,
      fencedMs: 4500,
      readUnavailableMs: 4000,
      readGap: gaps.readGap,
      timeToDrainMs: 3000,
    });
  });

  it('has no windows for a move that never ran', () => {
    // Act
    const window = cutoverWindow(outcome('failback', { status: 'skipped', startedAtMs: null, endedAtMs: null }), { writeGap: null, readGap: null }, [event('paused', 1, 'source')]);
    // Assess
    expect(window).toMatchObject({ direction: 'failback', status: 'skipped', writeUnavailableMs: null, fencedMs: null, readUnavailableMs: null, timeToDrainMs: null });
  });
});

describe('fencedWindowMs within a range', () => {
  it('measures the first fence inside the range only', () => {
    // Prepare
    const events = [event('paused', 100, 'source'), event('resumed', 400, 'target'), event('paused', 1000, 'target'), event('resumed', 1900, 'source')];
    // Act + Assess
    expect(fencedWindowMs(events)).toBe(300);
    expect(fencedWindowMs(events, 500, 2000)).toBe(900);
    expect(fencedWindowMs(events, 2000)).toBeNull();
  });
});

describe('evaluateRehearsal with a failback', () => {
  it('passes when both moves succeeded and both bridges copied everything once', () => {
    // Act + Assess
    expect(evaluateRehearsal(counts(), outcome('forward'), [], outcome('failback'))).toEqual([]);
  });

  it('names a failed failback step and the reverse bridge counts', () => {
    // Prepare
    const failback = outcome('failback', {
      status: 'failed',
      error: 'rolled back after KBridgeError: Injected failure after step verify (plan.failAt)',
      steps: [{ step: 'verify', startedAtMs: 1, endedAtMs: 2, attempts: 2, status: 'failed' }],
    });
    // Act
    const failures = evaluateRehearsal(counts({ reverseReplicatedDuplicates: 2, reverseReplicationMissing: 3 }), outcome('forward'), [], failback);
    // Assess
    expect(failures).toEqual([
      '2 target record(s) appear more than once on the source topics',
      '3 target record(s) are missing from the source topics',
      'failback failed at verify: rolled back after KBridgeError: Injected failure after step verify (plan.failAt)',
    ]);
  });

  it('says the failback did not run only when the forward cutover succeeded', () => {
    // Prepare
    const skipped = outcome('failback', { status: 'skipped', startedAtMs: null, endedAtMs: null });
    const failedForward = outcome('forward', { status: 'failed', error: 'x', steps: [{ step: 'preflight', startedAtMs: 0, endedAtMs: 1, attempts: 1, status: 'failed' }] });
    // Act + Assess
    expect(evaluateRehearsal(counts(), outcome('forward'), [], skipped)).toEqual(['the failback did not run']);
    expect(evaluateRehearsal(counts(), failedForward, [], skipped)).toEqual(['cutover failed at preflight: x']);
  });
});

describe('timelineFromAudit with a step that failed before writing any record', () => {
  it('places the failed step where the rollback began, with the rollback cause', () => {
    // Prepare: preflight fails (it audits nothing before `done`), the rollback runs.
    const records: AuditRecord[] = [
      { cutoverId: 'c-failback', step: 'rollback', event: 'failed', at: at(1500), detail: { Error: 'KBridgeError', Cause: 'Injected failure after step preflight (plan.failAt)' } },
      { cutoverId: 'c-failback', step: 'rollback', event: 'done', at: at(1600) },
    ];
    // Act
    const steps = timelineFromAudit(records, 1000, { failed: true, error: 'rolled back after KBridgeError', failedStep: 'preflight' });
    // Assess
    expect(steps).toEqual([
      { step: 'preflight', startedAtMs: 1000, endedAtMs: 1500, attempts: 1, status: 'failed', error: 'KBridgeError: Injected failure after step preflight (plan.failAt)' },
      { step: 'rollback', startedAtMs: 1500, endedAtMs: 1600, attempts: 1, status: 'succeeded' },
    ]);
  });
});
