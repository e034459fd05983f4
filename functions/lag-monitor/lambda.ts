import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { resolveAwsClientConfig } from '../../src/adapters/aws/clientConfig';
import { lazyClient, lazyModule } from '../../src/adapters/aws/lazy';
import { describeError } from '../../src/errors';
import { parseKafkaClientEnv, parseKafkaConnectionEnv } from '../../src/kafka';
import type { SecretReader } from '../../src/kafka/secrets';
import type { KafkaConnectionConfig } from '../../src/kafka/types';
import { clusterEnvPrefix, parseLagMonitorEnv, type LagMonitorConfig } from '../../src/lag/config';
import type { KafkaLagReader } from '../../src/lag/kafkaLagReader';
import type { LagMonitorReport } from '../../src/lag/monitor';
import type { LagReader } from '../../src/lag/port';
import type { SampleStore } from '../../src/lag/sampleStore';

// The run itself (Kafka clients, lag computation, publisher, sample store) loads at the first invocation; module
// init parses the configuration and builds the middy chain only (docs/deploy.md, "Lean bundles").
const invocation = lazyModule(() => import('./invocation'));

export interface LagMonitorLambda {
  config: LagMonitorConfig;
  /** Bare handler: one monitor run, returns the report. */
  lagMonitor: () => Promise<LagMonitorReport>;
  handler: middy.MiddyfiedHandler<unknown, LagMonitorReport>;
}

/**
 * Build the lag monitor from environment-style input: `LAG_MONITOR_CONFIG` (JSON, see `src/lag/config.ts`),
 * `KAFKA_CLIENT` (`kafkajs` | `platformatic`, the Kafka client library) and
 * one set of Kafka connection variables per cluster (`<PREFIX>_BOOTSTRAP_SERVERS`, `_AUTH`, `_SECRET_ARN`, …;
 * prefix = the cluster's `envPrefix` or its upper-cased name). Everything is parsed here, once.
 *
 * @example
 * ```ts
 * const { lagMonitor } = createLagMonitorLambda(process.env);
 * const report = await lagMonitor();
 * ```
 */
export function createLagMonitorLambda(
  env: Record<string, string | undefined>,
  overrides: { cloudWatch?: CloudWatchClient; store?: SampleStore; logger?: Logger; metrics?: Metrics } = {},
): LagMonitorLambda {
  const config = parseLagMonitorEnv(env);
  // Unset: the process default (the handler module sets it from KAFKA_CLIENT at init).
  const client = env.KAFKA_CLIENT?.trim() ? parseKafkaClientEnv(env) : undefined;
  const connections = new Map<string, KafkaConnectionConfig>(
    config.clusters.map((c) => [c.name, parseKafkaConnectionEnv(clusterEnvPrefix(c), env, { name: c.name })]),
  );
  const aws = resolveAwsClientConfig(env);
  // Created at the first run, not at module init: the SDK clients are chunks of their own.
  const cloudWatch = lazyClient(async () => new (await import('../../src/adapters/aws/sdk/cloudwatch')).CloudWatchClient(aws.cloudWatch ?? aws.client), overrides.cloudWatch);
  const dynamoDb = lazyClient(async () => new (await import('../../src/adapters/aws/sdk/dynamodb')).DynamoDBClient(aws.client));
  // One secret reader (and its cache) and one sample store for the life of the execution environment.
  let secrets: SecretReader | undefined;
  let store: SampleStore | undefined = overrides.store;
  const logger = overrides.logger ?? new Logger({ serviceName: 'kbridge-lag-monitor' });
  const metrics = overrides.metrics ?? new Metrics({ serviceName: 'kbridge-lag-monitor', namespace: config.namespace });

  const lagMonitor = async (): Promise<LagMonitorReport> => {
    const started = Date.now();
    const { createAwsSecretReader, createDynamoSampleStore, createKafkaClient, KafkaLagReader, publishMetrics, runLagMonitor } = await invocation();
    const secretReader = (secrets ??= createAwsSecretReader({ clientConfig: aws }));
    if (!store && config.sampleTable) store = createDynamoSampleStore(dynamoDb.get, config.sampleTable);
    const readers = new Map<string, LagReader | Error>();
    const opened: KafkaLagReader[] = [];
    await Promise.all(
      [...connections].map(async ([name, connection]) => {
        try {
          const kafka = await createKafkaClient(connection, { secrets: secretReader, retries: 2, ...(client ? { client } : {}) });
          const reader = await KafkaLagReader.connect(kafka, { cluster: name });
          opened.push(reader);
          readers.set(name, reader);
        } catch (err) {
          // Reported as ERR + LagMonitorError for this cluster's groups, not thrown: the other clusters still count.
          logger.error('cannot connect to cluster', { cluster: name, error: describeError(err) });
          readers.set(name, err instanceof Error ? err : new Error(String(err)));
        }
      }),
    );
    try {
      const report = await runLagMonitor(config, {
        readers,
        ...(store ? { store } : {}),
        publish: (m) => publishMetrics(cloudWatch.get, config.namespace, m),
      });
      for (const c of report.clusters) {
        for (const g of c.groups) {
          if (g.status !== 'OK') logger.warn('group not OK', { cluster: c.cluster, group: g.groupId, status: g.status, ...(g.error ? { error: g.error } : {}) });
        }
      }
      metrics.addMetric('LagMonitorDurationMs', MetricUnit.Milliseconds, Date.now() - started);
      metrics.addMetric('LagMonitorMetricsPublished', MetricUnit.Count, report.metrics);
      logger.info('lag monitor run', { clusters: report.clusters.length, metrics: report.metrics, requests: report.requests });
      return report;
    } finally {
      await Promise.all(opened.map((r) => r.close()));
    }
  };

  const handler = middy<unknown, LagMonitorReport>(() => lagMonitor())
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
  return { config, lagMonitor, handler };
}
