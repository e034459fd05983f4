import { describe, expect, it } from 'vitest';
import { buildAlarms } from '../../../infra/alarms';
import { buildDashboard } from '../../../infra/dashboard';
import { parseLagMonitorConfig } from '../../../src/lag/config';

const config = parseLagMonitorConfig({
  clusters: [{ name: 'source', groups: ['orders-app'] }, { name: 'target', include: '^orders' }],
  bridges: [{ bridgeId: 'orders', sourceCluster: 'source', targetCluster: 'target', sourceTopics: ['orders'] }],
  alarms: { maxOffsetLag: 500, actions: ['arn:aws:sns:us-east-1:123456789012:ops'] },
});

describe('buildAlarms', () => {
  it('generates lag, status, unreadable and monitor alarms that treat missing data as breaching', () => {
    // Act
    const alarms = buildAlarms(config, { functionName: { Ref: 'LagMonitorLambdaFunction' } });
    // Assess
    expect(Object.keys(alarms).sort()).toEqual([
      'GroupUnreadableSource',
      'GroupUnreadableTarget',
      'LagHighSource',
      'LagHighTarget',
      'LagMonitorErrorsKbridgeLagMonitor',
      'LagMonitorNotRunningKbridgeLagMonitor',
      'ReplicationUnreadableOrders',
      'StatusNotOkSource',
      'StatusNotOkSourceOrdersApp',
      'StatusNotOkTarget',
      'TimeLagHighSource',
      'TimeLagHighTarget',
    ]);
    expect(alarms.LagHighSource!.Properties).toMatchObject({
      Namespace: 'KafkaMskBridge',
      MetricName: 'MaxOffsetLag',
      Dimensions: [{ Name: 'Cluster Name', Value: 'source' }],
      Threshold: 500,
      TreatMissingData: 'breaching',
      AlarmActions: ['arn:aws:sns:us-east-1:123456789012:ops'],
    });
    expect(alarms.StatusNotOkSourceOrdersApp!.Properties.Dimensions).toEqual([
      { Name: 'Cluster Name', Value: 'source' },
      { Name: 'Consumer Group', Value: 'orders-app' },
    ]);
  });
});

describe('buildDashboard', () => {
  it('generates a dashboard body with a SEARCH per cluster metric and the bridge replication lag', () => {
    const dashboard = buildDashboard(config);
    const body = JSON.parse((dashboard.Properties.DashboardBody as { 'Fn::Sub': string })['Fn::Sub']) as { widgets: { properties: { metrics: unknown[] } }[] };
    const text = JSON.stringify(body);
    expect(dashboard.Type).toBe('AWS::CloudWatch::Dashboard');
    expect(text).toContain(`SEARCH('{KafkaMskBridge,\\"Cluster Name\\",\\"Consumer Group\\",\\"Topic\\"} MetricName=\\"SumOffsetLag\\" \\"Cluster Name\\"=\\"target\\"'`);
    expect(text).toContain('ReplicationTimeLag');
    expect(body.widgets.length).toBe(2 * 6 + 2 + 1);
  });
});
