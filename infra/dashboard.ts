import type { LagMonitorConfig } from '../src/lag/config';
import { Dimension, MetricName } from '../src/lag/metrics';

/** A CloudFormation resource, ready to embed under `resources.Resources` in serverless.yml. */
export interface CfnResource {
  Type: string;
  Properties: Record<string, unknown>;
}

const q = (s: string): string => `"${s.replace(/"/g, '\\"')}"`;

/**
 * The CloudWatch dashboard of the lag monitor, generated from the same configuration the Lambda runs with:
 * per cluster the worst lag/time lag/status over all groups, per group (SEARCH, so pattern-selected groups
 * appear as they come) sum/max lag and time lag, per bridge the replication lag, and the monitor's health.
 *
 * @example
 * ```ts
 * const resources = { LagDashboard: buildDashboard(config) };
 * ```
 */
export function buildDashboard(config: LagMonitorConfig, options: { dashboardName?: string } = {}): CfnResource {
  const ns = config.namespace;
  const period = config.alarms.periodSeconds;
  const widgets: Record<string, unknown>[] = [];
  let y = 0;
  const add = (title: string, metrics: unknown[], extra: Record<string, unknown> = {}, width = 12): void => {
    const x = widgets.length % 2 === 0 || width === 24 ? 0 : 12;
    widgets.push({ type: 'metric', x, y, width, height: 6, properties: { title, region: '${AWS::Region}', view: 'timeSeries', stat: 'Maximum', period, metrics, ...extra } });
    if (x === 12 || width === 24) y += 6;
  };
  const search = (schema: string[], metric: string, filter: string, stat = 'Maximum', id = 'e1'): unknown[] => [
    { expression: `SEARCH('{${ns},${schema.map(q).join(',')}} MetricName=${q(metric)} ${filter}', '${stat}', ${period})`, id },
  ];

  for (const c of config.clusters) {
    const cluster = `${q(Dimension.Cluster)}=${q(c.name)}`;
    add(`${c.name}: worst offset lag (all groups)`, [[ns, MetricName.MaxOffsetLag, Dimension.Cluster, c.name]]);
    add(`${c.name}: worst time lag, seconds`, [[ns, MetricName.EstimatedMaxTimeLag, Dimension.Cluster, c.name]]);
    add(`${c.name}: SumOffsetLag per group and topic`, search([Dimension.Cluster, Dimension.Group, Dimension.Topic], MetricName.SumOffsetLag, cluster));
    add(`${c.name}: EstimatedMaxTimeLag per group and topic`, search([Dimension.Cluster, Dimension.Group, Dimension.Topic], MetricName.EstimatedMaxTimeLag, cluster));
    add(`${c.name}: status per group (0 OK, 1 WARN, 2 REWIND, 3 STALL, 4 STOP, 5 ERR)`, search([Dimension.Cluster, Dimension.Group], MetricName.ConsumerGroupStatus, cluster), {
      yAxis: { left: { min: 0, max: 5 } },
    });
    add(`${c.name}: unreadable groups and partitions without commit`, [
      [ns, MetricName.LagMonitorError, Dimension.Cluster, c.name, { stat: 'Sum' }],
      ...search([Dimension.Cluster, Dimension.Group, Dimension.Topic], MetricName.PartitionsWithoutCommit, cluster, 'Maximum', 'e2'),
    ]);
  }
  for (const b of config.bridges) {
    const filter = `${q(Dimension.Cluster)}=${q(b.sourceCluster)} ${q(Dimension.Bridge)}=${q(b.bridgeId)}`;
    add(`bridge ${b.bridgeId}: ReplicationLag per topic`, search([Dimension.Cluster, Dimension.Bridge, Dimension.Topic], MetricName.ReplicationLag, filter));
    add(`bridge ${b.bridgeId}: ReplicationTimeLag per topic, seconds`, search([Dimension.Cluster, Dimension.Bridge, Dimension.Topic], MetricName.ReplicationTimeLag, filter));
  }
  add('lag monitor: runs per period (missing = monitor not running)', [[ns, MetricName.LagMonitorHeartbeat, Dimension.Monitor, config.monitorName, { stat: 'SampleCount' }]], {}, 24);

  return {
    Type: 'AWS::CloudWatch::Dashboard',
    Properties: {
      DashboardName: options.dashboardName ?? config.monitorName,
      // Fn::Sub fills ${AWS::Region}; the body has no other "${".
      DashboardBody: { 'Fn::Sub': JSON.stringify({ widgets }) },
    },
  };
}
