import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { resolveAwsClientConfig } from '../adapters/aws/clientConfig';
import { buildBatchResponse, decodeKafkaEvent } from '../event/codec';
import type { KafkaBatchResponse } from '../event/types';
import { parseSinkConfig, type SinkConfig } from './config';
import type { SinkClients, SinkDestination } from './types';
import { openSink } from './open';
import type { Sink, SinkKind, SinkResult } from './types';

export interface SinkLambda {
  /** The bare handler: Lambda Kafka event in, Kafka partial-batch response out (tests, `invoke local`, the ESM emulator). */
  sinkHandler: (event: unknown) => Promise<KafkaBatchResponse>;
  /** The deployed handler: `sinkHandler` wrapped by middy with Powertools Logger and Metrics. */
  handler: middy.MiddyfiedHandler<unknown, KafkaBatchResponse>;
  config: SinkConfig;
  sink: Sink & { destroy(): void };
}

/**
 * Everything a `functions/sink-<kind>/handler.ts` needs, built once at module start: the environment is
 * parsed here (a bad variable throws a ConfigError naming it, so the function fails at init, not per
 * batch), the sink is opened and the handler is wrapped. The destination's SDK client is loaded and created at the
 * first delivery (module init evaluates no SDK client: docs/deploy.md, "Lean bundles").
 *
 * @example
 * ```ts
 * // functions/sink-sqs/handler.ts — one destination, so the bundle carries one SDK client
 * const lambda = createSinkLambda(sqsDestination, process.env);
 * export const sinkSqs = lambda.sinkHandler;
 * export const handler = lambda.handler;
 * ```
 */
export function createSinkLambda<K extends SinkKind>(
  destination: SinkDestination<K>,
  env: Record<string, string | undefined>,
  options: { clients?: SinkClients; logger?: Logger; metrics?: Metrics } = {},
): SinkLambda {
  const kind = destination.kind;
  const config = parseSinkConfig(kind, env);
  const sink = openSink(destination, config, resolveAwsClientConfig(env), options.clients);
  const serviceName = `sink-${kind}`;
  const logger = options.logger ?? new Logger({ serviceName });
  const metrics =
    options.metrics ??
    new Metrics({ serviceName, ...(env.POWERTOOLS_METRICS_NAMESPACE ? {} : { namespace: 'KafkaMskBridge' }) });

  const sinkHandler = async (event: unknown): Promise<KafkaBatchResponse> => {
    // The event is this invocation's own: its base64 strings may go as soon as they are decoded (GC, memory).
    const batch = decodeKafkaEvent(event, { release: true });
    const result = await sink.deliver(batch);
    report(result, logger, metrics);
    return buildBatchResponse(result.failures);
  };
  const handler = middy<unknown, KafkaBatchResponse>(sinkHandler)
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
  return { sinkHandler, handler, config, sink };
}

function report(result: SinkResult, logger: Logger, metrics: Metrics): void {
  for (const r of result.records) {
    if (r.outcome.status === 'dead-lettered') {
      logger.warn('record dead-lettered', { topic: r.topic, partition: r.partition, offset: r.offset.toString(), reason: r.outcome.reason });
    }
  }
  for (const failure of result.failures) {
    const first = result.records.find((r) => r.topic === failure.topic && r.partition === failure.partition && r.offset === failure.offset);
    logger.error('partition will be redelivered from its earliest failed record', {
      topic: failure.topic,
      partition: failure.partition,
      offset: failure.offset.toString(),
      reason: first?.outcome.status === 'failed' ? first.outcome.reason : undefined,
    });
  }
  metrics.addMetric('RecordsDelivered', MetricUnit.Count, result.counts.delivered);
  metrics.addMetric('RecordsDeadLettered', MetricUnit.Count, result.counts.deadLettered);
  metrics.addMetric('RecordsFailed', MetricUnit.Count, result.counts.failed);
  metrics.addMetric('RecordsRedelivered', MetricUnit.Count, result.counts.redelivered);
}
