import type { GroupSelection, LagReader, NextRecordRequest } from './port';
import {
  PartitionFlag,
  type CommittedOffset,
  type GroupDescription,
  type GroupLag,
  type LagSnapshot,
  type NextRecord,
  type PartitionLag,
  type PartitionOffsets,
  type TopicLagSummary,
} from './types';
import { describeError } from '../errors';

/** Where a group will read next in one partition, after the clamping rules. */
export interface Position {
  /** The clamped position, or null when there is nothing to measure from (no commit, deleted topic). */
  position: bigint | null;
  flags: PartitionFlag[];
}

/**
 * Apply the clamping rules to a committed offset:
 * - no commit → position null, flag `noCommit` (lag is then unknown, never 0);
 * - topic deleted (no offsets) → null, flag `topicDeleted`;
 * - committed < log start → log start, flag `dataLoss` (the consumer would skip deleted records);
 * - committed > high watermark → the stable end, flag `aboveEnd`;
 * - last stable offset < high watermark → flag `openTransaction`.
 *
 * @example
 * ```ts
 * clampPosition(5n, { topic: 't', partition: 0, logStartOffset: 10n, highWatermark: 20n, lastStableOffset: 20n });
 * // { position: 10n, flags: ['dataLoss'] }
 * ```
 */
export function clampPosition(committed: bigint | null, offsets: PartitionOffsets | undefined): Position {
  if (!offsets) return { position: null, flags: [PartitionFlag.TopicDeleted] };
  const flags: PartitionFlag[] = [];
  if (offsets.lastStableOffset < offsets.highWatermark) flags.push(PartitionFlag.OpenTransaction);
  if (committed === null) return { position: null, flags: [PartitionFlag.NoCommit, ...flags] };
  if (committed < offsets.logStartOffset) return { position: offsets.logStartOffset, flags: [PartitionFlag.DataLoss, ...flags] };
  if (committed > offsets.highWatermark) return { position: offsets.lastStableOffset, flags: [PartitionFlag.AboveEnd, ...flags] };
  return { position: committed, flags };
}

/**
 * Finish one partition's numbers from its clamped position and (when it lags) the next consumable record.
 * Offset lag is measured against the last stable offset, from the next *consumable* record: control markers
 * and aborted records between the position and that record are not lag, so a transactional topic drains to 0.
 *
 * @example
 * ```ts
 * finishPartition({ topic: 't', partition: 0, committed: 10n, offsets, position: { position: 10n, flags: [] },
 *   next: { topic: 't', partition: 0, fromOffset: 10n, recordOffset: 10n, timestampMs: 1_000 }, nowMs: 4_000,
 *   consumerId: null }).timeLagMs; // 3000
 * ```
 */
export function finishPartition(input: {
  topic: string;
  partition: number;
  committed: bigint | null;
  offsets: PartitionOffsets | undefined;
  position: Position;
  next: NextRecord | undefined;
  nowMs: number;
  consumerId: string | null;
}): PartitionLag {
  const { topic, partition, committed, offsets, position, next, nowMs, consumerId } = input;
  const flags = [...position.flags];
  const base = {
    topic,
    partition,
    committedOffset: committed,
    logStartOffset: offsets?.logStartOffset ?? null,
    highWatermark: offsets?.highWatermark ?? null,
    endOffset: offsets?.lastStableOffset ?? null,
    consumerId,
  };
  if (position.position === null || !offsets) {
    return { ...base, offsetLag: null, timeLagMs: null, flags };
  }
  const end = offsets.lastStableOffset;
  let from = position.position;
  if (from >= end) return { ...base, offsetLag: 0n, timeLagMs: 0, flags };

  let timeLagMs: number | null = null;
  if (next && next.recordOffset === null) {
    flags.push(PartitionFlag.OnlyControlRecords);
    return { ...base, offsetLag: 0n, timeLagMs: 0, flags };
  }
  if (next && typeof next.recordOffset === 'bigint' && next.timestampMs !== undefined && Number.isFinite(next.timestampMs)) {
    if (next.recordOffset > from) from = next.recordOffset < end ? next.recordOffset : end;
    // Producer clocks may be ahead of ours; a negative time lag means "just written".
    timeLagMs = Math.max(0, nowMs - next.timestampMs);
  } else {
    flags.push(PartitionFlag.TimeLagUnknown);
  }
  return { ...base, offsetLag: end - from, timeLagMs, flags };
}

/**
 * Sum/max per topic and per group. Partitions with unknown lag (no commit, deleted topic) add nothing to
 * the sums but are counted in `partitionsWithoutCommit` so they cannot hide.
 *
 * @example
 * ```ts
 * const { topics, sumOffsetLag } = summarize(partitions);
 * ```
 */
export function summarize(partitions: PartitionLag[]): {
  topics: TopicLagSummary[];
  sumOffsetLag: bigint;
  maxOffsetLag: bigint;
  maxTimeLagMs: number | null;
} {
  const byTopic = new Map<string, TopicLagSummary>();
  for (const p of partitions) {
    let t = byTopic.get(p.topic);
    if (!t) {
      t = { topic: p.topic, sumOffsetLag: 0n, maxOffsetLag: 0n, maxTimeLagMs: null, partitions: 0, partitionsWithoutCommit: 0 };
      byTopic.set(p.topic, t);
    }
    t.partitions += 1;
    if (p.committedOffset === null) t.partitionsWithoutCommit += 1;
    if (p.offsetLag !== null) {
      t.sumOffsetLag += p.offsetLag;
      if (p.offsetLag > t.maxOffsetLag) t.maxOffsetLag = p.offsetLag;
    }
    if (p.timeLagMs !== null) t.maxTimeLagMs = Math.max(t.maxTimeLagMs ?? 0, p.timeLagMs);
  }
  const topics = [...byTopic.values()].sort((a, b) => a.topic.localeCompare(b.topic));
  let sumOffsetLag = 0n;
  let maxOffsetLag = 0n;
  let maxTimeLagMs: number | null = null;
  for (const t of topics) {
    sumOffsetLag += t.sumOffsetLag;
    if (t.maxOffsetLag > maxOffsetLag) maxOffsetLag = t.maxOffsetLag;
    if (t.maxTimeLagMs !== null) maxTimeLagMs = Math.max(maxTimeLagMs ?? 0, t.maxTimeLagMs);
  }
  return { topics, sumOffsetLag, maxOffsetLag, maxTimeLagMs };
}

/**
 * Pick the groups to measure. An explicit list wins; otherwise every `consumer` (or offsets-only, protocol
 * type `''`) group matching `include` and not matching `exclude`. Sorted for stable output.
 *
 * @example
 * ```ts
 * await selectGroups(reader, { include: /^orders-/ });
 * ```
 */
export async function selectGroups(reader: Pick<LagReader, 'listGroups'>, selection: GroupSelection): Promise<string[]> {
  if (selection.groups && selection.groups.length > 0) return [...new Set(selection.groups)];
  const all = await reader.listGroups();
  return all
    .filter((g) => g.protocolType === 'consumer' || g.protocolType === '')
    .map((g) => g.groupId)
    .filter((id) => (selection.include ? selection.include.test(id) : true))
    .filter((id) => (selection.exclude ? !selection.exclude.test(id) : true))
    .sort();
}

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/**
 * Measure lag for a set of groups on one cluster (`timeLag: false` skips the record fetches; time lags are then null): one DescribeGroups per coordinator, one OffsetFetch per
 * group (all in parallel), three ListOffsets per leader for all topics together, and one Fetch per leader
 * (per round) for the next record of every lagging partition.
 *
 * Rules: every partition of every topic a group has committed on or is assigned is reported (so partitions
 * added later appear, as `noCommit`); see {@link clampPosition} and {@link finishPartition}. A group whose
 * offsets cannot be read is reported with `error` set, never dropped. A named group that does not exist
 * (state `Dead`, no commits) is reported with `error` too.
 *
 * @example
 * ```ts
 * const snapshot = await computeLag(reader, { include: /^payments/ });
 * for (const g of snapshot.groups) console.log(g.groupId, g.sumOffsetLag);
 * ```
 */
export async function computeLag(
  reader: LagReader,
  selection: GroupSelection,
  options: { now?: () => number; timeLag?: boolean } = {},
): Promise<LagSnapshot> {
  const now = options.now ?? Date.now;
  const started = now();
  const groupIds = await selectGroups(reader, selection);
  if (groupIds.length === 0) return { cluster: reader.cluster, atMs: started, groups: [], durationMs: now() - started };

  const [descriptions, committedByGroup] = await Promise.all([
    reader.describeGroups(groupIds).catch((err: unknown) => err as Error),
    reader.fetchCommittedOffsets(groupIds),
  ]);
  const describeFailed = descriptions instanceof Error ? descriptions : undefined;
  const descById = new Map<string, GroupDescription>(
    describeFailed ? [] : (descriptions as GroupDescription[]).map((d) => [d.groupId, d]),
  );

  // Topics per group = committed ∪ assigned.
  const topicsByGroup = new Map<string, Set<string>>();
  const allTopics = new Set<string>();
  for (const id of groupIds) {
    const set = new Set<string>();
    const committed = committedByGroup.get(id);
    if (Array.isArray(committed)) for (const c of committed) set.add(c.topic);
    for (const m of descById.get(id)?.members ?? []) for (const a of m.assignment) set.add(a.topic);
    topicsByGroup.set(id, set);
    for (const t of set) allTopics.add(t);
  }

  const { partitions: offsetsList, missingTopics } =
    allTopics.size > 0 ? await reader.fetchPartitionOffsets([...allTopics].sort()) : { partitions: [], missingTopics: [] };
  const offsetsByKey = new Map(offsetsList.map((o) => [key(o.topic, o.partition), o]));
  const partitionsByTopic = new Map<string, number[]>();
  for (const o of offsetsList) {
    const list = partitionsByTopic.get(o.topic) ?? [];
    list.push(o.partition);
    partitionsByTopic.set(o.topic, list);
  }
  const missing = new Set(missingTopics);

  interface Pending {
    groupId: string;
    topic: string;
    partition: number;
    committed: bigint | null;
    offsets: PartitionOffsets | undefined;
    position: Position;
    consumerId: string | null;
  }
  const pendingByGroup = new Map<string, Pending[]>();
  const errors = new Map<string, string>();
  for (const id of groupIds) {
    const committed = committedByGroup.get(id);
    if (committed === undefined || committed instanceof Error) {
      errors.set(id, committed ? describeError(committed) : 'no answer for this group');
      continue;
    }
    if (describeFailed) {
      errors.set(id, `DescribeGroups failed: ${describeError(describeFailed)}`);
      continue;
    }
    const desc = descById.get(id);
    if (committed.length === 0 && (!desc || desc.state === 'Dead') && (desc?.members.length ?? 0) === 0) {
      errors.set(id, `group "${id}" does not exist (no members and no committed offsets)`);
      continue;
    }
    const committedByKey = new Map<string, CommittedOffset>(committed.map((c) => [key(c.topic, c.partition), c]));
    const owner = new Map<string, string>();
    for (const m of desc?.members ?? []) {
      for (const a of m.assignment) for (const p of a.partitions) owner.set(key(a.topic, p), m.memberId);
    }
    const rows: Pending[] = [];
    for (const topic of [...(topicsByGroup.get(id) ?? [])].sort()) {
      const partitions = missing.has(topic)
        ? [...new Set(committed.filter((c) => c.topic === topic).map((c) => c.partition))]
        : (partitionsByTopic.get(topic) ?? []);
      for (const partition of [...partitions].sort((a, b) => a - b)) {
        const k = key(topic, partition);
        const c = committedByKey.get(k)?.offset ?? null;
        const offsets = offsetsByKey.get(k);
        rows.push({ groupId: id, topic, partition, committed: c, offsets, position: clampPosition(c, offsets), consumerId: owner.get(k) ?? null });
      }
    }
    pendingByGroup.set(id, rows);
  }

  // Many groups often sit at the same position of a partition: fetch each (partition, position) once.
  const requests = new Map<string, NextRecordRequest>();
  for (const rows of pendingByGroup.values()) {
    for (const r of rows) {
      if (r.position.position === null || !r.offsets || r.position.position >= r.offsets.lastStableOffset) continue;
      const k = `${key(r.topic, r.partition)}\u0000${r.position.position}`;
      if (!requests.has(k)) requests.set(k, { topic: r.topic, partition: r.partition, offset: r.position.position, endOffset: r.offsets.lastStableOffset });
    }
  }
  const nextRecords = requests.size > 0 && options.timeLag !== false ? await reader.fetchNextRecords([...requests.values()]) : [];
  const nextByKey = new Map(nextRecords.map((n) => [`${key(n.topic, n.partition)}\u0000${n.fromOffset}`, n]));
  const atMs = now();

  const groups: GroupLag[] = groupIds.map((id) => {
    const desc = descById.get(id);
    const baseGroup = { groupId: id, cluster: reader.cluster, state: desc?.state ?? 'Unknown', members: desc?.members.length ?? 0, atMs } as const;
    const error = errors.get(id);
    if (error !== undefined) {
      return { ...baseGroup, partitions: [], topics: [], sumOffsetLag: 0n, maxOffsetLag: 0n, maxTimeLagMs: null, error };
    }
    const partitions = (pendingByGroup.get(id) ?? []).map((r) =>
      finishPartition({
        ...r,
        next: r.position.position === null ? undefined : nextByKey.get(`${key(r.topic, r.partition)}\u0000${r.position.position}`),
        nowMs: atMs,
      }),
    );
    return { ...baseGroup, partitions, ...summarize(partitions) };
  });
  return { cluster: reader.cluster, atMs, groups, durationMs: now() - started };
}
