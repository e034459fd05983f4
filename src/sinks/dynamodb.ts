import type { AttributeValue, DynamoDBClient, WriteRequest } from '@aws-sdk/client-dynamodb';
import { clientOf, lazyClient, lazyModule, type ClientSource } from '../adapters/aws/lazy';
import { partitionKey } from '../event/codec';
import type { KafkaBatch, SourceRecord } from '../event/types';
import { entriesPerRecord, type SinkAdapter } from './deliver';
import { coordinatesOf, decodeUtf8, shapeBytes, toBase64, utf8Length, type KeyFormat, type PayloadFormat } from './shape';
import type { BatchLimits, SinkDestination } from './types';
export { DynamoDbLimits, DynamoDbItemAttributes } from './limits';

/**
 * How the item key is derived:
 * - `coordinates`: `pk` = `topic-partition-offset` (or, with a sort key, `pk` = `topic-partition`, `sk` = offset as a Number).
 *   Every record is its own item; a redelivery rewrites the same items.
 * - `kafka-key`: `pk` = the Kafka key (String for `KEY_FORMAT=text`, Binary for `base64`, String or Binary by the
 *   bytes for `auto` — a table keyed on String then rejects a non-UTF-8 key); a later record
 *   with the same key replaces the item, and a tombstone (null value) deletes it — a compacted-topic view.
 * - `{ valueField }`: `pk` = a top-level or dotted field of the JSON value (String or Number); needs `PAYLOAD_FORMAT=json`.
 */
export type ItemKeySource = { kind: 'coordinates' } | { kind: 'kafka-key' } | { kind: 'value-field'; path: string[] };

export interface DynamoDbSinkOptions {
  tableName: string;
  partitionKeyAttribute: string;
  /** Only with `coordinates`. */
  sortKeyAttribute?: string;
  itemKey: ItemKeySource;
  payloadFormat: PayloadFormat;
  keyFormat: KeyFormat;
  limits: BatchLimits;
}

// Loaded at the first send, not at module init (a chunk of its own: docs/deploy.md, "Lean bundles").
const dynamoDbSdk = lazyModule(() => import('../adapters/aws/sdk/dynamodb'));

/**
 * Convert a JSON value into a DynamoDB AttributeValue (what `@aws-sdk/util-dynamodb` `marshall` does
 * for plain JSON, without the dependency).
 *
 * @example
 * ```ts
 * toAttributeValue({ id: 7, tags: ['a'] }); // { M: { id: { N: '7' }, tags: { L: [{ S: 'a' }] } } }
 * ```
 */
export function toAttributeValue(value: unknown): AttributeValue {
  if (value === null || value === undefined) return { NULL: true };
  if (typeof value === 'boolean') return { BOOL: value };
  if (typeof value === 'number') return { N: String(value) };
  if (typeof value === 'string') return { S: value };
  if (value instanceof Uint8Array) return { B: value };
  if (Array.isArray(value)) return { L: value.map(toAttributeValue) };
  return { M: Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, toAttributeValue(v)])) };
}

/** Item size by DynamoDB's documented rules (names + values; numbers ≤ 21 bytes; 3 + 1 per element for M/L). */
export function itemSize(item: Record<string, AttributeValue>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += utf8Length(name) + attributeSize(value);
  return size;
}

function attributeSize(value: AttributeValue): number {
  if (value.S !== undefined) return utf8Length(value.S);
  if (value.N !== undefined) return Math.min(21, Math.ceil(value.N.replace(/^-|\.|e.*$/gi, '').length / 2) + 1);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.L !== undefined) return 3 + value.L.reduce((sum, v) => sum + 1 + attributeSize(v), 0);
  if (value.M !== undefined) return 3 + Object.entries(value.M).reduce((sum, [k, v]) => sum + 1 + utf8Length(k) + attributeSize(v), 0);
  return 1;
}

function keyOf(attributes: Record<string, AttributeValue>, options: DynamoDbSinkOptions): string {
  const part = (v: AttributeValue | undefined): string => (v?.B !== undefined ? `B:${toBase64(v.B)}` : v?.N !== undefined ? `N:${v.N}` : `S:${v?.S ?? ''}`);
  const sk = options.sortKeyAttribute ? `\u0000${part(attributes[options.sortKeyAttribute])}` : '';
  return `${part(attributes[options.partitionKeyAttribute])}${sk}`;
}

/** Key and header bytes: Binary for `base64`; String when valid UTF-8, else Binary for `auto` (the type tells them apart); `text` refuses other bytes. */
function bytesValue(bytes: Uint8Array, format: KeyFormat): AttributeValue | string {
  if (format === 'base64') return { B: bytes };
  const text = decodeUtf8(bytes);
  if (text !== undefined) return { S: text };
  return format === 'auto' ? { B: bytes } : `is not valid UTF-8 (${bytes.byteLength} bytes; use KEY_FORMAT auto or base64)`;
}

function itemKey(record: SourceRecord, parsedValue: unknown, options: DynamoDbSinkOptions): Record<string, AttributeValue> | string {
  const pk = options.partitionKeyAttribute;
  switch (options.itemKey.kind) {
    case 'coordinates':
      return options.sortKeyAttribute
        ? { [pk]: { S: partitionKey(record.topic, record.partition) }, [options.sortKeyAttribute]: { N: record.offset.toString() } }
        : { [pk]: { S: coordinatesOf(record) } };
    case 'kafka-key': {
      if (record.key === null || record.key.byteLength === 0) return 'has a null or empty Kafka key, which cannot be the item key (ITEM_KEY=kafka-key)';
      const key = bytesValue(record.key, options.keyFormat);
      return typeof key === 'string' ? `key ${key}` : { [pk]: key };
    }
    case 'value-field': {
      let field: unknown = parsedValue;
      for (const name of options.itemKey.path) field = field !== null && typeof field === 'object' ? (field as Record<string, unknown>)[name] : undefined;
      if (typeof field === 'string' && field !== '') return { [pk]: { S: field } };
      if (typeof field === 'number') return { [pk]: { N: String(field) } };
      return `value has no string or number field "${options.itemKey.path.join('.')}" for the item key`;
    }
  }
}

function buildWrite(record: SourceRecord, options: DynamoDbSinkOptions): WriteRequest | string {
  const shaped = shapeBytes(record.value, options.payloadFormat);
  if (!shaped.ok) return `value ${shaped.reason}`;
  const key = itemKey(record, shaped.value, options);
  if (typeof key === 'string') return key;
  if (record.value === null && options.itemKey.kind === 'kafka-key') return { DeleteRequest: { Key: key } };

  const item: Record<string, AttributeValue> = {
    topic: { S: record.topic },
    partition: { N: String(record.partition) },
    offset: { N: record.offset.toString() },
    timestamp: { N: String(record.timestamp) },
    timestampType: { S: record.timestampType },
    value: record.value === null ? { NULL: true } : options.payloadFormat === 'base64' ? { B: record.value } : toAttributeValue(shaped.value),
  };
  if (record.key !== null) {
    const k = bytesValue(record.key, options.keyFormat);
    if (typeof k === 'string') return `key ${k}`;
    item.key = k;
  }
  if (record.headers.length > 0) {
    const headers: AttributeValue[] = [];
    for (const h of record.headers) {
      const v = bytesValue(h.value, options.keyFormat);
      if (typeof v === 'string') return `header "${h.key}" ${v}`;
      headers.push({ M: { key: { S: h.key }, value: v } });
    }
    item.headers = { L: headers };
  }
  return { PutRequest: { Item: { ...item, ...key } } };
}

/**
 * The DynamoDB sink adapter: idempotent puts keyed by {@link ItemKeySource}; `UnprocessedItems` are
 * mapped back to their records and retried; two writes to one key never share a request
 * (DynamoDB rejects that), so the later record lands last.
 *
 * @example
 * ```ts
 * createDynamoDbAdapter({ tableName: 'orders', partitionKeyAttribute: 'pk', itemKey: { kind: 'coordinates' }, payloadFormat: 'json', keyFormat: 'text', limits: DynamoDbLimits }, ddb);
 * ```
 */
export function createDynamoDbAdapter(options: DynamoDbSinkOptions, client: ClientSource<DynamoDBClient>): SinkAdapter<WriteRequest> {
  const writeKey = (w: WriteRequest): string => keyOf((w.PutRequest?.Item ?? w.DeleteRequest?.Key ?? {}) as Record<string, AttributeValue>, options);
  return {
    kind: 'dynamodb',
    limits: options.limits,
    prepare: (batch: KafkaBatch) =>
      entriesPerRecord(batch, (record) => {
        const write = buildWrite(record, options);
        if (typeof write === 'string') return write;
        const bytes = itemSize(write.PutRequest?.Item ?? write.DeleteRequest?.Key ?? {});
        return { payload: write, bytes, conflictKey: writeKey(write) };
      }),
    send: async (entries) => {
      const [{ BatchWriteItemCommand }, dynamoDb] = await Promise.all([dynamoDbSdk(), clientOf(client)]);
      const response = await dynamoDb.send(new BatchWriteItemCommand({ RequestItems: { [options.tableName]: entries.map((e) => e.payload) } }));
      const unprocessed = new Set((response.UnprocessedItems?.[options.tableName] ?? []).map(writeKey));
      return entries.map((e) =>
        unprocessed.has(writeKey(e.payload)) ? { ok: false, retriable: true, reason: 'UnprocessedItems: DynamoDB did not process this write' } : ({ ok: true } as const),
      );
    },
  };
}

/** @example `createSinkLambda(dynamoDbDestination, process.env)` */
export const dynamoDbDestination: SinkDestination<'dynamodb'> = {
  kind: 'dynamodb',
  open(config, aws, clients) {
    const client = lazyClient(async () => new (await dynamoDbSdk()).DynamoDBClient(aws.client), clients.dynamoDb);
    return { adapter: createDynamoDbAdapter(config, client.get) as SinkAdapter<unknown>, client };
  },
};
