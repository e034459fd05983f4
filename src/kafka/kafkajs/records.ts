import type { IHeaders, KafkaMessage, Message, RecordMetadata } from 'kafkajs';
import { KafkaRequestError } from '../../errors';
import type { ConsumedRecord, KafkaHeader, OutgoingRecord, PartitionWrite } from '../port';

/**
 * A port record as a kafkajs message. kafkajs takes headers as an object: repeated keys become an array
 * (their values keep their order), interleaved keys are written grouped by key (first-occurrence order).
 */
export function toKafkajsMessage(record: OutgoingRecord): Message {
  const message: Message = { key: record.key, value: record.value };
  if (record.headers !== undefined && record.headers.length > 0) message.headers = toKafkajsHeaders(record.headers);
  if (record.timestamp !== undefined) message.timestamp = record.timestamp;
  if (record.partition !== undefined) message.partition = record.partition;
  return message;
}

function toKafkajsHeaders(headers: readonly KafkaHeader[]): IHeaders {
  const out: Record<string, Buffer | Buffer[]> = {};
  for (const { key, value } of headers) {
    const earlier = out[key];
    if (earlier === undefined) out[key] = value;
    else if (Array.isArray(earlier)) earlier.push(value);
    else out[key] = [earlier, value];
  }
  return out as IHeaders;
}

/** A kafkajs message as a port record: bytes as kafkajs decoded them (no copy), headers as a list. */
export function toConsumedRecord(topic: string, partition: number, message: KafkaMessage): ConsumedRecord {
  const headers: KafkaHeader[] = [];
  for (const [key, raw] of Object.entries(message.headers ?? {})) {
    // kafkajs folds repeated header keys into an array (first-occurrence order of keys is kept).
    for (const value of Array.isArray(raw) ? raw : [raw]) {
      if (value === undefined) continue;
      headers.push({ key, value: typeof value === 'string' ? Buffer.from(value) : value });
    }
  }
  const batchContext = (message as KafkaMessage & { batchContext?: { timestampType?: number } }).batchContext;
  return {
    topic,
    partition,
    offset: BigInt(message.offset),
    timestamp: Number(message.timestamp),
    timestampType: batchContext?.timestampType === 1 ? 'LOG_APPEND_TIME' : 'CREATE_TIME',
    key: message.key ?? null,
    value: message.value ?? null,
    headers,
  };
}

/**
 * The partition each message of a send went to, as the partitioner chose it (kafkajs groups a topic's
 * messages per partition with the partitioner and sends each partition's messages as one record batch).
 */
export class PartitionChoices {
  private readonly chosen = new WeakMap<Message, number>();

  public record(message: Message, partition: number): void {
    this.chosen.set(message, partition);
  }

  /** Per partition written, where its records went: the response's base offset and the count of messages sent there. */
  public writes(topic: string, messages: readonly Message[], metadata: readonly RecordMetadata[]): PartitionWrite[] {
    const counts = new Map<number, number>();
    for (const m of messages) {
      const partition = m.partition ?? this.chosen.get(m);
      if (partition === undefined) continue;
      counts.set(partition, (counts.get(partition) ?? 0) + 1);
    }
    return [...counts].map(([partition, count]) => {
      const answer = metadata.find((m) => m.topicName === topic && m.partition === partition);
      if (answer?.baseOffset === undefined) {
        throw new KafkaRequestError(`Produce response for ${topic}-${partition} carried no base offset; expected one per partition written`, { topic, partition });
      }
      return { topic, partition, baseOffset: BigInt(answer.baseOffset), count };
    });
  }
}
