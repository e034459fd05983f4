import type { Kafka } from 'kafkajs';
import { inject } from 'vitest';
import { createKafka } from '../../../src/kafka/factory';
import { createTopicsAndWait, withAdmin, withProducer } from '../../../src/kafka/clients';
import type { StructuredLogger } from '../../../src/kafka/logging';
import { commitGroupOffsets } from '../../../src/kafka/groupOffsets';
import type { EsmMappingConfig } from '../../../src/local/esm/config';
import { EsmMapping, type EsmRuntimeOptions, type InvocationReport } from '../../../src/local/esm/EsmMapping';
import type { LambdaHandler } from '../../../src/local/esm/handlerLoader';
import { uniqueName } from '../../support/helpers';

/** What an in-process handler saw: the event as delivered and a few context fields. */
export interface Delivery {
  event: {
    eventSource: string;
    eventSourceArn?: string;
    bootstrapServers: string;
    records: Record<string, Array<{ topic: string; partition: number; offset: number; timestamp: number; timestampType: string; key?: string; value?: string; headers: Array<Record<string, number[]>> }>>;
  };
  context: { functionName: string; awsRequestId: string; invokedFunctionArn: string; remainingMs: number };
}

export const quietLogger: StructuredLogger = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {} };

// Group timings low enough that a join takes well under a second on the local brokers
// (group.initial.rebalance.delay.ms is 0 there); session timeout at the broker's minimum.
export const fastConsumer = { sessionTimeout: 6000, heartbeatInterval: 500, rebalanceTimeout: 5000, maxWaitTimeInMs: 100 };

export function sourceBootstrap(): string[] {
  return inject('clusters').source.bootstrapServers.split(',');
}

export async function sourceKafka(): Promise<Kafka> {
  return createKafka({ name: 'source', bootstrapServers: sourceBootstrap(), auth: { type: 'none' } }, { logger: quietLogger, logLevel: 'nothing' });
}

export async function createTopic(kafka: Kafka, partitions: number, prefix = 'esm'): Promise<string> {
  const topic = uniqueName(prefix);
  // createTopicsAndWait: every partition's metadata answers before the test produces (createTopics' waitForLeaders
  // returned early on a loaded, freshly started broker: NOT_LEADER on the first produce, a consumer stuck behind it).
  await withAdmin(kafka, (admin) => createTopicsAndWait(admin, [{ topic, numPartitions: partitions, replicationFactor: 1 }]));
  return topic;
}

export async function produce(kafka: Kafka, topic: string, messages: Array<{ partition: number; key?: string | Buffer | null; value: string | Buffer | null; headers?: Record<string, string | Buffer>; timestamp?: string }>): Promise<void> {
  await withProducer(kafka, (p) => p.send({ topic, messages }).then(() => undefined));
}

/** Commit offsets for a group nobody is in (one OffsetCommit; `admin.setOffsets` joins the group and takes seconds). */
export async function commitOffsets(kafka: Kafka, groupId: string, topic: string, partitions: Array<{ partition: number; offset: string }>): Promise<void> {
  await commitGroupOffsets(kafka, groupId, [{ topic, partitions }]);
}

export async function committedOffsets(kafka: Kafka, groupId: string, topic: string): Promise<Record<number, string>> {
  const [res] = await withAdmin(kafka, (admin) => admin.fetchOffsets({ groupId, topics: [topic] }));
  return Object.fromEntries((res?.partitions ?? []).map((p) => [p.partition, p.offset]));
}

/** A mapping config with Lambda's defaults, a fresh group, and a short batching window for speed. */
export function mappingConfig(topic: string, overrides: Partial<EsmMappingConfig> = {}): EsmMappingConfig {
  return {
    id: 'test-0',
    functionName: 'esm-test',
    handler: 'inline.handler',
    handlerModule: '/dev/null',
    handlerExport: 'handler',
    environment: {},
    timeoutSeconds: 10,
    memorySize: 1024,
    region: 'us-east-1',
    eventSource: 'SelfManagedKafka',
    bootstrapServers: sourceBootstrap(),
    auth: { type: 'none' },
    topic,
    consumerGroupId: uniqueName('esm-group'),
    batchSize: 100,
    maximumBatchingWindowSeconds: 0.2,
    startingPosition: 'TRIM_HORIZON',
    enabled: true,
    filterPatterns: [],
    maximumRetryAttempts: -1,
    ...overrides,
  };
}

/** A recording handler plus the per-invocation reports, for in-process runs. */
export function recorder(behaviour: (delivery: Delivery, call: number) => unknown = () => undefined): {
  handler: LambdaHandler;
  deliveries: Delivery[];
  reports: InvocationReport[];
  options: (extra?: EsmRuntimeOptions) => EsmRuntimeOptions;
} {
  const deliveries: Delivery[] = [];
  const reports: InvocationReport[] = [];
  const handler: LambdaHandler = async (event, context) => {
    const ctx = context as { functionName: string; awsRequestId: string; invokedFunctionArn: string; getRemainingTimeInMillis(): number };
    const delivery: Delivery = {
      event: structuredClone(event) as Delivery['event'],
      context: { functionName: ctx.functionName, awsRequestId: ctx.awsRequestId, invokedFunctionArn: ctx.invokedFunctionArn, remainingMs: ctx.getRemainingTimeInMillis() },
    };
    deliveries.push(delivery);
    return behaviour(delivery, deliveries.length);
  };
  return {
    handler,
    deliveries,
    reports,
    options: (extra = {}) => ({ handler, logger: quietLogger, consumer: fastConsumer, retryBackoff: { initialMs: 50, maxMs: 200 }, onInvocation: (r) => reports.push(r), ...extra }),
  };
}

/** Offsets delivered per partition key, in delivery order. */
export function offsetsByPartition(deliveries: readonly Delivery[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const d of deliveries) {
    for (const [key, records] of Object.entries(d.event.records)) (out[key] ??= []).push(...records.map((r) => r.offset));
  }
  return out;
}

export function recordCount(deliveries: readonly Delivery[]): number {
  return deliveries.reduce((n, d) => n + Object.values(d.event.records).reduce((m, r) => m + r.length, 0), 0);
}

/** Start a mapping and register it for cleanup. */
export async function startMapping(config: EsmMappingConfig, options: EsmRuntimeOptions, cleanup: Array<() => Promise<void>>): Promise<EsmMapping> {
  const mapping = new EsmMapping(config, options);
  cleanup.push(() => mapping.stop(0));
  await mapping.start();
  return mapping;
}
