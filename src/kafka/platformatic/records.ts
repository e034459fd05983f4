import type { MessageToProduce, RecordsBatch } from '@platformatic/kafka';
import { javaPartitionForKey } from '../murmur2';
import type { ConsumedRecord, KafkaHeader, OutgoingRecord } from '../port';

/** Record-batch attribute bits (Kafka's DefaultRecordBatch). */
const TIMESTAMP_TYPE_LOG_APPEND = 0x08;
const TRANSACTIONAL = 0x10;
const CONTROL = 0x20;
/** Control record type in the key: 0 ABORT, 1 COMMIT. */
const ABORT_MARKER = 0;
const EMPTY = Buffer.alloc(0);
const MAX_SAFE_OFFSET = BigInt(Number.MAX_SAFE_INTEGER);
/**
 * The headers of every record that has none: one frozen array instead of one per record (a consumer may hold
 * thousands of records, as the emulator's queues do). Nothing in the project adds headers to a consumed record.
 */
const NO_HEADERS = Object.freeze([]) as unknown as KafkaHeader[];

/**
 * Put every message without a partition on one: Java's default partitioning for keyed records (as kafkajs), and
 * round robin per topic for the others. The adapter assigns partitions itself, so that it knows where each record
 * went (the library partitions copies of the messages it is given).
 */
export function assignPartitions(messages: MessageToProduce[], partitions: number, roundRobin: Map<string, number>): void {
  for (const message of messages) {
    if (message.partition !== undefined) continue;
    if (message.key !== undefined && message.key !== null) {
      message.partition = javaPartitionForKey(message.key, partitions);
    } else {
      const next = roundRobin.get(message.topic) ?? Math.floor(Math.random() * partitions);
      roundRobin.set(message.topic, next + 1);
      message.partition = next % partitions;
    }
  }
}

function toBuffer(value: Buffer | string): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

// Header key names repeat on every record (a few per workload): one Buffer each instead of one per record.
const headerKeys = new Map<string, Buffer>();
const MAX_CACHED_HEADER_KEYS = 1024;

/**
 * One record in the library's shape, without copying keys, values or header values given as Buffers. Header
 * keys become distinct Buffer objects of a Map, so repeated keys survive in their order (the library keeps the
 * identity of Map keys through its no-op serializer).
 */
export function toLibraryMessage(topic: string, record: OutgoingRecord): MessageToProduce {
  const message: MessageToProduce = { topic };
  if (record.key !== null && record.key !== undefined) message.key = toBuffer(record.key);
  // A null value is a tombstone: the record writer encodes undefined/null as length -1.
  message.value = record.value === null || record.value === undefined ? (null as unknown as undefined) : toBuffer(record.value);
  if (record.headers !== undefined && record.headers.length > 0) {
    const headers = new Map<Buffer, Buffer>();
    for (const h of record.headers) {
      // The cached Buffer of this key name, or a fresh one when the key repeats within the record.
      let key = headerKeys.get(h.key);
      if (key === undefined || headers.has(key)) {
        key = Buffer.from(h.key, 'utf8');
        if (!headerKeys.has(h.key) && headerKeys.size < MAX_CACHED_HEADER_KEYS) headerKeys.set(h.key, key);
      }
      headers.set(key, toBuffer(h.value as Buffer | string));
    }
    message.headers = headers;
  }
  if (record.timestamp !== undefined) message.timestamp = BigInt(record.timestamp);
  if (record.partition !== undefined) message.partition = record.partition;
  return message;
}

export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: bigint;
}

export interface DecodedPartition {
  records: ConsumedRecord[];
  /** The offset after the last batch the response held (control and aborted batches included), or `fetchOffset`. */
  nextOffset: bigint;
}

/**
 * The data records of one partition's fetch answer, from `fetchOffset` on, in offset order, and the position after
 * it. At read_committed, batches of aborted transactions are dropped as the Java consumer does: a producer is
 * "aborted" from the first offset the broker lists for it until its ABORT marker, whether or not the marker is in
 * this answer (the library's own filter keeps an aborted batch whose marker comes in a later fetch). Control
 * batches are never delivered.
 *
 * @example
 * ```ts
 * const { records, nextOffset } = decodePartition('orders', 0, partition.records ?? [], partition.abortedTransactions, 42n, true);
 * ```
 */
export function decodePartition(
  topic: string,
  partition: number,
  batches: readonly RecordsBatch[],
  abortedTransactions: readonly AbortedTransaction[] | null | undefined,
  fetchOffset: bigint,
  readCommitted: boolean,
): DecodedPartition {
  const records: ConsumedRecord[] = [];
  let nextOffset = fetchOffset;
  const aborted = readCommitted && abortedTransactions && abortedTransactions.length > 0 ? [...abortedTransactions].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0)) : [];
  const abortedProducers = new Set<bigint>();
  let nextAborted = 0;
  for (const batch of batches) {
    const lastOffset = batch.firstOffset + BigInt(batch.lastOffsetDelta);
    if (lastOffset < fetchOffset) continue;
    if (lastOffset + 1n > nextOffset) nextOffset = lastOffset + 1n;
    while (nextAborted < aborted.length && (aborted[nextAborted] as AbortedTransaction).firstOffset <= lastOffset) {
      abortedProducers.add((aborted[nextAborted] as AbortedTransaction).producerId);
      nextAborted++;
    }
    if ((batch.attributes & CONTROL) !== 0) {
      const key = batch.records[0]?.key;
      if (readCommitted && key && key.length >= 4 && key.readInt16BE(2) === ABORT_MARKER) abortedProducers.delete(batch.producerId);
      continue;
    }
    if (readCommitted && (batch.attributes & TRANSACTIONAL) !== 0 && abortedProducers.has(batch.producerId)) continue;
    const logAppend = (batch.attributes & TIMESTAMP_TYPE_LOG_APPEND) !== 0;
    const timestampType = logAppend ? 'LOG_APPEND_TIME' : 'CREATE_TIME';
    const firstTimestamp = Number(batch.firstTimestamp);
    const maxTimestamp = Number(batch.maxTimestamp);
    // One BigInt per record rather than two (the delta's and the sum's) while the batch's offsets are exact Numbers.
    const safeBase = lastOffset <= MAX_SAFE_OFFSET ? Number(batch.firstOffset) : undefined;
    for (const record of batch.records) {
      const offset = safeBase !== undefined ? BigInt(safeBase + record.offsetDelta) : batch.firstOffset + BigInt(record.offsetDelta);
      if (offset < fetchOffset) continue;
      const headers: KafkaHeader[] = record.headers.length === 0 ? NO_HEADERS : new Array(record.headers.length);
      for (let i = 0; i < record.headers.length; i++) {
        const [k, v] = record.headers[i] as [Buffer | null, Buffer | null];
        headers[i] = { key: k === null ? '' : k.toString('utf8'), value: v ?? EMPTY };
      }
      records.push({
        topic,
        partition,
        offset,
        timestamp: logAppend ? maxTimestamp : firstTimestamp + Number(record.timestampDelta),
        timestampType,
        key: record.key,
        value: record.value,
        headers,
      });
    }
  }
  return { records, nextOffset };
}
