import type { CloudWatchClient, MetricDatum } from '@aws-sdk/client-cloudwatch';
import { AwsServiceError } from '../../errors';
import type { LagMetric } from '../../lag/metrics';
import { clientOf, lazyModule, type ClientSource } from './lazy';

// Loaded at the first publish, not at module init (a chunk of its own: docs/deploy.md, "Lean bundles").
const cloudWatchSdk = lazyModule(() => import('./sdk/cloudwatch'));

/** PutMetricData limits (API reference, 2024): 1000 metrics and 1 MB per request, 30 dimensions per metric. */
export const PUT_METRIC_DATA_MAX_METRICS = 1000;
export const PUT_METRIC_DATA_MAX_BYTES = 1_000_000;
/** Stay well below 1 MB: our estimate of the form-encoded size is approximate. */
const BYTE_BUDGET = 800_000;

/**
 * Split metrics into PutMetricData-sized chunks: at most 1000 data per request and a conservative byte budget.
 * NaN/±Infinity are dropped here too (CloudWatch rejects the whole request for one of them).
 *
 * @example
 * ```ts
 * chunkMetrics(metrics).length; // number of PutMetricData requests needed
 * ```
 */
export function chunkMetrics(metrics: LagMetric[], maxPerRequest = PUT_METRIC_DATA_MAX_METRICS): MetricDatum[][] {
  const chunks: MetricDatum[][] = [];
  let current: MetricDatum[] = [];
  let bytes = 0;
  for (const m of metrics) {
    if (!Number.isFinite(m.value)) continue;
    const datum: MetricDatum = {
      MetricName: m.name,
      Dimensions: m.dimensions.map((d) => ({ Name: d.name, Value: d.value })),
      Value: m.value,
      Unit: m.unit,
      Timestamp: new Date(m.timestampMs),
    };
    // Query-encoded: MetricData.member.N.Dimensions.member.M.Name=… — about 60 bytes of keys per field.
    const size = 200 + m.name.length + m.dimensions.reduce((n, d) => n + 120 + d.name.length * 3 + d.value.length * 3, 0);
    if (current.length >= maxPerRequest || (current.length > 0 && bytes + size > BYTE_BUDGET)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(datum);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * Publish metrics to CloudWatch in as few PutMetricData requests as the limits allow (a few in parallel).
 * A failed request becomes an {@link AwsServiceError} (retriable unless the SDK says it is a client fault).
 * `client` may be a getter (`lazyClient(…).get`): the client is then created at the first publish.
 *
 * @example
 * ```ts
 * const cw = new CloudWatchClient(resolveAwsClientConfig(process.env).cloudWatch);
 * await publishMetrics(cw, 'KafkaMskBridge', metrics);
 * ```
 */
export async function publishMetrics(client: ClientSource<CloudWatchClient>, namespace: string, metrics: LagMetric[]): Promise<{ requests: number }> {
  const chunks = chunkMetrics(metrics);
  const [{ PutMetricDataCommand }, cloudWatch] = await Promise.all([cloudWatchSdk(), clientOf(client)]);
  const parallel = 4;
  for (let i = 0; i < chunks.length; i += parallel) {
    await Promise.all(
      chunks.slice(i, i + parallel).map(async (MetricData) => {
        try {
          await cloudWatch.send(new PutMetricDataCommand({ Namespace: namespace, MetricData }));
        } catch (err) {
          const fault = (err as { $fault?: string }).$fault;
          throw new AwsServiceError(`CloudWatch PutMetricData to ${namespace} failed: ${(err as Error).message}`, {
            cause: err,
            retriable: fault !== 'client',
            namespace,
          });
        }
      }),
    );
  }
  return { requests: chunks.length };
}
