import { readFileSync } from 'node:fs';
import { decodeKafkaEvent } from '../../../src/event/codec';
import type { KafkaBatch, SourceRecord } from '../../../src/event/types';

/** A sample event from `events/`, raw (wire) form. */
export function loadEvent(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../../../events/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;
}

/** A sample event from `events/`, decoded. */
export function loadBatch(name: string): KafkaBatch {
  return decodeKafkaEvent(loadEvent(name));
}

export const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));

/** A record with sensible defaults; `value` strings are UTF-8 encoded. */
export function makeRecord(fields: Partial<Omit<SourceRecord, 'value' | 'key'>> & { value?: string | Uint8Array | null; key?: string | Uint8Array | null } = {}): SourceRecord {
  const bytes = (v: string | Uint8Array | null | undefined, fallback: Uint8Array | null): Uint8Array | null =>
    v === undefined ? fallback : v === null ? null : typeof v === 'string' ? utf8(v) : v;
  return {
    topic: fields.topic ?? 'orders',
    partition: fields.partition ?? 0,
    offset: fields.offset ?? 0n,
    timestamp: fields.timestamp ?? 1718000000000,
    timestampType: fields.timestampType ?? 'CREATE_TIME',
    key: bytes(fields.key, utf8('k')),
    value: bytes(fields.value, utf8('{"n":1}')),
    headers: fields.headers ?? [],
  };
}

/** A batch of `count` records per partition, offsets from `first`. */
export function makeBatch(partitions: Array<{ topic?: string; partition: number; count: number; first?: bigint; value?: (i: number) => string }>): KafkaBatch {
  return {
    eventSource: 'SelfManagedKafka',
    bootstrapServers: ['localhost:9092'],
    partitions: partitions.map(({ topic = 'orders', partition, count, first = 0n, value }) => ({
      topic,
      partition,
      records: Array.from({ length: count }, (_, i) =>
        makeRecord({ topic, partition, offset: first + BigInt(i), key: `key-${i}`, value: value ? value(i) : JSON.stringify({ i }) }),
      ),
    })),
  };
}

/**
 * A stub SDK client for pure unit tests of paths moto cannot produce (per-entry failures of
 * SendMessageBatch/PutEvents/PutRecords, DynamoDB UnprocessedItems). Records every command's input.
 */
export function stubClient<C>(respond: (input: Record<string, unknown>, call: number) => unknown): C & { calls: Array<Record<string, unknown>> } {
  const calls: Array<Record<string, unknown>> = [];
  const client = {
    calls,
    send: async (command: { input: Record<string, unknown> }) => {
      calls.push(command.input);
      return respond(command.input, calls.length);
    },
    destroy: () => undefined,
  };
  return client as unknown as C & { calls: Array<Record<string, unknown>> };
}

export const noSleep = { sleep: async (): Promise<void> => undefined };
