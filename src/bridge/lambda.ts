import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { resolveAwsClientConfig, type AwsClientConfig } from '../adapters/aws/clientConfig';
import { lazyClient } from '../adapters/aws/lazy';
import { createAwsSecretReader } from '../adapters/aws/secrets';
import { AwsServiceError, KBridgeError, describeError } from '../errors';
import { buildBatchResponse, decodeKafkaEvent } from '../event/codec';
import type { KafkaBatchResponse } from '../event/types';
import { createKafkaClient, type CreateKafkaDeps } from '../kafka/factory';
import type { KafkaAdmin } from '../kafka/port';
import { parseKafkaClientEnv } from '../kafka/select';
import type { KafkaAuth, KafkaConnectionConfig } from '../kafka/types';
import { parseBridgeConfig, type BridgeConfig } from './config';
import { kafkaDeadLetterSink, sqsDeadLetterSink, type DeadLetterSink } from './deadLetter';
import { Bridge, type BridgeLogger, type BridgeResult } from './replicate';

export interface BridgeLambda {
  /** Bare handler: Lambda Kafka event in, partial-batch response out (tests, `invoke local`, the ESM emulator). */
  bridgeHandler: (event: unknown) => Promise<KafkaBatchResponse>;
  /** Deployed handler: `bridgeHandler` wrapped by middy with Powertools Logger and Metrics. */
  handler: middy.MiddyfiedHandler<unknown, KafkaBatchResponse>;
  config: BridgeConfig;
  /** Disconnect the cached clients (tests, emulator shutdown). */
  close(): Promise<void>;
}

export interface BridgeLambdaOptions {
  logger?: Logger;
  metrics?: Metrics;
  /** Passed to `createKafkaClient` (secrets reader, log level, retries, client library). */
  kafkaDeps?: CreateKafkaDeps;
  aws?: AwsClientConfig;
}

/**
 * Build the bridge Lambda from its environment: config parsed now (a bad variable fails the init with a
 * ConfigError naming it); Kafka clients, secrets and the MSK broker lookup happen on the first invocation
 * and are cached for the container's life.
 *
 * A partition that fails is retried by Lambda. By default the handler *throws* (Lambda redelivers the whole
 * batch; partitions already committed are skipped as duplicates, so this is always safe). With
 * `REPORT_BATCH_ITEM_FAILURES=true` — only when the trigger has `FunctionResponseTypes: [ReportBatchItemFailures]`,
 * otherwise Lambda would take the response as success and move on — it returns `batchItemFailures` naming each
 * failed partition's first unreplicated offset instead.
 *
 * @example
 * ```ts
 * const lambda = createBridgeLambda(process.env);
 * export const bridge = lambda.bridgeHandler;
 * export const handler = lambda.handler;
 * ```
 */
export function createBridgeLambda(env: Record<string, string | undefined>, options: BridgeLambdaOptions = {}): BridgeLambda {
  const config = parseBridgeConfig(env);
  // KAFKA_CLIENT picks the client library; an unknown value fails the init. Unset: the process default.
  const kafkaClientKind = env.KAFKA_CLIENT?.trim() ? parseKafkaClientEnv(env) : undefined;
  const aws = options.aws ?? resolveAwsClientConfig(env);
  const logger = options.logger ?? new Logger({ serviceName: 'bridge' });
  const metrics = options.metrics ?? new Metrics({ serviceName: 'bridge', ...(env.POWERTOOLS_METRICS_NAMESPACE ? {} : { namespace: 'KafkaMskBridge' }) });
  let runtime: Promise<{ bridge: Bridge; sourceAdmin?: KafkaAdmin }> | undefined;

  const start = async (): Promise<{ bridge: Bridge; sourceAdmin?: KafkaAdmin }> => {
    const kafkaDeps: CreateKafkaDeps = { secrets: createAwsSecretReader({ clientConfig: aws }), ...(kafkaClientKind ? { client: kafkaClientKind } : {}), ...options.kafkaDeps };
    const targetConfig = config.targetMskClusterArn ? await withMskBrokers(config.target, config.targetMskClusterArn, aws) : config.target;
    const target = await createKafkaClient(targetConfig, kafkaDeps);
    const sourceAdmin = config.source ? await (await createKafkaClient(config.source, kafkaDeps)).admin() : undefined;
    const bridge = new Bridge(
      {
        bridgeId: config.bridgeId,
        topicMapping: config.topicMapping,
        provenanceHeaders: config.provenanceHeaders,
        offsetMapTopic: config.offsetMapTopic,
        concurrency: config.concurrency,
        transactionTimeoutMs: config.transactionTimeoutMs,
        ...(config.sourceClusterName ? { sourceClusterName: config.sourceClusterName } : {}),
        // The loop rule's name of the cluster written to (required for a reverse bridge; docs/failback.md).
        targetClusterName: config.targetClusterName ?? config.targetMskClusterArn ?? targetConfig.bootstrapServers.join(','),
        // The reverse bridge copies back only what producers wrote on MSK (src/bridge/origin.ts).
        ...(config.direction === 'reverse' ? { onlyOwnRecords: true } : {}),
      },
      { target, ...(sourceAdmin ? { sourceAdmin } : {}), deadLetter: deadLetterSink(config, aws), logger: bridgeLogger(logger) },
    );
    return { bridge, ...(sourceAdmin ? { sourceAdmin } : {}) };
  };

  const bridgeHandler = async (event: unknown): Promise<KafkaBatchResponse> => {
    const started = Date.now();
    // The event is this invocation's own: its base64 strings may go as soon as they are decoded (GC, memory).
    const batch = decodeKafkaEvent(event, { release: true });
    if (!runtime) {
      runtime = start();
      runtime.catch(() => {
        runtime = undefined;
      });
    }
    const { bridge } = await runtime;
    const result = await bridge.replicateBatch(batch);
    report(result, logger, metrics, Date.now() - started);
    if (result.failed.length === 0) return { batchItemFailures: [] };
    if (config.reportBatchItemFailures) {
      return buildBatchResponse(
        result.failed.map((f) => ({ topic: f.sourceTopic, partition: f.sourcePartition, offset: BigInt(f.firstUnreplicatedOffset ?? '0') })),
      );
    }
    const first = result.failed[0]?.error;
    if (result.failed.length === 1 && first) throw first;
    throw new KBridgeError(
      `${result.failed.length} partition(s) failed: ${result.failed.map((f) => `${f.sourceTopic}-${f.sourcePartition}: ${describeError(f.error)}`).join('; ')}`,
      { retriable: result.failed.some((f) => f.error?.retriable), cause: first },
    );
  };

  const handler = middy<unknown, KafkaBatchResponse>(bridgeHandler).use(injectLambdaContext(logger)).use(logMetrics(metrics));
  return {
    bridgeHandler,
    handler,
    config,
    async close() {
      const r = runtime;
      runtime = undefined;
      if (!r) return;
      const { bridge, sourceAdmin } = await r.catch(() => ({ bridge: undefined, sourceAdmin: undefined }));
      await bridge?.close();
      await sourceAdmin?.close().catch(() => undefined);
    },
  };
}

function bridgeLogger(logger: Logger): BridgeLogger {
  return {
    info: (message, extra) => logger.info(message, (extra ?? {}) as Record<string, never>),
    warn: (message, extra) => logger.warn(message, (extra ?? {}) as Record<string, never>),
  };
}

function deadLetterSink(config: BridgeConfig, aws: AwsClientConfig): DeadLetterSink | undefined {
  switch (config.deadLetter.type) {
    case 'kafka':
      return kafkaDeadLetterSink({ topic: config.deadLetter.topic });
    case 'sqs':
      return sqsDeadLetterSink({
        // Dead letters and the MSK broker lookup are rare paths: their SDK clients load when they run (issue 15).
        sqs: lazyClient(async () => new (await import('../adapters/aws/sdk/sqs')).SQSClient(aws.client)).get,
        queueUrl: config.deadLetter.queueUrl,
        ...(config.deadLetter.s3Bucket ? { s3: { client: lazyClient(async () => new (await import('../adapters/aws/sdk/s3')).S3Client(aws.s3)).get, bucket: config.deadLetter.s3Bucket } } : {}),
      });
    default:
      return undefined;
  }
}

/** The MSK bootstrap string matching the auth mode (GetBootstrapBrokers). */
async function withMskBrokers(target: KafkaConnectionConfig, clusterArn: string, aws: AwsClientConfig): Promise<KafkaConnectionConfig> {
  const { GetBootstrapBrokersCommand, KafkaClient } = await import('../adapters/aws/sdk/kafka');
  const client = new KafkaClient(aws.client);
  try {
    const out = await client.send(new GetBootstrapBrokersCommand({ ClusterArn: clusterArn }));
    const pick = (auth: KafkaAuth): string | undefined => {
      switch (auth.type) {
        case 'iam':
          return out.BootstrapBrokerStringSaslIam;
        case 'sasl':
        case 'sasl-inline':
          return out.BootstrapBrokerStringSaslScram;
        case 'mtls':
          return out.BootstrapBrokerStringTls;
        default:
          return target.tls?.enabled ? out.BootstrapBrokerStringTls : out.BootstrapBrokerString;
      }
    };
    const brokers = pick(target.auth);
    if (!brokers) {
      throw new AwsServiceError(`MSK cluster ${clusterArn} has no bootstrap brokers for TARGET_AUTH=${target.auth.type}; enable that listener or change TARGET_AUTH`, {
        field: 'TARGET_AUTH',
      });
    }
    return { ...target, bootstrapServers: brokers.split(',') };
  } catch (err) {
    if (err instanceof KBridgeError) throw err;
    throw new AwsServiceError(`GetBootstrapBrokers failed for ${clusterArn}: ${describeError(err)}`, { cause: err, retriable: true });
  } finally {
    client.destroy();
  }
}

function report(result: BridgeResult, logger: Logger, metrics: Metrics, latencyMs: number): void {
  for (const p of result.partitions) {
    if (p.status === 'failed') logger.error('partition batch not replicated; it will be redelivered', { error: p.error?.toJSON() });
    if ((p.skippedLoop ?? 0) > 0) logger.info('records written by the peer bridge skipped (loop rule)', { topic: p.sourceTopic, partition: p.sourcePartition, skippedLoop: p.skippedLoop });
    if (p.status !== 'failed' && p.deadLettered > 0) logger.warn('records dead-lettered', { topic: p.sourceTopic, partition: p.sourcePartition, deadLettered: p.deadLettered, offsets: p.entry?.deadLettered.map((d) => `${d.offset}:${d.reason}`) });
  }
  metrics.addMetric('RecordsReplicated', MetricUnit.Count, result.replicated);
  metrics.addMetric('RecordsSkippedDuplicate', MetricUnit.Count, result.skippedDuplicate);
  metrics.addMetric('RecordsSkippedLoop', MetricUnit.Count, result.skippedLoop);
  metrics.addMetric('RecordsDeadLettered', MetricUnit.Count, result.deadLettered);
  metrics.addMetric('PartitionsFailed', MetricUnit.Count, result.failed.length);
  metrics.addMetric('BatchLatency', MetricUnit.Milliseconds, latencyMs);
}
