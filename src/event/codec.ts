/**
 * Decoder and encoder for the Lambda Kafka event (self-managed Apache Kafka and Amazon MSK triggers),
 * the partial-batch response, and the event's JSON size on the wire.
 *
 * Wire facts this module relies on (AWS docs "Using Lambda with self-managed Apache Kafka", "with Amazon MSK",
 * "Configuring error handling controls for Kafka event sources"):
 * - `records` is keyed `"<topic>-<partition>"`; topic names may contain `-`, so the key is split on the LAST `-`.
 * - `key`/`value` are standard base64; Lambda leaves the field out when the Kafka key/value is null (tombstones).
 * - header values are arrays of signed Java bytes (-128..127).
 * - offsets and timestamps are JSON numbers.
 */
import { EventDecodeError } from '../errors';
import type {
  KafkaBatch,
  KafkaBatchResponse,
  PartitionBatch,
  RecordHeader,
  SourceRecord,
  TimestampType,
  WireKafkaEvent,
  WireKafkaRecord,
} from './types';

/** Lambda's synchronous invocation payload limit (request and response), in bytes. */
export const LAMBDA_PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024;

/** Kafka partitions are Java `int`s. */
const MAX_PARTITION = 2_147_483_647;
const MAX_SAFE_OFFSET = BigInt(Number.MAX_SAFE_INTEGER);
const EVENT_SOURCES = ['SelfManagedKafka', 'aws:kafka'] as const;
const TIMESTAMP_TYPES: readonly TimestampType[] = ['CREATE_TIME', 'LOG_APPEND_TIME'];
const DECIMAL = /^(?:0|[1-9][0-9]*)$/;

/**
 * Events {@link encodeKafkaEvent} built in this process (the ESM emulator's), and events a releasing
 * {@link decodeKafkaEvent} let go of, each with its batch. Decoding one gives that batch back without reading the
 * wire form again: no base64 regex, no base64 decoding and no header-byte checks (together most of the bridge
 * handler's own CPU per record). The emulator hands the event to the handler as Lambda would and never changes it
 * afterwards; a handler that edits the event it was given and decodes it again gets the records as delivered.
 * Identity, not a marker field: JSON from outside can never be in it.
 */
const builtHere = hiddenSlot<KafkaBatch>('kbridge.builtBatch');

/**
 * A value kept on an object under a symbol of this module: an own property, not enumerable (JSON.stringify,
 * structuredClone, spread and Object.keys never see it), found only on that very object, not through its prototype.
 * Not a WeakMap: with one (Node 22's V8), each event's batch, all its records, survived the young-generation GCs
 * until a full GC and was promoted to the old generation; in the ESM emulator that GC was most of its CPU, and 100
 * record events in a loop promoted 539 MB per 1.6M records against 5.3 MB with this slot (BENCHMARKS.md).
 */
function hiddenSlot<T>(name: string): { get(o: object): T | undefined; set(o: object, value: T): boolean } {
  const key = Symbol(name);
  return {
    get: (o) => (Object.hasOwn(o, key) ? ((o as Record<symbol, unknown>)[key] as T) : undefined),
    set: (o, value) => Reflect.defineProperty(o, key, { value, writable: true, enumerable: false, configurable: true }),
  };
}

/** A failed record as the handler reports it: which partition, and the first offset to redeliver. */
export interface BatchItemFailure {
  topic: string;
  partition: number;
  offset: bigint;
}

/** Where in the event a value sits, for error messages: `records["orders-3"][2]`. */
interface RecordLocation {
  partitionKey: string;
  index: number;
  /** `partitionKey` already parsed (once per partition, not once per record). */
  parsed?: { topic: string; partition: number };
}

function describeRecord(at: RecordLocation | undefined): string {
  return at ? `records[${JSON.stringify(at.partitionKey)}][${at.index}]` : 'record';
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing (field is missing)';
  if (typeof value === 'string') return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function recordError(at: RecordLocation | undefined, field: string, expected: string, got: unknown, extra: Record<string, unknown> = {}): EventDecodeError {
  const where = `${describeRecord(at)}.${field}`;
  return new EventDecodeError(`${where}: expected ${expected}, got ${describeValue(got)}`, {
    field: where,
    expected,
    ...(at ? { partitionKey: at.partitionKey, recordIndex: at.index } : {}),
    ...extra,
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `"topic-N"`, the key of `records` in the event and the `partition` of a partial-batch item identifier.
 *
 * @example
 * ```ts
 * partitionKey('orders-eu', 3); // "orders-eu-3"
 * ```
 */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/**
 * Split a `"topic-N"` key on its LAST `-` (topic names may themselves contain `-`).
 * Throws {@link EventDecodeError} when there is no `-`, the topic is empty, or N is not a partition number.
 *
 * @example
 * ```ts
 * parsePartitionKey('orders-eu-3'); // { topic: 'orders-eu', partition: 3 }
 * ```
 */
export function parsePartitionKey(key: string): { topic: string; partition: number } {
  const dash = key.lastIndexOf('-');
  const topic = dash > 0 ? key.slice(0, dash) : '';
  const digits = dash >= 0 ? key.slice(dash + 1) : '';
  if (topic === '' || !DECIMAL.test(digits) || Number(digits) > MAX_PARTITION) {
    throw new EventDecodeError(
      `records key ${JSON.stringify(key)}: expected "<topic>-<partition>" (a non-empty topic, a dash, a partition number 0..${MAX_PARTITION})`,
      { field: `records[${JSON.stringify(key)}]`, partitionKey: key, expected: '"<topic>-<partition>"' },
    );
  }
  return { topic, partition: Number(digits) };
}

/**
 * The bytes, decoded once into the Buffer the record keeps (no second copy), and validated without a second pass
 * over the text: standard base64 (A-Z a-z 0-9 + /), at most two "=" at the end, length a multiple of 4.
 * Node's decoder skips a character outside the alphabet and stops at an inner "=", so any such character makes
 * the output shorter than the length and the padding promise; it also reads the URL-safe "-" and "_", which are
 * refused by a search (memchr-fast, unlike a regex over every character). Non-zero trailing bits are accepted,
 * as Java's Base64 decoder does: the AWS docs' own sample key ("abcDEFghiJKLmnoPQRstuVWXyz1234==") has them.
 */
function decodeBase64(at: RecordLocation | undefined, field: 'key' | 'value', raw: unknown): Buffer | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw === 'string' && raw.length % 4 === 0) {
    const n = raw.length;
    const padding = n === 0 || raw.charCodeAt(n - 1) !== 61 ? 0 : raw.charCodeAt(n - 2) === 61 ? 2 : 1;
    const bytes = Buffer.from(raw, 'base64');
    if (bytes.length === (n / 4) * 3 - padding && raw.indexOf('-') === -1 && raw.indexOf('_') === -1) return bytes;
  }
  throw recordError(at, field, 'standard base64 (A-Z a-z 0-9 + /, "=" padding, length a multiple of 4), null, or absent', raw);
}

function encodeBase64(bytes: Uint8Array): string {
  return Buffer.isBuffer(bytes) ? bytes.toString('base64') : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function decodeOffset(at: RecordLocation | undefined, raw: unknown, what = 'offset'): bigint {
  if (typeof raw === 'number') {
    if (Number.isSafeInteger(raw) && raw >= 0) return BigInt(raw);
    if (Number.isInteger(raw) && raw > Number.MAX_SAFE_INTEGER) {
      // JSON.parse already rounded it: the true offset is unknowable, so refuse rather than guess.
      throw recordError(at, what, `a non-negative integer up to ${Number.MAX_SAFE_INTEGER} as a JSON number (larger offsets must be decimal strings; this one already lost precision)`, raw);
    }
  } else if (typeof raw === 'string' && DECIMAL.test(raw)) {
    return BigInt(raw);
  }
  throw recordError(at, what, 'a non-negative integer (JSON number or decimal string)', raw);
}

function decodeHeaders(at: RecordLocation | undefined, raw: unknown): RecordHeader[] {
  // Lambda always sends an array; a missing/null list is read as "no headers" rather than refused.
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw recordError(at, 'headers', 'an array of single-key objects', raw);
  return raw.map((entry: unknown, h) => {
    const keys = isPlainObject(entry) ? Object.keys(entry) : [];
    if (!isPlainObject(entry) || keys.length !== 1) {
      throw recordError(at, `headers[${h}]`, 'an object with exactly one key, e.g. {"traceId":[104,105]}', entry);
    }
    const key = keys[0] as string;
    const bytes = entry[key];
    if (!Array.isArray(bytes)) throw recordError(at, `headers[${h}][${JSON.stringify(key)}]`, 'an array of signed bytes (-128..127)', bytes);
    const value = Buffer.allocUnsafe(bytes.length);
    for (let i = 0; i < bytes.length; i++) {
      const b: unknown = bytes[i];
      if (typeof b !== 'number' || !Number.isInteger(b) || b < -128 || b > 127) {
        throw recordError(at, `headers[${h}][${JSON.stringify(key)}][${i}]`, 'a signed byte, an integer -128..127 (Java bytes: non-ASCII arrives negative)', b);
      }
      value[i] = b & 0xff;
    }
    return { key, value };
  });
}

/**
 * Decode one wire record. `at` names where it sits in the event, for error messages; when given, the
 * record's `topic`/`partition` must match that `records` key.
 *
 * @example
 * ```ts
 * const rec = fromWireRecord({ topic: 't', partition: 0, offset: 5, timestamp: 1, timestampType: 'CREATE_TIME', value: 'aGk=', headers: [] });
 * rec.offset; // 5n
 * ```
 */
export function fromWireRecord(raw: unknown, at?: RecordLocation): SourceRecord {
  if (!isPlainObject(raw)) {
    throw new EventDecodeError(`${describeRecord(at)}: expected a record object, got ${describeValue(raw)}`, {
      field: describeRecord(at),
      expected: 'a record object',
    });
  }
  const { topic, partition, timestamp, timestampType } = raw;
  if (typeof topic !== 'string' || topic === '') throw recordError(at, 'topic', 'a non-empty string', topic);
  if (typeof partition !== 'number' || !Number.isInteger(partition) || partition < 0 || partition > MAX_PARTITION) {
    throw recordError(at, 'partition', `an integer 0..${MAX_PARTITION} (a JSON number)`, partition, { topic });
  }
  if (at) {
    const expected = at.parsed ?? parsePartitionKey(at.partitionKey);
    if (expected.topic !== topic || expected.partition !== partition) {
      throw new EventDecodeError(
        `${describeRecord(at)}: topic/partition ${JSON.stringify(topic)}/${partition} do not match their records key ${JSON.stringify(at.partitionKey)}`,
        { field: `${describeRecord(at)}.topic`, partitionKey: at.partitionKey, recordIndex: at.index, topic, partition, expected: at.partitionKey },
      );
    }
  }
  const offset = decodeOffset(at, raw.offset);
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp) || timestamp < -1) {
    throw recordError(at, 'timestamp', 'epoch milliseconds, an integer >= -1 (-1: no timestamp)', timestamp, { topic, partition, offset: offset.toString() });
  }
  if (typeof timestampType !== 'string' || !(TIMESTAMP_TYPES as readonly string[]).includes(timestampType)) {
    throw recordError(at, 'timestampType', '"CREATE_TIME" or "LOG_APPEND_TIME"', timestampType, { topic, partition, offset: offset.toString() });
  }
  return {
    topic,
    partition,
    offset,
    timestamp,
    timestampType: timestampType as TimestampType,
    key: decodeBase64(at, 'key', raw.key),
    value: decodeBase64(at, 'value', raw.value),
    headers: decodeHeaders(at, raw.headers),
  };
}

/**
 * Decode and validate a whole Lambda Kafka event. Partitions keep the order of `records`' keys as
 * given, records keep their order. Keys, values and header values are Buffers (each decoded once). An event
 * {@link encodeKafkaEvent} built in this process (the ESM emulator's) gives back the batch it was built from. A malformed event throws {@link EventDecodeError} whose message and
 * `field` name the record (`records["orders-3"][2].offset`) and say what was expected.
 * Fields this model does not know (on the event or a record) are ignored, not refused: Lambda adds
 * fields over time (e.g. schema-registry metadata), and decoding must keep working when it does.
 *
 * @example
 * ```ts
 * const batch = decodeKafkaEvent(JSON.parse(await readFile('events/kafka-msk.json', 'utf8')));
 * batch.partitions[0]?.records[0]?.offset; // 15n
 * ```
 */
export function decodeKafkaEvent(event: unknown, options: DecodeOptions = {}): KafkaBatch {
  const built = typeof event === 'object' && event !== null ? builtHere.get(event) : undefined;
  // A fresh batch over the same records: the caller may reorder or drop partitions without touching the remembered one.
  if (built !== undefined) return copyBatch(built);
  if (!isPlainObject(event)) {
    throw new EventDecodeError(`event: expected a Lambda Kafka event object, got ${describeValue(event)}`, { field: 'event', expected: 'object' });
  }
  const { eventSource, eventSourceArn, bootstrapServers, records } = event;
  if (typeof eventSource !== 'string' || !(EVENT_SOURCES as readonly string[]).includes(eventSource)) {
    throw new EventDecodeError(`eventSource: expected "SelfManagedKafka" or "aws:kafka", got ${describeValue(eventSource)}`, {
      field: 'eventSource',
      expected: EVENT_SOURCES.join(' | '),
    });
  }
  if (eventSourceArn !== undefined && (typeof eventSourceArn !== 'string' || !eventSourceArn.startsWith('arn:'))) {
    throw new EventDecodeError(`eventSourceArn: expected an ARN string ("arn:..."), got ${describeValue(eventSourceArn)}`, {
      field: 'eventSourceArn',
      expected: 'ARN',
    });
  }
  if (typeof bootstrapServers !== 'string') {
    throw new EventDecodeError(`bootstrapServers: expected a comma-separated "host:port" string, got ${describeValue(bootstrapServers)}`, {
      field: 'bootstrapServers',
      expected: '"host:port[,host:port...]"',
    });
  }
  if (!isPlainObject(records)) {
    throw new EventDecodeError(`records: expected an object keyed "<topic>-<partition>", got ${describeValue(records)}`, {
      field: 'records',
      expected: 'object',
    });
  }
  const partitions: PartitionBatch[] = Object.entries(records).map(([key, list]) => {
    const { topic, partition } = parsePartitionKey(key);
    if (!Array.isArray(list)) {
      throw new EventDecodeError(`records[${JSON.stringify(key)}]: expected an array of records, got ${describeValue(list)}`, {
        field: `records[${JSON.stringify(key)}]`,
        partitionKey: key,
        expected: 'array',
      });
    }
    const parsed = { topic, partition };
    return { topic, partition, records: list.map((raw: unknown, index) => fromWireRecord(raw, { partitionKey: key, index, parsed })) };
  });
  const batch: KafkaBatch = {
    eventSource: eventSource as KafkaBatch['eventSource'],
    ...(eventSourceArn === undefined ? {} : { eventSourceArn }),
    bootstrapServers: bootstrapServers
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
    partitions,
  };
  if (options.release === true) releaseWireRecords(event, batch);
  return batch;
}

/** Options of {@link decodeKafkaEvent}. */
export interface DecodeOptions {
  /**
   * Let the event's wire records go once decoded, for a handler that owns its event (the bridge's, the sinks'):
   * `event.records` becomes a view built from the decoded batch when first read (Lambda's shape again, with the
   * same values; fields this model does not know are not in it), and decoding the event again gives the batch
   * back. JSON.parse put every base64 value in V8's young generation (1.4 KB per 1 KiB record): held by the event
   * for the whole invocation, each is copied by the young GC and promoted; let go, they die young. Measured on the
   * bridge handler (bench/bridge-vs-mm2.ts, `handler-cpu`, A/B): about a fifth less young-GC time, less peak memory.
   * An event that cannot take the view (frozen, or `records` not configurable) is left as it is.
   */
  release?: boolean;
}

function copyBatch(batch: KafkaBatch): KafkaBatch {
  return { ...batch, bootstrapServers: [...batch.bootstrapServers], partitions: batch.partitions.map((p) => ({ ...p, records: p.records.slice() })) };
}

function releaseWireRecords(event: Record<string, unknown>, batch: KafkaBatch): void {
  defineLazyRecords(event, copyBatch(batch));
}

/**
 * Make `event.records` a property built from `batch` when first read (then a plain data property like any other).
 * False when the event does not allow it (not extensible, or `records` not configurable).
 *
 * The event is remembered with `batch` in `builtHere`, where every event's shared getter and setter find it:
 * accessors made of closures per event gave each event a hidden class of its own, which V8 keeps until a full GC,
 * and with it the batch.
 */
function defineLazyRecords(event: object, batch: KafkaBatch): boolean {
  // The batch goes in a property of the event's own: an event that takes none keeps its records as they are.
  if (!Object.isExtensible(event)) return false;
  if (!Reflect.defineProperty(event, 'records', { enumerable: true, configurable: true, get: getLazyRecords, set: setLazyRecords })) return false;
  builtHere.set(event, batch);
  return true;
}

/** The event (or the object up its prototype chain) whose `records` this accessor is. */
function lazyHolder(receiver: object): { holder: object; batch: KafkaBatch | undefined } {
  for (let o: object | null = receiver; o !== null; o = Reflect.getPrototypeOf(o)) {
    const batch = builtHere.get(o);
    if (batch !== undefined) return { holder: o, batch };
  }
  return { holder: receiver, batch: undefined };
}

function getLazyRecords(this: object): Record<string, WireKafkaRecord[]> {
  const { holder, batch } = lazyHolder(this);
  const records: Record<string, WireKafkaRecord[]> = {};
  for (const p of batch?.partitions ?? []) records[partitionKey(p.topic, p.partition)] = p.records.map(toWireRecord);
  // Kept as a data property when the event allows it; an event frozen since is read again from its batch next time.
  settleLazyRecords(holder, records);
  return records;
}

function setLazyRecords(this: object, value: unknown): void {
  if (!settleLazyRecords(lazyHolder(this).holder, value)) throw new TypeError('Cannot assign to read only property \'records\' of object');
}

function settleLazyRecords(holder: object, value: unknown): boolean {
  return Reflect.defineProperty(holder, 'records', { value, writable: true, enumerable: true, configurable: true });
}

function offsetToJsonNumber(offset: bigint, topic: string, partition: number): number {
  if (offset < 0n || offset > MAX_SAFE_OFFSET) {
    throw new EventDecodeError(
      `offset ${offset} of ${partitionKey(topic, partition)} cannot be a JSON number without losing precision (expected 0..${Number.MAX_SAFE_INTEGER})`,
      { field: 'offset', topic, partition, offset: offset.toString(), expected: `0..${Number.MAX_SAFE_INTEGER}`, rangeError: true },
    );
  }
  return Number(offset);
}

/**
 * The wire form of one record, exactly as Lambda sends it: offset as a JSON number, `key`/`value` left
 * out when null (as Lambda does for null keys and tombstones), headers as single-key objects of signed bytes.
 * Throws a range {@link EventDecodeError} for an offset above `Number.MAX_SAFE_INTEGER`.
 *
 * @example
 * ```ts
 * toWireRecord(rec).headers; // [{ "traceId": [97, -61, -87] }]
 * ```
 */
export function toWireRecord(record: SourceRecord): WireKafkaRecord {
  // Property order as in AWS's samples: key and value (left out when null) before headers. One literal per case
  // (no spread of temporary objects): this runs once per record a handler reads.
  const { topic, partition, timestamp, timestampType, key, value } = record;
  const offset = offsetToJsonNumber(record.offset, topic, partition);
  const headers = record.headers.length === 0 ? [] : record.headers.map(toWireHeader);
  if (key !== null && value !== null) return { topic, partition, offset, timestamp, timestampType, key: encodeBase64(key), value: encodeBase64(value), headers };
  if (value !== null) return { topic, partition, offset, timestamp, timestampType, value: encodeBase64(value), headers };
  if (key !== null) return { topic, partition, offset, timestamp, timestampType, key: encodeBase64(key), headers };
  return { topic, partition, offset, timestamp, timestampType, headers };
}

function toWireHeader(h: RecordHeader): Record<string, number[]> {
  return { [h.key]: Array.from(new Int8Array(h.value.buffer, h.value.byteOffset, h.value.byteLength)) };
}

/**
 * Exact inverse of {@link decodeKafkaEvent}: `decodeKafkaEvent(encodeKafkaEvent(b))` deep-equals `b`. The event is
 * remembered (by identity) with `batch`, so decoding it again in this process returns `batch`'s records as they are.
 *
 * @example
 * ```ts
 * const event = encodeKafkaEvent(batch); // hand to a Lambda handler
 * ```
 */
export function encodeKafkaEvent(batch: KafkaBatch): WireKafkaEvent {
  // (An event of one partition, the common case, needs no set.)
  const seen = batch.partitions.length > 1 ? new Set<string>() : undefined;
  for (const p of batch.partitions) {
    if (seen !== undefined) {
      const key = partitionKey(p.topic, p.partition);
      if (seen.has(key)) {
        throw new EventDecodeError(`partition ${key} appears twice in the batch; expected one entry per topic-partition`, {
          field: 'partitions',
          topic: p.topic,
          partition: p.partition,
        });
      }
      seen.add(key);
    }
    // Refused now, not when `records` is first read: an offset a JSON number cannot carry exactly. A partition's
    // records are in offset order (KafkaBatch), so its first and last bound them all (two BigInt comparisons per
    // record took 33 ns, measured in the emulator).
    const first = p.records[0];
    const last = p.records[p.records.length - 1];
    if (first !== undefined && first.offset < 0n) offsetToJsonNumber(first.offset, first.topic, first.partition);
    if (last !== undefined && last.offset > MAX_SAFE_OFFSET) offsetToJsonNumber(last.offset, last.topic, last.partition);
  }
  const event = {
    eventSource: batch.eventSource,
    ...(batch.eventSourceArn === undefined ? {} : { eventSourceArn: batch.eventSourceArn }),
    bootstrapServers: batch.bootstrapServers.join(','),
  } as WireKafkaEvent;
  // `records` is built when first read (then it is a plain data property like any other): a handler of this
  // project decodes the event through `builtHere` and never reads it, so no record is base64-encoded for it
  // (~2.5 µs and 1.4 KB of garbage per 1 KiB record); any other reader, JSON.stringify or structuredClone gets
  // exactly Lambda's shape.
  defineLazyRecords(event, batch);
  return event;
}

/**
 * The partial-batch response a handler returns for failed records (`ReportBatchItemFailures`):
 * `{ batchItemFailures: [{ itemIdentifier: { partition: "topic-N", offset } }] }`, offset as a JSON
 * number (a decimal string above `Number.MAX_SAFE_INTEGER`).
 *
 * @example
 * ```ts
 * return buildBatchResponse([{ topic: 'orders', partition: 3, offset: 42n }]);
 * ```
 */
export function buildBatchResponse(failures: ReadonlyArray<BatchItemFailure>): KafkaBatchResponse {
  return {
    batchItemFailures: failures.map((f) => ({
      itemIdentifier: {
        partition: partitionKey(f.topic, f.partition),
        offset: f.offset >= 0n && f.offset <= MAX_SAFE_OFFSET ? Number(f.offset) : f.offset.toString(),
      },
    })),
  };
}

/**
 * Validate what a handler returned, with Lambda's rules for Kafka partial batch responses:
 * - `undefined`, `null`, a non-object, or an object without `batchItemFailures` → `undefined` (complete success);
 * - `batchItemFailures` null or `[]` → `[]` (complete success);
 * - otherwise the listed failures. An `itemIdentifier` that is null, empty, has bad key names, a
 *   malformed partition or offset, or (when `batch` is given) names a record not in the batch makes Lambda
 *   treat the whole batch as failed: this function throws {@link EventDecodeError} naming the item, and the
 *   caller retries the whole batch.
 *
 * @example
 * ```ts
 * const failures = parseBatchResponse(await handler(event, context), batch);
 * ```
 */
export function parseBatchResponse(response: unknown, batch?: KafkaBatch): BatchItemFailure[] | undefined {
  if (!isPlainObject(response) || !('batchItemFailures' in response) || response.batchItemFailures === undefined) return undefined;
  const list = response.batchItemFailures;
  if (list === null) return [];
  const fail = (field: string, expected: string, got: unknown): EventDecodeError =>
    new EventDecodeError(
      `${field}: expected ${expected}, got ${describeValue(got)}; Lambda treats the whole batch as failed`,
      { field, expected, wholeBatchFailed: true },
    );
  if (!Array.isArray(list)) throw fail('batchItemFailures', 'an array of { itemIdentifier: { partition: "topic-N", offset } }', list);
  const inBatch = batch ? indexBatch(batch) : undefined;
  return list.map((item: unknown, i) => {
    const where = `batchItemFailures[${i}]`;
    if (!isPlainObject(item)) throw fail(where, 'an object { itemIdentifier: { partition, offset } }', item);
    const id = item.itemIdentifier;
    if (!isPlainObject(id)) {
      // Kinesis/SQS use a string identifier, and some middlewares emit "topic-N-offset"; Kafka needs the object.
      throw fail(`${where}.itemIdentifier`, 'an object { partition: "topic-N", offset } (Kafka does not take a string identifier)', id);
    }
    const badKeys = Object.keys(id).filter((k) => k !== 'partition' && k !== 'offset');
    if (badKeys.length > 0) throw fail(`${where}.itemIdentifier`, 'only the keys "partition" and "offset"', `keys ${badKeys.join(', ')}`);
    if (typeof id.partition !== 'string' || id.partition === '') throw fail(`${where}.itemIdentifier.partition`, 'a "topic-N" string', id.partition);
    let parsed: { topic: string; partition: number };
    try {
      parsed = parsePartitionKey(id.partition);
    } catch {
      throw fail(`${where}.itemIdentifier.partition`, 'a "topic-N" string', id.partition);
    }
    let offset: bigint;
    try {
      offset = decodeOffset(undefined, id.offset);
    } catch {
      throw fail(`${where}.itemIdentifier.offset`, 'a non-negative integer (JSON number or decimal string)', id.offset);
    }
    if (inBatch && !inBatch.get(id.partition)?.has(offset)) {
      throw fail(`${where}.itemIdentifier`, 'a partition and offset of a record in this batch', `${id.partition}@${offset}`);
    }
    return { ...parsed, offset };
  });
}

function indexBatch(batch: KafkaBatch): Map<string, Set<bigint>> {
  const index = new Map<string, Set<bigint>>();
  for (const p of batch.partitions) index.set(partitionKey(p.topic, p.partition), new Set(p.records.map((r) => r.offset)));
  return index;
}

/**
 * Per topic-partition, the lowest reported failed offset: Lambda commits up to it and redelivers from
 * it (several failures in one partition → the lowest wins, as for stream checkpoints).
 *
 * @example
 * ```ts
 * lowestFailedOffsets(failures).get('orders-3'); // { topic: 'orders', partition: 3, offset: 42n }
 * ```
 */
export function lowestFailedOffsets(failures: ReadonlyArray<BatchItemFailure>): Map<string, BatchItemFailure> {
  const lowest = new Map<string, BatchItemFailure>();
  for (const f of failures) {
    const key = partitionKey(f.topic, f.partition);
    const seen = lowest.get(key);
    if (seen === undefined || f.offset < seen.offset) lowest.set(key, f);
  }
  return lowest;
}

// Size estimation: the exact byte length of JSON.stringify(...) without building the JSON.

/** Characters of a signed byte in JSON, indexed by the unsigned byte 0..255. */
const SIGNED_BYTE_CHARS = Uint8Array.from({ length: 256 }, (_, u) => String(u > 127 ? u - 256 : u).length);

function jsonStringBytes(s: string): number {
  return Buffer.byteLength(JSON.stringify(s), 'utf8');
}

// A batch's records share their topic: its JSON size is computed once per run of the same topic.
let lastTopic = '';
let lastTopicBytes = 2;
function topicJsonBytes(topic: string): number {
  if (topic !== lastTopic) {
    lastTopicBytes = jsonStringBytes(topic);
    lastTopic = topic;
  }
  return lastTopicBytes;
}

/** Characters of a JSON number for a non-negative safe integer (other numbers: through `String`). */
function numberChars(n: number): number {
  if (!(n >= 0 && n <= Number.MAX_SAFE_INTEGER && Number.isInteger(n))) return String(n).length;
  // The fewest digits d with n < 10^d, by bisection (4 comparisons; this runs for every record's timestamp).
  let low = 1;
  let high = 16;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (n >= (POWERS_OF_TEN[mid] as number)) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** 10^0 .. 10^16 (all exact doubles). */
const POWERS_OF_TEN = Array.from({ length: 17 }, (_, d) => 10 ** d);

/**
 * Characters of an offset as a JSON number (no decimal string built: this runs once per fetched record). One
 * conversion instead of two BigInt comparisons: a BigInt above 2^53 - 1 never converts to a Number at or below it.
 */
function offsetChars(offset: bigint): number {
  const n = Number(offset);
  return n >= 0 && n <= Number.MAX_SAFE_INTEGER ? numberChars(n) : offset.toString().length;
}

function base64Chars(n: number): number {
  return 4 * Math.ceil(n / 3);
}

/**
 * The byte length of `JSON.stringify(toWireRecord(record))`, computed without serialising.
 *
 * @example
 * ```ts
 * if (size + estimateRecordSize(rec) > LAMBDA_PAYLOAD_LIMIT_BYTES) flush();
 * ```
 */
export function estimateRecordSize(record: SourceRecord): number {
  // {"topic":T,"partition":P,"offset":O,"timestamp":S,"timestampType":"X","key":"K","value":"V","headers":[H]}
  let n = '{"topic":,"partition":,"offset":,"timestamp":,"timestampType":"","headers":[]}'.length;
  n += topicJsonBytes(record.topic);
  n += numberChars(record.partition) + offsetChars(record.offset) + numberChars(record.timestamp);
  n += record.timestampType.length;
  if (record.key !== null) n += ',"key":""'.length + base64Chars(record.key.byteLength);
  if (record.value !== null) n += ',"value":""'.length + base64Chars(record.value.byteLength);
  const headers = record.headers;
  for (let i = 0; i < headers.length; i++) {
    const h = headers[i] as RecordHeader;
    n += (i > 0 ? 1 : 0) + '{:[]}'.length + jsonStringBytes(h.key);
    const bytes = h.value;
    for (let b = 0; b < bytes.length; b++) n += SIGNED_BYTE_CHARS[bytes[b] as number] as number;
    if (bytes.length > 1) n += bytes.length - 1;
  }
  return n;
}

/**
 * The bytes one `"topic-N":[...]` entry adds to `records` besides its records' own sizes, for `count` records
 * (`first`: whether it is the first entry, which has no leading comma).
 *
 * @example
 * ```ts
 * const entry = estimatePartitionEntryOverhead('orders', 3, records.length, true);
 * ```
 */
export function estimatePartitionEntryOverhead(topic: string, partition: number, count: number, first: boolean): number {
  return (first ? 0 : 1) + jsonStringBytes(partitionKey(topic, partition)) + ':[]'.length + Math.max(0, count - 1);
}

/**
 * The bytes of the event around `records`' content: `{"eventSource":...,"bootstrapServers":"...","records":{}}`.
 *
 * @example
 * ```ts
 * let size = estimateEnvelopeSize({ eventSource: 'SelfManagedKafka', bootstrapServers: ['b:9092'] });
 * ```
 */
export function estimateEnvelopeSize(envelope: Pick<KafkaBatch, 'eventSource' | 'eventSourceArn' | 'bootstrapServers'>): number {
  let n = '{"eventSource":,"bootstrapServers":,"records":{}}'.length + jsonStringBytes(envelope.eventSource);
  if (envelope.eventSourceArn !== undefined) n += ',"eventSourceArn":'.length + jsonStringBytes(envelope.eventSourceArn);
  n += jsonStringBytes(envelope.bootstrapServers.join(','));
  return n;
}

/**
 * The byte length of `JSON.stringify(encodeKafkaEvent(batch))`, computed without serialising; compare
 * with {@link LAMBDA_PAYLOAD_LIMIT_BYTES}.
 *
 * @example
 * ```ts
 * estimateEventSize(batch) <= LAMBDA_PAYLOAD_LIMIT_BYTES;
 * ```
 */
export function estimateEventSize(batch: KafkaBatch): number {
  let n = estimateEnvelopeSize(batch);
  batch.partitions.forEach((p, i) => {
    n += estimatePartitionEntryOverhead(p.topic, p.partition, p.records.length, i === 0);
    for (const r of p.records) n += estimateRecordSize(r);
  });
  return n;
}

/**
 * Running byte count of an event being assembled record by record, so a poller can stop before
 * {@link LAMBDA_PAYLOAD_LIMIT_BYTES} without serialising. The count equals
 * `JSON.stringify(encodeKafkaEvent(batch))`'s byte length for the records added, in any order.
 *
 * @example
 * ```ts
 * const size = new EventSizeCounter({ eventSource: 'SelfManagedKafka', bootstrapServers: ['b:9092'] });
 * for (const rec of polled) {
 *   if (size.bytesWith(rec) > LAMBDA_PAYLOAD_LIMIT_BYTES) break;
 *   size.add(rec);
 * }
 * ```
 */
export class EventSizeCounter {
  private total: number;
  private readonly seen = new Set<string>();

  public constructor(envelope: Pick<KafkaBatch, 'eventSource' | 'eventSourceArn' | 'bootstrapServers'>) {
    this.total = estimateEnvelopeSize(envelope);
  }

  /** Bytes of the event so far. */
  public get bytes(): number {
    return this.total;
  }

  /** Bytes the event would have with `record` added (the record is not added). */
  public bytesWith(record: SourceRecord): number {
    return this.total + this.increment(record);
  }

  /** Add `record`; returns the new total. */
  public add(record: SourceRecord): number {
    this.total += this.increment(record);
    this.seen.add(partitionKey(record.topic, record.partition));
    return this.total;
  }

  private increment(record: SourceRecord): number {
    const key = partitionKey(record.topic, record.partition);
    // A record joining its partition's array costs a comma; opening a partition costs its key entry.
    const entry = this.seen.has(key) ? 1 : estimatePartitionEntryOverhead(record.topic, record.partition, 1, this.seen.size === 0);
    return entry + estimateRecordSize(record);
  }
}
