import type { LagMonitorConfig } from '../src/lag/config';
import { Dimension, MetricName } from '../src/lag/metrics';
import type { CfnResource } from './dashboard';

/** A function name as a string or a CloudFormation reference (e.g. `{ Ref: 'LagMonitorLambdaFunction' }`). */
export type CfnString = string | Record<string, unknown>;

const logicalId = (...parts: string[]): string =>
  parts
    .map((p) => p.replace(/[^A-Za-z0-9]+/g, ' ').trim().split(' ').map((w) => (w ? w[0]!.toUpperCase() + w.slice(1) : '')).join(''))
    .join('')
    .slice(0, 255);

/**
 * CloudWatch alarms for the lag monitor, generated from its configuration. Every alarm treats missing data as
 * breaching: a monitor that stops publishing must not look healthy. Per cluster: worst offset lag and time lag
 * above the thresholds, status not OK, a group that cannot be read; per explicitly named group: status not OK;
 * per bridge: replication unreadable; and the monitor itself: no heartbeat, or Lambda errors when
 * `functionName` is given.
 *
 * @example
 * ```ts
 * const resources = { ...buildAlarms(config, { functionName: { Ref: 'LagDashmonitorLambdaFunction' } }) };
 * ```
 */
export function buildAlarms(config: LagMonitorConfig, options: { functionName?: CfnString } = {}): Record<string, CfnResource> {
  const a = config.alarms;
  const ns = config.namespace;
  const resources: Record<string, CfnResource> = {};
  const alarm = (
    id: string,
    description: string,
    metric: { namespace?: string; name: string; dimensions: { Name: string; Value: CfnString }[]; stat: string },
    comparison: string,
    threshold: number,
  ): void => {
    resources[id] = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmDescription: description,
        Namespace: metric.namespace ?? ns,
        MetricName: metric.name,
        Dimensions: metric.dimensions,
        Statistic: metric.stat,
        Period: a.periodSeconds,
        EvaluationPeriods: a.evaluationPeriods,
        DatapointsToAlarm: a.evaluationPeriods,
        ComparisonOperator: comparison,
        Threshold: threshold,
        TreatMissingData: 'breaching',
        ...(a.actions.length > 0 ? { AlarmActions: a.actions, OKActions: a.actions } : {}),
      },
    };
  };
  for (const c of config.clusters) {
    const cluster = [{ Name: Dimension.Cluster, Value: c.name }];
    alarm(logicalId('LagHigh', c.name), `${c.name}: a consumer group lags more than ${a.maxOffsetLag} records`, { name: MetricName.MaxOffsetLag, dimensions: cluster, stat: 'Maximum' }, 'GreaterThanThreshold', a.maxOffsetLag);
    alarm(logicalId('TimeLagHigh', c.name), `${c.name}: a consumer group is more than ${a.maxTimeLagSeconds} s behind`, { name: MetricName.EstimatedMaxTimeLag, dimensions: cluster, stat: 'Maximum' }, 'GreaterThanThreshold', a.maxTimeLagSeconds);
    alarm(logicalId('StatusNotOk', c.name), `${c.name}: a consumer group is not OK (WARN, REWIND, STALL, STOP or ERR)`, { name: MetricName.ConsumerGroupStatus, dimensions: cluster, stat: 'Maximum' }, 'GreaterThanOrEqualToThreshold', 1);
    alarm(logicalId('GroupUnreadable', c.name), `${c.name}: the lag monitor cannot read a consumer group`, { name: MetricName.LagMonitorError, dimensions: cluster, stat: 'Maximum' }, 'GreaterThanOrEqualToThreshold', 1);
    for (const g of c.groups ?? []) {
      alarm(logicalId('StatusNotOk', c.name, g), `${c.name}/${g}: consumer group status is not OK`, { name: MetricName.ConsumerGroupStatus, dimensions: [...cluster, { Name: Dimension.Group, Value: g }], stat: 'Maximum' }, 'GreaterThanOrEqualToThreshold', 1);
    }
  }
  for (const b of config.bridges) {
    alarm(logicalId('ReplicationUnreadable', b.bridgeId), `bridge ${b.bridgeId}: replication lag cannot be measured`, {
      name: MetricName.LagMonitorError,
      dimensions: [{ Name: Dimension.Cluster, Value: b.sourceCluster }, { Name: Dimension.Bridge, Value: b.bridgeId }],
      stat: 'Maximum',
    }, 'GreaterThanOrEqualToThreshold', 1);
  }
  alarm(logicalId('LagMonitorNotRunning', config.monitorName), `${config.monitorName}: no heartbeat (the monitor is not running or cannot publish)`, {
    name: MetricName.LagMonitorHeartbeat,
    dimensions: [{ Name: Dimension.Monitor, Value: config.monitorName }],
    stat: 'SampleCount',
  }, 'LessThanThreshold', 1);
  if (options.functionName !== undefined) {
    resources[logicalId('LagMonitorErrors', config.monitorName)] = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmDescription: `${config.monitorName}: the Lambda function fails`,
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: options.functionName }],
        Statistic: 'Sum',
        Period: a.periodSeconds,
        EvaluationPeriods: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
        // No invocation means no Errors datapoint; the heartbeat alarm covers "not running".
        TreatMissingData: 'notBreaching',
        ...(a.actions.length > 0 ? { AlarmActions: a.actions, OKActions: a.actions } : {}),
      },
    };
  }
  return resources;
}
