import { partitionKey } from '../event/codec';
import type { SourceRecord } from '../event/types';

/**
 * Payload shaping: how Kafka bytes become the text or JSON an AWS service carries.
 *
 * - `base64`: the raw bytes, base64-encoded (always possible, byte-exact).
 * - `text`: the bytes decoded as UTF-8; invalid UTF-8 is an error, never replaced by U+FFFD.
 * - `json`: the bytes decoded as UTF-8 and parsed as JSON; invalid JSON is an error.
 *
 * A record that cannot be shaped goes to the dead-letter queue with the reason; it is never sent altered.
 */
export const PayloadFormats = ['base64', 'text', 'json'] as const;
export type PayloadFormat = (typeof PayloadFormats)[number];

/**
 * Keys and header values: `auto` (the default: text when the bytes are valid UTF-8, else base64 marked as such —
 * every key is accepted, losslessly), `text` (UTF-8 only; other bytes make the record unshapeable) or `base64`
 * (always). JSON keys are rare and would be ambiguous.
 */
export const KeyFormats = ['auto', 'base64', 'text'] as const;
export type KeyFormat = (typeof KeyFormats)[number];

export interface ShapeOptions {
  payloadFormat: PayloadFormat;
  keyFormat: KeyFormat;
}

/** A record as JSON-ready data: the envelope S3 (NDJSON), EventBridge (Detail), Kinesis and DynamoDB carry. */
export interface ShapedRecord {
  topic: string;
  partition: number;
  /** Decimal string: offsets are never `number`. */
  offset: string;
  timestamp: number;
  timestampType: string;
  key: string | null;
  /** Only with `KEY_FORMAT=auto`, when the key is not valid UTF-8: `key` is then its base64. */
  keyEncoding?: 'base64';
  /** base64/text: a string; json: the parsed value; `null` for a tombstone. */
  value: unknown;
  /** `encoding: 'base64'` only with `KEY_FORMAT=auto`, on a header whose value is not valid UTF-8. */
  headers: Array<{ key: string; value: string; encoding?: 'base64' }>;
}

export type ShapeResult<T> = { ok: true; value: T } | { ok: false; reason: string };

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decode UTF-8 strictly; `undefined` when the bytes are not valid UTF-8.
 *
 * @example
 * ```ts
 * decodeUtf8(new TextEncoder().encode('héllo')); // 'héllo'
 * decodeUtf8(Uint8Array.of(0xff)); // undefined
 * ```
 */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** UTF-8 byte length of a string, as AWS services count message sizes. */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/**
 * Shape a value's bytes in `format`. `null` (a Kafka tombstone) stays `null` in every format.
 *
 * @example
 * ```ts
 * shapeBytes(new TextEncoder().encode('{"a":1}'), 'json'); // { ok: true, value: { a: 1 } }
 * shapeBytes(Uint8Array.of(0xc3), 'text'); // { ok: false, reason: 'is not valid UTF-8 ...' }
 * ```
 */
export function shapeBytes(bytes: Uint8Array | null, format: PayloadFormat): ShapeResult<unknown> {
  if (bytes === null) return { ok: true, value: null };
  if (format === 'base64') return { ok: true, value: toBase64(bytes) };
  const text = decodeUtf8(bytes);
  if (text === undefined) return { ok: false, reason: `is not valid UTF-8 (${bytes.byteLength} bytes; use format base64)` };
  if (format === 'text') return { ok: true, value: text };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    // Say where, not what: V8 quotes the input in JSON.parse messages, and payloads are the user's data.
    const position = /position (\d+)/.exec((err as Error).message)?.[1];
    return { ok: false, reason: `is not valid JSON${position ? ` (near character ${position})` : ''}` };
  }
}

/**
 * Shape a key or header value in a key format. `auto` never fails: text when the bytes are valid UTF-8, else their
 * base64 with `base64: true`, so that a reader can tell the two apart.
 *
 * @example
 * ```ts
 * shapeKeyBytes(Uint8Array.of(0xff, 0x00), 'auto'); // { ok: true, value: '/wA=', base64: true }
 * shapeKeyBytes(new TextEncoder().encode('k1'), 'auto'); // { ok: true, value: 'k1', base64: false }
 * ```
 */
export function shapeKeyBytes(bytes: Uint8Array, format: KeyFormat): { ok: true; value: string; base64: boolean } | { ok: false; reason: string } {
  if (format === 'base64') return { ok: true, value: toBase64(bytes), base64: false };
  const text = decodeUtf8(bytes);
  if (text !== undefined) return { ok: true, value: text, base64: false };
  if (format === 'auto') return { ok: true, value: toBase64(bytes), base64: true };
  return { ok: false, reason: `is not valid UTF-8 (${bytes.byteLength} bytes; use KEY_FORMAT auto or base64)` };
}

/**
 * Shape a whole record (key, value, headers, coordinates) into the JSON envelope.
 * The first field that cannot be shaped makes the whole record unshapeable, with a reason naming it.
 *
 * @example
 * ```ts
 * const shaped = shapeRecord(record, { payloadFormat: 'json', keyFormat: 'text' });
 * if (shaped.ok) JSON.stringify(shaped.value); // {"topic":"orders","partition":0,"offset":"42",...}
 * ```
 */
export function shapeRecord(record: SourceRecord, options: ShapeOptions): ShapeResult<ShapedRecord> {
  const value = shapeBytes(record.value, options.payloadFormat);
  if (!value.ok) return { ok: false, reason: `value ${value.reason}` };
  const key = record.key === null ? null : shapeKeyBytes(record.key, options.keyFormat);
  if (key && !key.ok) return { ok: false, reason: `key ${key.reason}` };
  const headers: ShapedRecord['headers'] = [];
  for (const header of record.headers) {
    const shaped = shapeKeyBytes(header.value, options.keyFormat);
    if (!shaped.ok) return { ok: false, reason: `header "${header.key}" ${shaped.reason}` };
    headers.push(shaped.base64 ? { key: header.key, value: shaped.value, encoding: 'base64' } : { key: header.key, value: shaped.value });
  }
  return {
    ok: true,
    value: {
      topic: record.topic,
      partition: record.partition,
      offset: record.offset.toString(),
      timestamp: record.timestamp,
      timestampType: record.timestampType,
      key: key ? key.value : null,
      ...(key?.base64 ? { keyEncoding: 'base64' as const } : {}),
      value: value.value,
      headers,
    },
  };
}

/**
 * The message body for services whose body is the payload itself (SQS, SNS): base64/text as is,
 * json re-serialized compactly. `undefined` for a tombstone or an empty value (those services reject empty
 * bodies, and a JSON `null` body would be mistaken for a record whose value is the text `null`).
 */
export function serializeValue(value: unknown, format: PayloadFormat): string | undefined {
  if (value === null) return undefined;
  const body = format === 'json' ? JSON.stringify(value) : (value as string);
  return body === '' ? undefined : body;
}

/** `topic-partition-offset`: the coordinates string used in dedup ids, item keys and log lines. */
export function coordinatesOf(record: Pick<SourceRecord, 'topic' | 'partition' | 'offset'>): string {
  return `${partitionKey(record.topic, record.partition)}-${record.offset.toString()}`;
}
