import { inject } from 'vitest';
import { withKafkaAdmin, withKafkaProducer, type KafkaClient, type OutgoingRecord } from '../../../src/kafka';
import type { EsmMappingConfig } from '../../../src/local/esm/config';
import { EsmMapping, type EsmRuntimeOptions, type InvocationReport } from '../../../src/local/esm/EsmMapping';
import type { LambdaHandler } from '../../../src/local/esm/handlerLoader';
import { createTestTopic, localKafkaClient, quietLogger, uniqueName } from '../../support/helpers';

export { quietLogger };

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

// Group timings low enough that a join takes well under a second on the local brokers
// (group.initial.rebalance.delay.ms is 0 there); session timeout at the broker's minimum.
export const fastConsumer = { sessionTimeoutMs: 6000, heartbeatIntervalMs: 500, rebalanceTimeoutMs: 5000, maxWaitTimeMs: 100 };

export function sourceBootstrap(): string[] {
  return inject('clusters').source.bootstrapServers.split(',');
}

/** The source cluster through the adapter `KAFKA_CLIENT` names. */
export function sourceKafka(): Promise<KafkaClient> {
  return localKafkaClient('source');
}

export function createTopic(kafka: KafkaClient, partitions: number, prefix = 'esm'): Promise<string> {
  return createTestTopic(kafka, partitions, prefix);
}

/** A record to produce; headers in the order given. */
export interface TestRecord {
  partition: number;
  key?: string | Buffer | null;
  value: string | Buffer | null;
  headers?: Record<string, string | Buffer>;
  timestamp?: string;
}

export async function produce(kafka: KafkaClient, topic: string, records: readonly TestRecord[]): Promise<void> {
  const outgoing: OutgoingRecord[] = records.map((r) => ({
    partition: r.partition,
    key: r.key ?? null,
    value: r.value,
    headers: Object.entries(r.headers ?? {}).map(([key, value]) => ({ key, value: Buffer.from(value) })),
    ...(r.timestamp !== undefined ? { timestamp: r.timestamp } : {}),
  }));
  await withKafkaProducer(kafka, (p) => p.send(topic, outgoing));
}

/** Commit offsets for a group nobody is in (one OffsetCommit; joining the group would take seconds). */
export async function commitOffsets(kafka: KafkaClient, groupId: string, topic: string, partitions: Array<{ partition: number; offset: string }>): Promise<void> {
  await withKafkaAdmin(kafka, (admin) => admin.commitGroupOffsets(groupId, [{ topic, partitions }]));
}

/** The group's committed offset per partition of `topic` (`-1`: none, as Kafka's OffsetFetch says). */
export async function committedOffsets(kafka: KafkaClient, groupId: string, topic: string): Promise<Record<number, string>> {
  const committed = await withKafkaAdmin(kafka, (admin) => admin.fetchCommittedOffsets(groupId, [topic]));
  return Object.fromEntries(committed.map((p) => [p.partition, p.offset ?? '-1']));
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
