import { createHash } from 'node:crypto';
import type { SourceRecord } from '../event/types';
import { decodeUtf8, toBase64, utf8Length } from './shape';

/**
 * Kafka coordinates, key and headers as SQS/SNS message attributes (both services share the shape
 * and the rules: at most 10 attributes per message; names up to 256 characters of `A-Za-z0-9_-.`,
 * no leading/trailing/double period, not starting with `AWS.`/`Amazon.`; values non-empty).
 *
 * Deterministic layout, in this order:
 * 1. `kafka.topic` (String), `kafka.partition` (Number), `kafka.offset` (Number, decimal string).
 * 2. `kafka.key` when the key is not null: String if it is valid, allowed text, else Binary (raw bytes).
 * 3. `kafka.markers` when a key or value cannot be carried as is (attribute values and SQS/SNS bodies must
 *    be non-empty): a comma list of `key-empty`, `value-null` (tombstone), `value-empty`. The body is then
 *    the placeholder `null`.
 * 4. Each header whose name is a valid, not yet used attribute name and whose value is non-empty becomes
 *    its own attribute (String or Binary, as for the key), in header order, while slots remain.
 * 5. If any header is left over (no slot, invalid or repeated name, empty value), every left-over
 *    header goes, in order, into one `kafka.headers` String attribute: a JSON array of
 *    `{ "key": name, "value": base64 }`. That attribute takes the last slot, so step 4 stops one
 *    slot early whenever overflow happens. No header is ever dropped.
 */
export interface MessageAttribute {
  DataType: 'String' | 'Number' | 'Binary';
  StringValue?: string;
  BinaryValue?: Uint8Array;
}

export const MaxMessageAttributes = 10;

const AttributeNamePattern = /^[A-Za-z0-9_-](?:[A-Za-z0-9_.-]{0,254}[A-Za-z0-9_-])?$/;

/** Characters SQS accepts in bodies and String attributes (XML 1.0 Char production). */
// eslint-disable-next-line no-control-regex
const DisallowedCharacters = /[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** True when every character is one SQS accepts in a body or String attribute. */
export function isAllowedText(text: string): boolean {
  return !DisallowedCharacters.test(text);
}

export function isValidAttributeName(name: string): boolean {
  return (
    AttributeNamePattern.test(name) &&
    !name.includes('..') &&
    !/^(aws\.|amazon\.)/i.test(name) &&
    !name.toLowerCase().startsWith('kafka.')
  );
}

function bytesAttribute(bytes: Uint8Array): MessageAttribute {
  const text = decodeUtf8(bytes);
  if (text !== undefined && text !== '' && isAllowedText(text)) return { DataType: 'String', StringValue: text };
  return { DataType: 'Binary', BinaryValue: bytes };
}

/**
 * Build the message attributes of one record, following the layout above.
 *
 * @example
 * ```ts
 * const attrs = buildMessageAttributes(record, { valueMarker: undefined });
 * // a tombstone: buildMessageAttributes(record, { valueMarker: 'value-null' }) → kafka.markers = 'value-null'
 * attrs['kafka.offset']; // { DataType: 'Number', StringValue: '42' }
 * ```
 */
export function buildMessageAttributes(
  record: SourceRecord,
  options: { valueMarker?: 'value-null' | 'value-empty' },
): Record<string, MessageAttribute> {
  const attributes: Record<string, MessageAttribute> = {
    'kafka.topic': { DataType: 'String', StringValue: record.topic },
    'kafka.partition': { DataType: 'Number', StringValue: String(record.partition) },
    'kafka.offset': { DataType: 'Number', StringValue: record.offset.toString() },
  };
  const markers: string[] = [];
  if (record.key !== null && record.key.byteLength > 0) attributes['kafka.key'] = bytesAttribute(record.key);
  else if (record.key !== null) markers.push('key-empty');
  if (options.valueMarker) markers.push(options.valueMarker);
  if (markers.length > 0) attributes['kafka.markers'] = { DataType: 'String', StringValue: markers.join(',') };

  const free = MaxMessageAttributes - Object.keys(attributes).length;
  const eligible = record.headers.map(
    (h, i) =>
      isValidAttributeName(h.key) &&
      h.value.byteLength > 0 &&
      record.headers.findIndex((other) => other.key === h.key) === i,
  );
  const allFit = eligible.every(Boolean) && record.headers.length <= free;
  const slots = allFit ? free : free - 1;
  const leftOver: Array<{ key: string; value: string }> = [];
  let used = 0;
  record.headers.forEach((header, i) => {
    if (eligible[i] && used < slots) {
      attributes[header.key] = bytesAttribute(header.value);
      used += 1;
    } else {
      leftOver.push({ key: header.key, value: toBase64(header.value) });
    }
  });
  if (leftOver.length > 0) attributes['kafka.headers'] = { DataType: 'String', StringValue: JSON.stringify(leftOver) };
  return attributes;
}

/** Bytes the attributes add to a message, as SQS and SNS count them (name + type + value). */
export function attributesSize(attributes: Record<string, MessageAttribute>): number {
  let total = 0;
  for (const [name, attr] of Object.entries(attributes)) {
    total += utf8Length(name) + utf8Length(attr.DataType);
    total += attr.StringValue !== undefined ? utf8Length(attr.StringValue) : (attr.BinaryValue?.byteLength ?? 0);
  }
  return total;
}

/** Characters allowed in FIFO MessageGroupId / MessageDeduplicationId: alphanumerics and ASCII punctuation. */
const FifoIdPattern = /^[A-Za-z0-9!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]{1,128}$/;

/**
 * A FIFO id (group or deduplication id, ≤128 allowed characters): `text` itself when it qualifies,
 * otherwise its SHA-256 in hex (64 characters). The two forms cannot collide for coordinates, which
 * always contain `-`, while a hex digest never does.
 *
 * @example
 * ```ts
 * fifoId('orders-3-1042'); // 'orders-3-1042'
 * fifoId('x'.repeat(300)); // '5e2b…' (64 hex characters)
 * ```
 */
export function fifoId(text: string | Uint8Array): string {
  const asText = typeof text === 'string' ? text : decodeUtf8(text);
  if (asText !== undefined && FifoIdPattern.test(asText)) return asText;
  return createHash('sha256').update(typeof text === 'string' ? Buffer.from(text, 'utf8') : text).digest('hex');
}
