import { partitionKey } from '../event/codec';
import type { KafkaBatch } from '../event/types';
import { entriesPerRecord } from './deliver';
import { attributesSize, buildMessageAttributes, fifoId, isAllowedText, type MessageAttribute } from './attributes';
import { coordinatesOf, serializeValue, shapeBytes, utf8Length, type PayloadFormat } from './shape';
import type { Entry, Reject } from './types';

/** How SQS and SNS messages are built: the body is the shaped value, the rest rides in attributes. */
export interface MessageOptions {
  payloadFormat: PayloadFormat;
  /** FIFO queue/topic: set MessageGroupId and MessageDeduplicationId. */
  fifo: boolean;
  /** FIFO message group per Kafka `key` (null/empty keys fall back to the partition) or per `partition`. */
  messageGroup: 'partition' | 'key';
}

/** The service-neutral message: SQS and SNS adapters map it onto their request entry types. */
export interface Message {
  body: string;
  attributes: Record<string, MessageAttribute>;
  groupId?: string;
  deduplicationId?: string;
}

/**
 * Build one message per record. A value that cannot be shaped, or whose body would hold characters
 * SQS/SNS refuse, is a reject (dead-letter) with the reason.
 *
 * @example
 * ```ts
 * const { entries, rejects } = buildMessages(batch, { payloadFormat: 'json', fifo: true, messageGroup: 'key' });
 * entries[0].payload.deduplicationId; // 'orders-0-42'
 * ```
 */
export function buildMessages(batch: KafkaBatch, options: MessageOptions): { entries: Entry<Message>[]; rejects: Reject[] } {
  return entriesPerRecord(batch, (record) => {
    const shaped = shapeBytes(record.value, options.payloadFormat);
    if (!shaped.ok) return `value ${shaped.reason}`;
    const serialized = serializeValue(shaped.value, options.payloadFormat);
    const body = serialized ?? 'null';
    if (!isAllowedText(body)) return 'value contains characters SQS/SNS do not accept in a message body (use PAYLOAD_FORMAT=base64)';
    const marker = serialized !== undefined ? undefined : record.value === null ? 'value-null' : 'value-empty';
    const attributes = buildMessageAttributes(record, { valueMarker: marker });
    const message: Message = { body, attributes };
    if (options.fifo) {
      const byKey = options.messageGroup === 'key' && record.key !== null && record.key.byteLength > 0;
      message.groupId = byKey ? fifoId(record.key as Uint8Array) : fifoId(partitionKey(record.topic, record.partition));
      message.deduplicationId = fifoId(coordinatesOf(record));
    }
    return { payload: message, bytes: utf8Length(body) + attributesSize(attributes) };
  });
}

/** Batch entry ids: unique per request, `[A-Za-z0-9_-]{1,80}` as SQS and SNS require. */
export function batchEntryId(index: number): string {
  return `e${index}`;
}

/** Map SQS/SNS `Failed` entries (Id, SenderFault, Code, Message) back to per-entry outcomes, in order. */
export function outcomesFromBatchResult(
  count: number,
  failed: Array<{ Id?: string; SenderFault?: boolean; Code?: string; Message?: string }> | undefined,
  successful: Array<{ Id?: string }> | undefined,
): Array<{ ok: true } | { ok: false; retriable: boolean; reason: string }> {
  const ok = new Set((successful ?? []).map((s) => s.Id));
  const failures = new Map((failed ?? []).map((f) => [f.Id, f]));
  return Array.from({ length: count }, (_, i) => {
    const id = batchEntryId(i);
    const failure = failures.get(id);
    if (failure) return { ok: false, retriable: failure.SenderFault !== true, reason: `${failure.Code ?? 'Error'}: ${failure.Message ?? ''}`.trim() };
    if (ok.has(id)) return { ok: true };
    return { ok: false, retriable: true, reason: 'entry missing from the batch response' };
  });
}
