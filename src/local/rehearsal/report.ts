import type { Gap, LedgerSummary, DuplicateSample, LostRange } from './accounting';
import type { ProducerEvent } from './producer';

/** One step of the cutover state machine as the rehearsal saw it run. */
export interface CutoverStepTiming {
  step: string;
  startedAtMs: number;
  endedAtMs: number | null;
  /** Invocations (polling steps run several times). */
  attempts: number;
  status: 'succeeded' | 'failed' | 'running';
  error?: string;
}

export interface CutoverOutcome {
  status: 'succeeded' | 'failed' | 'skipped';
  startedAtMs: number | null;
  endedAtMs: number | null;
  steps: CutoverStepTiming[];
  error?: string;
  /** How the state machine was run (the local runner's name), for the reader. */
  runner: string;
}

/** One lag/throughput sample; offsets as decimal strings (null: not measurable then, e.g. no group yet). */
export interface RehearsalSample {
  atMs: number;
  sourceGroupLag: string | null;
  bridgeLag: string | null;
  targetGroupLag: string | null;
  producedPerSec: number;
  consumedPerSec: number;
  phase: string;
  cutoverStep: string | null;
}

export interface PhaseTiming {
  name: string;
  startedAtMs: number;
  endedAtMs: number | null;
}

export interface RehearsalCounts {
  produced: number;
  producedOnSource: number;
  producedOnTarget: number;
  /** Source-written records found on the target topics (read back with read_committed). */
  replicated: number;
  /** Source-written records found more than once on the target topics (the bridge's exactly-once, checked). */
  replicatedDuplicates: number;
  /** Records the producer wrote to the source that are missing from the target topics. */
  replicationMissing: number;
  consumed: number;
  consumedOnSource: number;
  consumedOnTarget: number;
  uniqueConsumed: number;
  lost: number;
  duplicated: number;
  orderViolations: number;
  unacknowledgedConsumed: number;
  foreign: number;
  /** Generated records the producer could not send before the end. */
  unsent: number;
}

export interface RehearsalReport {
  reportVersion: 1;
  runId: string;
  ok: boolean;
  /** Why the rehearsal failed; empty when ok. */
  failures: string[];
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  settings: {
    pattern: string;
    ratePerSecond: number;
    durationSeconds: number;
    topics: number;
    partitions: number;
    kafkaVersion: string;
  };
  environment: {
    source: string;
    target: string;
    topics: string[];
    consumerGroups: string[];
    bridgeId: string;
    bridgeGroups: string[];
    configStore: string;
    auditLog: string;
    controlUrl: string | null;
  };
  counts: RehearsalCounts;
  lostRanges: LostRange[];
  duplicates: DuplicateSample[];
  availability: {
    /** Longest pause between acknowledged writes (the producers' view of the switch). */
    writeUnavailableMs: number | null;
    writeGap: Gap | null;
    /** Producer fenced → producing again on the target, from the producer's own events. */
    fencedMs: number | null;
    /** Longest pause between consumed records (the consumers' view of the switch). */
    readUnavailableMs: number | null;
    readGap: Gap | null;
    maxEndToEndMs: number | null;
    /** Fence → drained (the waitDrained step). */
    timeToDrainMs: number | null;
    /** Load stopped → last record consumed on the target. */
    catchUpMs: number | null;
  };
  phases: PhaseTiming[];
  cutover: CutoverOutcome;
  producerEvents: ProducerEvent[];
  series: RehearsalSample[];
}

/**
 * Every reason the rehearsal failed, from the independently counted numbers and the cutover outcome.
 *
 * @example
 * ```ts
 * evaluateRehearsal(counts, cutover); // [] when nothing was lost or duplicated and every step succeeded
 * ```
 */
export function evaluateRehearsal(counts: RehearsalCounts, cutover: Pick<CutoverOutcome, 'status' | 'error' | 'steps'>, extra: string[] = []): string[] {
  const failures: string[] = [];
  if (counts.produced === 0) failures.push('no record was produced: the load never ran');
  if (counts.lost > 0) failures.push(`${counts.lost} record(s) lost: acknowledged by the cluster but never consumed`);
  if (counts.duplicated > 0) failures.push(`${counts.duplicated} duplicate deliver${counts.duplicated === 1 ? 'y' : 'ies'} to the consumer group`);
  if (counts.orderViolations > 0) failures.push(`${counts.orderViolations} record(s) consumed out of order within a partition`);
  if (counts.replicatedDuplicates > 0) failures.push(`${counts.replicatedDuplicates} source record(s) appear more than once on the target topics`);
  if (counts.replicationMissing > 0) failures.push(`${counts.replicationMissing} source record(s) are missing from the target topics`);
  if (counts.unsent > 0) failures.push(`${counts.unsent} generated record(s) could not be sent before the end`);
  if (counts.foreign > 0) failures.push(`${counts.foreign} record(s) on the rehearsal topics were not written by this rehearsal`);
  if (cutover.status === 'failed') {
    const failed = cutover.steps.find((s) => s.status === 'failed');
    failures.push(`cutover failed${failed ? ` at ${failed.step}` : ''}: ${cutover.error ?? failed?.error ?? 'unknown error'}`);
  }
  if (cutover.status === 'skipped') failures.push('the cutover did not run');
  return [...failures, ...extra];
}

/**
 * Turn the ledger's summary into the report's counts.
 *
 * @example
 * ```ts
 * const counts = countsFrom(ledger.summarize(), { replicated: 10, replicatedDuplicates: 0, replicationMissing: 0, foreign: 0, unsent: 0 });
 * ```
 */
export function countsFrom(
  summary: LedgerSummary,
  extra: Pick<RehearsalCounts, 'replicated' | 'replicatedDuplicates' | 'replicationMissing' | 'foreign' | 'unsent'>,
): RehearsalCounts {
  return {
    produced: summary.produced,
    producedOnSource: summary.producedBy.source,
    producedOnTarget: summary.producedBy.target,
    consumed: summary.consumed,
    consumedOnSource: summary.consumedBy.source,
    consumedOnTarget: summary.consumedBy.target,
    uniqueConsumed: summary.uniqueConsumed,
    lost: summary.lost,
    duplicated: summary.duplicated,
    orderViolations: summary.orderViolations,
    unacknowledgedConsumed: summary.unacknowledgedConsumed,
    ...extra,
  };
}

/**
 * Fence → first acknowledged write again, from the producer's events (null when it was never fenced or never
 * resumed).
 *
 * @example
 * ```ts
 * fencedWindowMs([{ kind: 'paused', atMs: 10, ... }, { kind: 'resumed', atMs: 250, ... }]); // 240
 * ```
 */
export function fencedWindowMs(events: readonly ProducerEvent[]): number | null {
  const paused = events.find((e) => e.kind === 'paused');
  if (!paused) return null;
  const resumed = events.find((e) => e.kind === 'resumed' && e.atMs >= paused.atMs);
  return resumed ? resumed.atMs - paused.atMs : null;
}

/**
 * Duration of one cutover step (first start → last end), or null if it never finished.
 *
 * @example
 * ```ts
 * stepDurationMs(cutover.steps, 'waitDrained');
 * ```
 */
export function stepDurationMs(steps: readonly CutoverStepTiming[], name: string): number | null {
  const s = steps.find((x) => x.step === name);
  return s && s.endedAtMs !== null ? s.endedAtMs - s.startedAtMs : null;
}
