import { PartitionFlag, type GroupLag, type ReplicationLag } from './types';

/** One observation for the drain predicate: the group(s) being cut over and, optionally, the bridge. */
export interface DrainSample {
  atMs: number;
  groups: GroupLag[];
  replication?: ReplicationLag;
}

export interface DrainOptions {
  /** At least this many consecutive samples… */
  minSamples: number;
  /** …spanning at least this long (first to last). */
  minWindowMs: number;
  /** Require replication data in every sample (the bridge must have caught up). */
  requireReplication?: boolean;
}

export interface DrainResult {
  drained: boolean;
  /** Why not (empty when drained). Capped at 50 lines plus a count. */
  reasons: string[];
  samples: number;
  spanMs: number;
}

const MAX_REASONS = 50;

/**
 * The cutover's drain predicate. Drained only when, over at least `minSamples` consecutive samples spanning at
 * least `minWindowMs`, every sample shows:
 * - every group readable and every partition with a commit, log offsets and lag exactly 0 (position at the
 *   last stable offset, markers skipped);
 * - no open transaction (last stable offset == high watermark);
 * - the source's high watermarks identical in every sample (no producer is writing);
 * - when replication is given (or required): every source partition replicated up to its end.
 * Missing data (no commit, deleted topic, unreadable group, absent replication) is "not drained".
 *
 * @example
 * ```ts
 * const { drained, reasons } = isDrained(samples, { minSamples: 3, minWindowMs: 30_000 });
 * if (!drained) throw new NotReadyError(`not drained: ${reasons.join('; ')}`);
 * ```
 */
export function isDrained(samples: DrainSample[], options: DrainOptions): DrainResult {
  const window = [...samples].sort((a, b) => a.atMs - b.atMs);
  const reasons = new Set<string>();
  const first = window[0];
  const last = window[window.length - 1];
  const spanMs = first && last ? last.atMs - first.atMs : 0;
  if (window.length < options.minSamples) reasons.add(`only ${window.length} of ${options.minSamples} samples`);
  if (spanMs < options.minWindowMs) reasons.add(`samples span ${spanMs} ms, need ${options.minWindowMs} ms`);

  const endSeen = new Map<string, bigint>();
  const checkEnd = (what: string, hwm: bigint): void => {
    const before = endSeen.get(what);
    if (before === undefined) endSeen.set(what, hwm);
    else if (before !== hwm) reasons.add(`${what}: end offset moved from ${before} to ${hwm} (still being written)`);
  };

  for (const s of window) {
    if (s.groups.length === 0) reasons.add('a sample has no group');
    for (const g of s.groups) {
      if (g.error !== undefined) {
        reasons.add(`group ${g.groupId}: cannot be read (${g.error})`);
        continue;
      }
      if (g.partitions.length === 0) reasons.add(`group ${g.groupId}: no partitions`);
      for (const p of g.partitions) {
        const where = `group ${g.groupId} ${p.topic}[${p.partition}]`;
        if (p.flags.includes(PartitionFlag.TopicDeleted)) reasons.add(`${where}: topic deleted`);
        if (p.committedOffset === null) reasons.add(`${where}: no committed offset`);
        if (p.highWatermark === null || p.endOffset === null) {
          reasons.add(`${where}: log offsets unknown`);
          continue;
        }
        if (p.endOffset !== p.highWatermark) reasons.add(`${where}: open transaction (LSO ${p.endOffset} < HWM ${p.highWatermark})`);
        if (p.offsetLag === null) reasons.add(`${where}: lag unknown`);
        else if (p.offsetLag !== 0n) reasons.add(`${where}: lag ${p.offsetLag}`);
        checkEnd(`${g.cluster} ${p.topic}[${p.partition}]`, p.highWatermark);
      }
    }
    const r = s.replication;
    if (!r) {
      if (options.requireReplication) reasons.add('a sample has no replication data');
      continue;
    }
    if (r.error !== undefined) {
      reasons.add(`bridge ${r.bridgeId}: cannot be read (${r.error})`);
      continue;
    }
    if (r.partitions.length === 0) reasons.add(`bridge ${r.bridgeId}: no partitions`);
    for (const p of r.partitions) {
      const where = `bridge ${r.bridgeId} ${p.sourceTopic}[${p.partition}]`;
      if (p.replicatedOffset === null) reasons.add(`${where}: nothing replicated yet`);
      if (p.sourceHighWatermark === null || p.sourceEndOffset === null) {
        reasons.add(`${where}: source offsets unknown`);
        continue;
      }
      if (p.sourceEndOffset !== p.sourceHighWatermark) reasons.add(`${where}: open transaction on the source`);
      if (p.offsetLag === null) reasons.add(`${where}: replication lag unknown`);
      else if (p.offsetLag !== 0n) reasons.add(`${where}: replication lag ${p.offsetLag}`);
      checkEnd(`${r.sourceCluster} ${p.sourceTopic}[${p.partition}]`, p.sourceHighWatermark);
    }
  }
  const list = [...reasons];
  const capped = list.length > MAX_REASONS ? [...list.slice(0, MAX_REASONS), `… and ${list.length - MAX_REASONS} more`] : list;
  return { drained: list.length === 0, reasons: capped, samples: window.length, spanMs };
}
