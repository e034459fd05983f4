import type { RehearsalCounts, RehearsalReport } from '../../../../src/local/rehearsal/report';

/** An ISO timestamp `ms` after the epoch, as audit records and reports carry them. */
export const at = (ms: number): string => new Date(ms).toISOString();

/**
 * The counts of a clean run: 10 records produced (6 on the source, 4 on the target), 6 replicated, 10 consumed
 * (6 on the source, 4 on the target), nothing lost, duplicated or missing. No failback (reverse bridge) counts:
 * a test that needs them, or another split of the consumed records, says so in `over`.
 */
export const counts = (over: Partial<RehearsalCounts> = {}): RehearsalCounts => ({
  produced: 10,
  producedOnSource: 6,
  producedOnTarget: 4,
  replicated: 6,
  replicatedDuplicates: 0,
  replicationMissing: 0,
  consumed: 10,
  consumedOnSource: 6,
  consumedOnTarget: 4,
  uniqueConsumed: 10,
  lost: 0,
  duplicated: 0,
  orderViolations: 0,
  unacknowledgedConsumed: 0,
  foreign: 0,
  unsent: 0,
  ...over,
});

/**
 * The report of a passed one-minute run (stop-drain-switch, one topic, one partition) with `counts()`, no gaps,
 * no series, and a cutover whose one step (preflight) succeeded; `over` replaces whole top-level fields.
 */
export const rehearsalReport = (over: Partial<RehearsalReport> = {}): RehearsalReport => ({
  reportVersion: 1,
  runId: 'reh-1',
  ok: true,
  failures: [],
  startedAt: at(0),
  finishedAt: at(60_000),
  durationMs: 60_000,
  settings: { pattern: 'stop-drain-switch', ratePerSecond: 100, durationSeconds: 30, topics: 1, partitions: 1, kafkaVersion: '3.9.2' },
  environment: { source: 's:1', target: 't:1', topics: ['t'], consumerGroups: ['g'], bridgeId: 'b', bridgeGroups: ['bg'], configStore: 'c.json', auditLog: 'a.jsonl', controlUrl: null },
  counts: counts(),
  lostRanges: [],
  duplicates: [],
  availability: { writeUnavailableMs: 1200, writeGap: null, fencedMs: 1100, readUnavailableMs: 900, readGap: null, maxEndToEndMs: 2000, timeToDrainMs: 3000, catchUpMs: 200 },
  phases: [],
  cutover: { status: 'succeeded', startedAtMs: 5000, endedAtMs: 20_000, runner: 'test', steps: [{ step: 'preflight', startedAtMs: 5000, endedAtMs: 6000, attempts: 1, status: 'succeeded' }] },
  producerEvents: [],
  series: [],
  ...over,
});
