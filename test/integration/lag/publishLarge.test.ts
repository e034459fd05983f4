import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import { resolveAwsClientConfig } from '../../../src/adapters/aws/clientConfig';
import { publishMetrics } from '../../../src/adapters/aws/metricsPublisher';
import type { LagMetric } from '../../../src/lag/metrics';
import { uniqueName } from '../../support/helpers';

// Real moto over HTTP. A lag monitor watching a few dozen groups sends PutMetricData bodies over 10 KiB, which the
// SDK gzips by default: AWS accepts that, moto answers 500 with an HTML page. The client settings from
// resolveAwsClientConfig switch compression off for a custom endpoint; this is the request that used to fail.
describe('publishMetrics against moto', () => {
  it('publishes a 1000-metric request (well over the 10 KiB compression threshold) and reads it back', async () => {
    // Prepare
    const aws = resolveAwsClientConfig(process.env);
    const cw = new CloudWatchClient(aws.cloudWatch ?? aws.client);
    const namespace = uniqueName('KafkaMskBridgeLarge');
    const now = Date.now();
    const metrics: LagMetric[] = Array.from({ length: 1000 }, (_, i) => ({
      name: 'SumOffsetLag',
      dimensions: [
        { name: 'Cluster Name', value: 'source' },
        { name: 'Consumer Group', value: `orders-consumer-group-${i}` },
        { name: 'Topic', value: 'orders' },
      ],
      value: i,
      unit: 'Count',
      timestampMs: now,
    }));

    // Act
    const result = await publishMetrics(cw, namespace, metrics);

    // Assess
    expect(aws.cloudWatch).toMatchObject({ disableRequestCompression: true });
    expect(result.requests).toBe(1);
    const data = await cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(now - 3_600_000),
        EndTime: new Date(now + 60_000),
        MetricDataQueries: [
          {
            Id: 'last',
            MetricStat: {
              Metric: {
                Namespace: namespace,
                MetricName: 'SumOffsetLag',
                Dimensions: [
                  { Name: 'Cluster Name', Value: 'source' },
                  { Name: 'Consumer Group', Value: 'orders-consumer-group-999' },
                  { Name: 'Topic', Value: 'orders' },
                ],
              },
              Period: 60,
              Stat: 'Maximum',
            },
          },
        ],
      }),
    );
    expect(data.MetricDataResults?.[0]?.Values).toContain(999);
  });
});
