import type { IHeaders, Message } from 'kafkajs';
import type { RecordHeader, SourceRecord } from '../event/types';

/** Header names the bridge adds when provenance headers are on. Verification ignores them. */
export const ProvenanceHeaders = {
  cluster: 'kbridge.source.cluster',
  topic: 'kbridge.source.topic',
  partition: 'kbridge.source.partition',
  offset: 'kbridge.source.offset',
} as const;

export const PROVENANCE_HEADER_PREFIX = 'kbridge.source.';

/**
 * Kafka headers as kafkajs takes them: an object whose repeated keys become arrays.
 * kafkajs encodes an object's keys in insertion order with each key's values together, so headers that
 * interleave repeated keys (a, b, a) arrive as (a, a, b); values of one key keep their order.
 * A null-prototype object so a header named `__proto__` stays a header.
 */
export function toKafkajsHeaders(headers: readonly RecordHeader[]): IHeaders {
  const out: IHeaders = Object.create(null) as IHeaders;
  for (const h of headers) {
    const value = Buffer.from(h.value.buffer, h.value.byteOffset, h.value.byteLength);
    const existing = out[h.key];
    if (existing === undefined) out[h.key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else out[h.key] = [existing, value];
  }
  return out;
}

/**
 * The target message for a source record: same key, value, headers, CreateTime timestamp and partition.
 *
 * @example
 * ```ts
 * toTargetMessage(record, { provenance: { cluster: 'onprem' } }); // { key, value, headers, timestamp: '1718000000000', partition: 3 }
 * ```
 */
export function toTargetMessage(record: SourceRecord, options: { provenance?: { cluster: string } } = {}): Message {
  const headers = toKafkajsHeaders(record.headers);
  if (options.provenance) {
    headers[ProvenanceHeaders.cluster] = options.provenance.cluster;
    headers[ProvenanceHeaders.topic] = record.topic;
    headers[ProvenanceHeaders.partition] = String(record.partition);
    headers[ProvenanceHeaders.offset] = record.offset.toString();
  }
  return {
    key: record.key === null ? null : Buffer.from(record.key.buffer, record.key.byteOffset, record.key.byteLength),
    value: record.value === null ? null : Buffer.from(record.value.buffer, record.value.byteOffset, record.value.byteLength),
    headers,
    timestamp: String(record.timestamp),
    partition: record.partition,
  };
}

/** Bytes of a record batch header (magic v2), counted once per produce batch. */
export const RECORD_BATCH_OVERHEAD = 61;

/**
 * An upper bound on the bytes one record takes inside a v2 record batch (uncompressed): payload plus the
 * varint-encoded lengths, deltas and attributes (≤ 5 bytes each, generously rounded up).
 *
 * @example
 * ```ts
 * estimateRecordSize(message) <= 1_048_588 - RECORD_BATCH_OVERHEAD; // fits a default max.message.bytes
 * ```
 */
export function estimateRecordSize(message: Message): number {
  let size = 32 + byteLength(message.key) + byteLength(message.value);
  for (const [key, value] of Object.entries(message.headers ?? {})) {
    const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
    for (const v of values) size += 10 + Buffer.byteLength(key, 'utf8') + byteLength(v);
  }
  return size;
}

function byteLength(v: Buffer | string | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.byteLength;
}

/**
 * Split messages (already known to fit one by one) into consecutive chunks whose record batch stays under
 * `maxBatchBytes`: kafkajs puts all messages of one `send` for a partition into one record batch, and the
 * broker rejects a batch above the topic's `max.message.bytes` as a whole.
 *
 * @example
 * ```ts
 * chunkBySize(items, (i) => i.size, 1_000_000); // [[...], [...]] in the original order
 * ```
 */
export function chunkBySize<T>(items: readonly T[], sizeOf: (item: T) => number, maxBatchBytes: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let currentBytes = RECORD_BATCH_OVERHEAD;
  for (const item of items) {
    const size = sizeOf(item);
    if (current.length > 0 && currentBytes + size > maxBatchBytes) {
      chunks.push(current);
      current = [];
      currentBytes = RECORD_BATCH_OVERHEAD;
    }
    current.push(item);
    currentBytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
