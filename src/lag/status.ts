import { LagStatus, type GroupLag, type GroupState } from './types';

/**
 * One group's measurement reduced to what status rules and the sample store need. Offsets are decimal
 * strings so a sample survives JSON (DynamoDB, files) unchanged.
 */
export interface GroupSample {
  atMs: number;
  state: GroupState;
  members: number;
  /** Set when the group could not be read in this sample. */
  error?: string;
  partitions: { topic: string; partition: number; committed: string | null; lag: string | null }[];
}

/**
 * Reduce a {@link GroupLag} to a {@link GroupSample}.
 *
 * @example
 * ```ts
 * const sample = toGroupSample(snapshot.groups[0]);
 * ```
 */
export function toGroupSample(group: GroupLag): GroupSample {
  return {
    atMs: group.atMs,
    state: group.state,
    members: group.members,
    ...(group.error !== undefined ? { error: group.error } : {}),
    partitions: group.partitions.map((p) => ({
      topic: p.topic,
      partition: p.partition,
      committed: p.committedOffset === null ? null : p.committedOffset.toString(),
      lag: p.offsetLag === null ? null : p.offsetLag.toString(),
    })),
  };
}

/** Severity order; the status metric publishes this number. */
export const StatusSeverity: Record<LagStatus, number> = { OK: 0, WARN: 1, REWIND: 2, STALL: 3, STOP: 4, ERR: 5 };

export interface PartitionStatus {
  topic: string;
  partition: number;
  status: LagStatus;
  reason: string;
}

export interface GroupStatus {
  status: LagStatus;
  /** False when the window held fewer than `minSamples` samples: only the instantaneous rules applied. */
  complete: boolean;
  /** The partitions that are not OK (worst first), with why. */
  partitions: PartitionStatus[];
  reason: string;
}

/**
 * Burrow-style status of one group over a window of samples (oldest first). Rules, per partition with a
 * commit, first match wins (written out in docs/lag-status.md):
 * 1. **REWIND** — the committed offset went backwards between two consecutive samples.
 * 2. **OK** — the lag was 0 in at least one sample of the window.
 * 3. **STOP** — the committed offset did not move over the whole window, lag > 0 throughout, and the group has
 *    no members in the latest sample (the consumers are gone).
 * 4. **STALL** — same, but the group has members (consumers alive and not committing).
 * 5. **WARN** — the committed offset moved, but the lag never fell between two samples and grew over the window
 *    (consumers slower than producers).
 * 6. **OK** otherwise.
 * The group status is its worst partition's (severity OK < WARN < REWIND < STALL < STOP < ERR); **ERR** when the
 * latest sample has an error (the group could not be read) or there is no sample at all. With fewer than
 * `minSamples` samples, rules 3–5 need evidence that is not there yet: the result is marked `complete: false`.
 *
 * @example
 * ```ts
 * const { status } = evaluateStatus(samples, { minSamples: 5 });
 * ```
 */
export function evaluateStatus(samples: GroupSample[], options: { minSamples?: number } = {}): GroupStatus {
  const minSamples = options.minSamples ?? 3;
  const window = [...samples].sort((a, b) => a.atMs - b.atMs);
  const latest = window[window.length - 1];
  if (!latest) return { status: LagStatus.ERR, complete: false, partitions: [], reason: 'no sample' };
  if (latest.error !== undefined) {
    return { status: LagStatus.ERR, complete: true, partitions: [], reason: `group could not be read: ${latest.error}` };
  }
  const readable = window.filter((s) => s.error === undefined);
  const complete = readable.length >= minSamples;

  const series = new Map<string, { topic: string; partition: number; points: { committed: bigint; lag: bigint | null }[] }>();
  for (const s of readable) {
    for (const p of s.partitions) {
      if (p.committed === null) continue;
      const k = `${p.topic}\u0000${p.partition}`;
      const entry = series.get(k) ?? { topic: p.topic, partition: p.partition, points: [] };
      entry.points.push({ committed: BigInt(p.committed), lag: p.lag === null ? null : BigInt(p.lag) });
      series.set(k, entry);
    }
  }
  const consumersGone = latest.members === 0;
  const results: PartitionStatus[] = [];
  for (const { topic, partition, points } of series.values()) {
    results.push({ topic, partition, ...partitionStatus(points, consumersGone, complete) });
  }
  results.sort((a, b) => StatusSeverity[b.status] - StatusSeverity[a.status] || a.topic.localeCompare(b.topic) || a.partition - b.partition);
  const worst = results[0];
  const notOk = results.filter((r) => r.status !== LagStatus.OK);
  if (!worst || worst.status === LagStatus.OK) {
    return { status: LagStatus.OK, complete, partitions: [], reason: complete ? 'all partitions OK' : `only ${readable.length} of ${minSamples} samples` };
  }
  return { status: worst.status, complete, partitions: notOk, reason: `${worst.topic}[${worst.partition}]: ${worst.reason}` };
}

function partitionStatus(
  points: { committed: bigint; lag: bigint | null }[],
  consumersGone: boolean,
  complete: boolean,
): { status: LagStatus; reason: string } {
  for (let i = 1; i < points.length; i++) {
    const prev = points[i - 1]!;
    const cur = points[i]!;
    if (cur.committed < prev.committed) {
      return { status: LagStatus.REWIND, reason: `committed offset went back from ${prev.committed} to ${cur.committed}` };
    }
  }
  if (points.some((p) => p.lag === 0n)) return { status: LagStatus.OK, reason: 'lag reached 0 in the window' };
  if (!complete || points.length < 2) return { status: LagStatus.OK, reason: 'not enough samples' };
  const lags = points.map((p) => p.lag);
  if (lags.some((l) => l === null)) return { status: LagStatus.OK, reason: 'lag unknown in part of the window' };
  const first = points[0]!;
  const last = points[points.length - 1]!;
  if (first.committed === last.committed) {
    return consumersGone
      ? { status: LagStatus.STOP, reason: `no commit progress at ${last.committed} with lag ${last.lag} and no members` }
      : { status: LagStatus.STALL, reason: `no commit progress at ${last.committed} with lag ${last.lag} while members are active` };
  }
  const nonDecreasing = lags.every((l, i) => i === 0 || (l as bigint) >= (lags[i - 1] as bigint));
  if (nonDecreasing && (last.lag as bigint) > (first.lag as bigint)) {
    return { status: LagStatus.WARN, reason: `lag grew from ${first.lag} to ${last.lag} while committing` };
  }
  return { status: LagStatus.OK, reason: 'consuming' };
}
