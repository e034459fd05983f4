import { StatusSeverity, type GroupStatus } from './status';
import type { LagSnapshot, ReplicationLag } from './types';

/** One CloudWatch datum, SDK-independent; `publishMetrics` in `src/adapters/aws/metricsPublisher.ts` sends them. */
export interface LagMetric {
  name: string;
  dimensions: { name: string; value: string }[];
  value: number;
  unit: 'Count' | 'Seconds' | 'None';
  timestampMs: number;
}

/** Amazon MSK's dimension names, so MSK dashboards and alarms work on our metrics unchanged. */
export const Dimension = {
  Cluster: 'Cluster Name',
  Group: 'Consumer Group',
  Topic: 'Topic',
  Partition: 'Partition',
  Bridge: 'Bridge',
  Monitor: 'Monitor',
} as const;

/** Metric names: MSK's consumer-lag names plus the bridge's and the monitor's own. */
export const MetricName = {
  MaxOffsetLag: 'MaxOffsetLag',
  SumOffsetLag: 'SumOffsetLag',
  EstimatedMaxTimeLag: 'EstimatedMaxTimeLag',
  OffsetLag: 'OffsetLag',
  EstimatedTimeLag: 'EstimatedTimeLag',
  PartitionsWithoutCommit: 'PartitionsWithoutCommit',
  ConsumerGroupStatus: 'ConsumerGroupStatus',
  LagMonitorError: 'LagMonitorError',
  ReplicationLag: 'ReplicationLag',
  ReplicationTimeLag: 'ReplicationTimeLag',
  LagMonitorHeartbeat: 'LagMonitorHeartbeat',
} as const;

// CloudWatch accepts only ASCII dimension values (MSK drops such groups); replacing keeps the batch valid.
const dim = (name: string, value: string): { name: string; value: string } => ({
  name,
  value: value.replace(/[^\x20-\x7e]/g, '_').slice(0, 1024) || '_',
});

function finite(value: number | bigint): number | undefined {
  const n = typeof value === 'bigint' ? Number(value) : value;
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Shape one cluster's snapshot (and each group's status) into metrics:
 * - per group and topic: `MaxOffsetLag`, `SumOffsetLag`, `EstimatedMaxTimeLag` (seconds; MSK's unit),
 *   `PartitionsWithoutCommit`;
 * - per partition, only with `perPartition`: `OffsetLag`, `EstimatedTimeLag`;
 * - per group: `ConsumerGroupStatus` (OK 0, WARN 1, REWIND 2, STALL 3, STOP 4, ERR 5) and `LagMonitorError`
 *   (1 when the group could not be read, else 0 — an alarm needs the zeros);
 * - per cluster: the worst `MaxOffsetLag`, `EstimatedMaxTimeLag` and `ConsumerGroupStatus`, and the number of
 *   unreadable groups as `LagMonitorError`, for alarms that cover groups chosen by pattern.
 * Unknown values (no commit, unknown time lag) are left out, never sent as NaN or 0.
 *
 * @example
 * ```ts
 * const metrics = buildLagMetrics(snapshot, statuses, { perPartition: false });
 * ```
 */
export function buildLagMetrics(snapshot: LagSnapshot, statuses: Map<string, GroupStatus>, options: { perPartition: boolean }): LagMetric[] {
  const out: LagMetric[] = [];
  const t = snapshot.atMs;
  const cluster = dim(Dimension.Cluster, snapshot.cluster);
  const push = (name: string, dimensions: LagMetric['dimensions'], value: number | bigint | null, unit: LagMetric['unit']): void => {
    if (value === null) return;
    const v = finite(value);
    if (v !== undefined) out.push({ name, dimensions, value: v, unit, timestampMs: t });
  };
  let worstLag = 0n;
  let worstTime: number | null = null;
  let worstStatus = 0;
  let unreadable = 0;
  for (const g of snapshot.groups) {
    const group = [cluster, dim(Dimension.Group, g.groupId)];
    const severity = StatusSeverity[statuses.get(g.groupId)?.status ?? (g.error !== undefined ? 'ERR' : 'OK')];
    worstStatus = Math.max(worstStatus, severity);
    push(MetricName.ConsumerGroupStatus, group, severity, 'None');
    push(MetricName.LagMonitorError, group, g.error !== undefined ? 1 : 0, 'Count');
    if (g.error !== undefined) {
      unreadable += 1;
      continue;
    }
    for (const topic of g.topics) {
      const d = [...group, dim(Dimension.Topic, topic.topic)];
      push(MetricName.MaxOffsetLag, d, topic.maxOffsetLag, 'Count');
      push(MetricName.SumOffsetLag, d, topic.sumOffsetLag, 'Count');
      push(MetricName.EstimatedMaxTimeLag, d, topic.maxTimeLagMs === null ? null : topic.maxTimeLagMs / 1000, 'Seconds');
      push(MetricName.PartitionsWithoutCommit, d, topic.partitionsWithoutCommit, 'Count');
    }
    if (options.perPartition) {
      for (const p of g.partitions) {
        const d = [...group, dim(Dimension.Topic, p.topic), dim(Dimension.Partition, String(p.partition))];
        push(MetricName.OffsetLag, d, p.offsetLag, 'Count');
        push(MetricName.EstimatedTimeLag, d, p.timeLagMs === null ? null : p.timeLagMs / 1000, 'Seconds');
      }
    }
    if (g.maxOffsetLag > worstLag) worstLag = g.maxOffsetLag;
    if (g.maxTimeLagMs !== null) worstTime = Math.max(worstTime ?? 0, g.maxTimeLagMs);
  }
  push(MetricName.MaxOffsetLag, [cluster], worstLag, 'Count');
  push(MetricName.EstimatedMaxTimeLag, [cluster], (worstTime ?? 0) / 1000, 'Seconds');
  push(MetricName.ConsumerGroupStatus, [cluster], worstStatus, 'None');
  push(MetricName.LagMonitorError, [cluster], unreadable, 'Count');
  return out;
}

/**
 * Shape the bridge's replication lag: per source topic `ReplicationLag` (sum of offset lag) and
 * `ReplicationTimeLag` (oldest unreplicated record, seconds), dimensions `Cluster Name` (source), `Bridge`,
 * `Topic`; per bridge `LagMonitorError` (1 when unreadable).
 *
 * @example
 * ```ts
 * const metrics = buildReplicationMetrics(await computeReplicationLag(readers, request));
 * ```
 */
export function buildReplicationMetrics(lag: ReplicationLag): LagMetric[] {
  const out: LagMetric[] = [];
  const base = [dim(Dimension.Cluster, lag.sourceCluster), dim(Dimension.Bridge, lag.bridgeId)];
  out.push({ name: MetricName.LagMonitorError, dimensions: base, value: lag.error !== undefined ? 1 : 0, unit: 'Count', timestampMs: lag.atMs });
  if (lag.error !== undefined) return out;
  const byTopic = new Map<string, { sum: bigint; maxTime: number | null }>();
  for (const p of lag.partitions) {
    const t = byTopic.get(p.sourceTopic) ?? { sum: 0n, maxTime: null };
    if (p.offsetLag !== null) t.sum += p.offsetLag;
    if (p.timeLagMs !== null) t.maxTime = Math.max(t.maxTime ?? 0, p.timeLagMs);
    byTopic.set(p.sourceTopic, t);
  }
  for (const [topic, t] of byTopic) {
    const d = [...base, dim(Dimension.Topic, topic)];
    const sum = finite(t.sum);
    if (sum !== undefined) out.push({ name: MetricName.ReplicationLag, dimensions: d, value: sum, unit: 'Count', timestampMs: lag.atMs });
    if (t.maxTime !== null) out.push({ name: MetricName.ReplicationTimeLag, dimensions: d, value: t.maxTime / 1000, unit: 'Seconds', timestampMs: lag.atMs });
  }
  return out;
}
