import { computeLag } from './computeLag';
import { replicationRequestOf, type LagMonitorConfig } from './config';
import { buildLagMetrics, buildReplicationMetrics, MetricName, Dimension, type LagMetric } from './metrics';
import type { LagReader } from './port';
import { computeReplicationLag } from './replication';
import { appendSample, sampleKey, type SampleStore } from './sampleStore';
import { evaluateStatus, toGroupSample, type GroupStatus } from './status';
import type { LagSnapshot, LagStatus, ReplicationLag } from './types';
import { describeError } from '../errors';

export interface LagMonitorDeps {
  /** A connected reader per configured cluster name, or the error that prevented connecting. */
  readers: Map<string, LagReader | Error>;
  store?: SampleStore;
  publish(metrics: LagMetric[]): Promise<{ requests: number }>;
  now?: () => number;
}

export interface LagMonitorReport {
  clusters: {
    cluster: string;
    durationMs: number;
    groups: { groupId: string; status: LagStatus; sumOffsetLag: string; maxOffsetLag: string; maxTimeLagMs: number | null; error?: string }[];
  }[];
  bridges: { bridgeId: string; sumOffsetLag: string; maxTimeLagMs: number | null; error?: string }[];
  metrics: number;
  requests: number;
}

/**
 * One run of the lag monitor: measure every configured cluster, extend each group's sample window in the
 * store, evaluate status, measure the bridges' replication lag, publish everything. A cluster or group that
 * cannot be read becomes an ERR status and a `LagMonitorError` metric, never silence; for a cluster whose
 * groups are chosen by pattern and cannot even be listed, that is reported under the group name `*`.
 *
 * @example
 * ```ts
 * const report = await runLagMonitor(config, { readers, store, publish: (m) => publishMetrics(cw, config.namespace, m) });
 * ```
 */
export async function runLagMonitor(config: LagMonitorConfig, deps: LagMonitorDeps): Promise<LagMonitorReport> {
  const now = deps.now ?? Date.now;
  const metrics: LagMetric[] = [];
  const report: LagMonitorReport = { clusters: [], bridges: [], metrics: 0, requests: 0 };

  const snapshots = await Promise.all(
    config.clusters.map(async (c): Promise<LagSnapshot> => {
      const reader = deps.readers.get(c.name);
      const groups = c.groups;
      try {
        if (!reader) throw new Error(`no reader for cluster ${c.name}`);
        if (reader instanceof Error) throw reader;
        // Results carry the configured name (the metric dimension), whatever the reader calls itself.
        const snapshot = await computeLag(
          reader,
          {
            ...(groups ? { groups } : {}),
            ...(c.include ? { include: new RegExp(c.include) } : {}),
            ...(c.exclude ? { exclude: new RegExp(c.exclude) } : {}),
          },
          { now },
        );
        return { ...snapshot, cluster: c.name, groups: snapshot.groups.map((g) => ({ ...g, cluster: c.name })) };
      } catch (err) {
        const atMs = now();
        const error = describeError(err);
        const ids = groups && groups.length > 0 ? groups : ['*'];
        return {
          cluster: c.name,
          atMs,
          durationMs: 0,
          groups: ids.map((groupId) => ({ groupId, cluster: c.name, state: 'Unknown', members: 0, atMs, partitions: [], topics: [], sumOffsetLag: 0n, maxOffsetLag: 0n, maxTimeLagMs: null, error })),
        };
      }
    }),
  );

  const keys = snapshots.flatMap((s) => s.groups.map((g) => sampleKey(s.cluster, g.groupId)));
  const windows = deps.store ? await deps.store.load(keys) : new Map();
  const updates = new Map<string, ReturnType<typeof toGroupSample>[]>();
  for (const snapshot of snapshots) {
    const statuses = new Map<string, GroupStatus>();
    for (const g of snapshot.groups) {
      const k = sampleKey(snapshot.cluster, g.groupId);
      const window = appendSample(windows.get(k) ?? [], toGroupSample(g), config.window.samples);
      updates.set(k, window);
      statuses.set(g.groupId, evaluateStatus(window, { minSamples: config.window.minSamples }));
    }
    metrics.push(...buildLagMetrics(snapshot, statuses, { perPartition: config.perPartitionMetrics }));
    report.clusters.push({
      cluster: snapshot.cluster,
      durationMs: snapshot.durationMs,
      groups: snapshot.groups.map((g) => ({
        groupId: g.groupId,
        status: statuses.get(g.groupId)?.status ?? 'ERR',
        sumOffsetLag: g.sumOffsetLag.toString(),
        maxOffsetLag: g.maxOffsetLag.toString(),
        maxTimeLagMs: g.maxTimeLagMs,
        ...(g.error !== undefined ? { error: g.error } : {}),
      })),
    });
  }
  if (deps.store) await deps.store.save(updates);

  for (const b of config.bridges) {
    const source = deps.readers.get(b.sourceCluster);
    const progress = deps.readers.get(b.targetCluster);
    let lag: ReplicationLag;
    try {
      if (!source || source instanceof Error) throw source ?? new Error(`cluster ${b.sourceCluster} not configured`);
      if (!progress || progress instanceof Error) throw progress ?? new Error(`cluster ${b.targetCluster} not configured`);
      // The configured name is the metric dimension, whatever the reader calls itself (as for groups above).
      lag = { ...(await computeReplicationLag({ source, progress }, replicationRequestOf(b), { now })), sourceCluster: b.sourceCluster };
    } catch (err) {
      lag = { bridgeId: b.bridgeId, sourceCluster: b.sourceCluster, atMs: now(), partitions: [], sumOffsetLag: 0n, maxOffsetLag: 0n, maxTimeLagMs: null, error: describeError(err) };
    }
    metrics.push(...buildReplicationMetrics(lag));
    report.bridges.push({
      bridgeId: b.bridgeId,
      sumOffsetLag: lag.sumOffsetLag.toString(),
      maxTimeLagMs: lag.maxTimeLagMs,
      ...(lag.error !== undefined ? { error: lag.error } : {}),
    });
  }

  metrics.push({ name: MetricName.LagMonitorHeartbeat, dimensions: [{ name: Dimension.Monitor, value: config.monitorName }], value: 1, unit: 'Count', timestampMs: now() });
  const { requests } = await deps.publish(metrics);
  report.metrics = metrics.length;
  report.requests = requests;
  return report;
}
