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

/** Which way a cutover moved the clients: to the target, or back to the source (`kbridge rehearse --failback`). */
export type CutoverDirection = 'forward' | 'failback';

export interface CutoverOutcome {
  status: 'succeeded' | 'failed' | 'skipped';
  /** Absent in reports written before `--failback` existed: forward. */
  direction?: CutoverDirection;
  cutoverId?: string;
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
  /** The reverse bridge's replication lag (target → source), with `--failback` only. */
  reverseBridgeLag?: string | null;
}

/** One cutover's unavailability windows: the longest pauses that began while it ran. */
export interface CutoverWindow {
  direction: CutoverDirection;
  status: CutoverOutcome['status'];
  startedAtMs: number | null;
  endedAtMs: number | null;
  /** Longest pause between acknowledged writes that began during this cutover. */
  writeUnavailableMs: number | null;
  writeGap: Gap | null;
  /** Producer fenced → producing again, from the producer's own events during this cutover. */
  fencedMs: number | null;
  /** Longest pause between consumed records that began during this cutover. */
  readUnavailableMs: number | null;
  readGap: Gap | null;
  /** Fence → drained (the waitDrained step of this cutover). */
  timeToDrainMs: number | null;
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
  /** With `--failback`: target-written records found on the source topics (the reverse bridge, read back). */
  reverseReplicated?: number;
  /** Target-written records found more than once on the source topics. */
  reverseReplicatedDuplicates?: number;
  /** Target-written (acknowledged) records missing from the source topics. */
  reverseReplicationMissing?: number;
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
    /** `--failback`: seconds on the target between the two cutovers. */
    failback?: { dwellSeconds: number };
    /** `--fail-at`: the step made to fail (of the failback with `--failback`). */
    failAt?: { direction: CutoverDirection; step: string };
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
    /** With `--failback`: the reverse bridge (its offset map lives on the source). */
    reverseBridge?: { bridgeId: string; bridgeGroups: string[]; offsetMapTopic: string };
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
    /** Per cutover (forward, then failback with `--failback`): the unavailability windows of each move. */
    windows?: CutoverWindow[];
  };
  phases: PhaseTiming[];
  /** The forward cutover. */
  cutover: CutoverOutcome;
  /** With `--failback`: the move back to the source with the reversed plan (`skipped` when the forward one failed). */
  failback?: CutoverOutcome;
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
export function evaluateRehearsal(
  counts: RehearsalCounts,
  cutover: Pick<CutoverOutcome, 'status' | 'error' | 'steps'>,
  extra: string[] = [],
  failback?: Pick<CutoverOutcome, 'status' | 'error' | 'steps'>,
): string[] {
  const failures: string[] = [];
  if (counts.produced === 0) failures.push('no record was produced: the load never ran');
  if (counts.lost > 0) failures.push(`${counts.lost} record(s) lost: acknowledged by the cluster but never consumed`);
  if (counts.duplicated > 0) failures.push(`${counts.duplicated} duplicate deliver${counts.duplicated === 1 ? 'y' : 'ies'} to the consumer group`);
  if (counts.orderViolations > 0) failures.push(`${counts.orderViolations} record(s) consumed out of order within a partition`);
  if (counts.replicatedDuplicates > 0) failures.push(`${counts.replicatedDuplicates} source record(s) appear more than once on the target topics`);
  if (counts.replicationMissing > 0) failures.push(`${counts.replicationMissing} source record(s) are missing from the target topics`);
  if ((counts.reverseReplicatedDuplicates ?? 0) > 0) failures.push(`${counts.reverseReplicatedDuplicates} target record(s) appear more than once on the source topics`);
  if ((counts.reverseReplicationMissing ?? 0) > 0) failures.push(`${counts.reverseReplicationMissing} target record(s) are missing from the source topics`);
  if (counts.unsent > 0) failures.push(`${counts.unsent} generated record(s) could not be sent before the end`);
  if (counts.foreign > 0) failures.push(`${counts.foreign} record(s) on the rehearsal topics were not written by this rehearsal`);
  const failedAt = (outcome: Pick<CutoverOutcome, 'error' | 'steps'>, what: string): string => {
    const failed = outcome.steps.find((s) => s.status === 'failed');
    return `${what} failed${failed ? ` at ${failed.step}` : ''}: ${outcome.error ?? failed?.error ?? 'unknown error'}`;
  };
  if (cutover.status === 'failed') failures.push(failedAt(cutover, 'cutover'));
  if (cutover.status === 'skipped') failures.push('the cutover did not run');
  if (failback?.status === 'failed') failures.push(failedAt(failback, 'failback'));
  // A failback skipped because the forward cutover failed is already named above.
  if (failback?.status === 'skipped' && cutover.status === 'succeeded') failures.push('the failback did not run');
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
  extra: Pick<RehearsalCounts, 'replicated' | 'replicatedDuplicates' | 'replicationMissing' | 'foreign' | 'unsent' | 'reverseReplicated' | 'reverseReplicatedDuplicates' | 'reverseReplicationMissing'>,
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
 * resumed); with `fromMs`/`toMs`, the first fence within that range (one cutover of several).
 *
 * @example
 * ```ts
 * fencedWindowMs([{ kind: 'paused', atMs: 10, ... }, { kind: 'resumed', atMs: 250, ... }]); // 240
 * ```
 */
export function fencedWindowMs(events: readonly ProducerEvent[], fromMs = Number.NEGATIVE_INFINITY, toMs = Number.POSITIVE_INFINITY): number | null {
  const paused = events.find((e) => e.kind === 'paused' && e.atMs >= fromMs && e.atMs <= toMs);
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

/**
 * The unavailability windows of one cutover: the longest write and read pauses that began while it ran (from the
 * ledger's gaps), its fence window and its drain time.
 *
 * @example
 * ```ts
 * cutoverWindow(report.failback, ledger.gapsStartingIn(start, end), producerEvents); // { direction: 'failback', writeUnavailableMs: 1800, ... }
 * ```
 */
export function cutoverWindow(
  cutover: CutoverOutcome,
  gaps: { writeGap: Gap | null; readGap: Gap | null },
  producerEvents: readonly ProducerEvent[],
): CutoverWindow {
  const from = cutover.startedAtMs ?? Number.POSITIVE_INFINITY;
  const to = cutover.endedAtMs ?? Number.POSITIVE_INFINITY;
  return {
    direction: cutover.direction ?? 'forward',
    status: cutover.status,
    startedAtMs: cutover.startedAtMs,
    endedAtMs: cutover.endedAtMs,
    writeUnavailableMs: gaps.writeGap?.ms ?? null,
    writeGap: gaps.writeGap,
    fencedMs: cutover.startedAtMs === null ? null : fencedWindowMs(producerEvents, from, to),
    readUnavailableMs: gaps.readGap?.ms ?? null,
    readGap: gaps.readGap,
    timeToDrainMs: stepDurationMs(cutover.steps, 'waitDrained') ?? stepDurationMs(cutover.steps, 'waitDrained:bridge'),
  };
}
