import type { EventBridgeClient, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { clientOf, lazyClient, lazyModule, type ClientSource } from '../adapters/aws/lazy';
import type { KafkaBatch } from '../event/types';
import { entriesPerRecord, type SinkAdapter } from './deliver';
import { shapeRecord, utf8Length, type ShapeOptions } from './shape';
import type { BatchLimits, SinkDestination } from './types';
export { EventBridgeLimits } from './limits';

export interface EventBridgeSinkOptions extends ShapeOptions {
  eventBusName: string;
  source: string;
  detailType: string;
  limits: BatchLimits;
}

/**
 * An entry's size as EventBridge counts it ("Calculating PutEvents event entry size"):
 * 14 bytes for `Time`, plus the UTF-8 bytes of Source, DetailType, Detail and each Resource.
 */
export function putEventsEntrySize(entry: PutEventsRequestEntry): number {
  let size = entry.Time ? 14 : 0;
  size += utf8Length(entry.Source ?? '') + utf8Length(entry.DetailType ?? '') + utf8Length(entry.Detail ?? '');
  for (const resource of entry.Resources ?? []) size += utf8Length(resource);
  return size;
}

const RetriableEventBridgeCodes = new Set(['InternalFailure', 'InternalException', 'ThrottlingException']);

// Loaded at the first send, not at module init (a chunk of its own: docs/deploy.md, "Lean bundles").
const eventBridgeSdk = lazyModule(() => import('../adapters/aws/sdk/eventbridge'));

/**
 * The EventBridge sink adapter: one event per record, `Detail` = the JSON envelope (coordinates, key,
 * value in the chosen shape, headers), `Time` = the Kafka timestamp.
 *
 * @example
 * ```ts
 * createEventBridgeAdapter({ eventBusName: 'default', source: 'kafka.orders', detailType: 'Kafka Record', payloadFormat: 'json', keyFormat: 'text', limits: EventBridgeLimits }, eb);
 * ```
 */
export function createEventBridgeAdapter(options: EventBridgeSinkOptions, client: ClientSource<EventBridgeClient>): SinkAdapter<PutEventsRequestEntry> {
  return {
    kind: 'eventbridge',
    limits: options.limits,
    prepare: (batch: KafkaBatch) =>
      entriesPerRecord(batch, (record) => {
        const shaped = shapeRecord(record, options);
        if (!shaped.ok) return shaped.reason;
        const payload: PutEventsRequestEntry = {
          EventBusName: options.eventBusName,
          Source: options.source,
          DetailType: options.detailType,
          Detail: JSON.stringify(shaped.value),
          Time: new Date(record.timestamp),
        };
        return { payload, bytes: putEventsEntrySize(payload) };
      }),
    send: async (entries) => {
      const [{ PutEventsCommand }, eventBridge] = await Promise.all([eventBridgeSdk(), clientOf(client)]);
      const response = await eventBridge.send(new PutEventsCommand({ Entries: entries.map((e) => e.payload) }));
      return entries.map((_, i) => {
        const result = response.Entries?.[i];
        if (result?.EventId && !result.ErrorCode) return { ok: true } as const;
        const code = result?.ErrorCode ?? 'MissingResult';
        return { ok: false, retriable: RetriableEventBridgeCodes.has(code) || result === undefined, reason: `${code}: ${result?.ErrorMessage ?? ''}`.trim() };
      });
    },
  };
}

/** @example `createSinkLambda(eventBridgeDestination, process.env)` */
export const eventBridgeDestination: SinkDestination<'eventbridge'> = {
  kind: 'eventbridge',
  open(config, aws, clients) {
    const client = lazyClient(async () => new (await eventBridgeSdk()).EventBridgeClient(aws.client), clients.eventBridge);
    return { adapter: createEventBridgeAdapter(config, client.get) as SinkAdapter<unknown>, client };
  },
};
