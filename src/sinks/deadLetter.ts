import type { SQSClient } from '@aws-sdk/client-sqs';
import { partitionKey } from '../event/codec';
import { fifoId } from './attributes';
import { chunkEntries, sendWithRetry, type RetryOptions } from './batching';
import type { DeadLetterPort } from './deliver';
import type { Message } from './messages';
import { coordinatesOf, toBase64, utf8Length } from './shape';
import { isFifoQueueUrl, sendSqsBatch, SqsLimits } from './sqs';
import type { BatchLimits, Entry, EntryOutcome, Reject, SinkKind } from './types';

/**
 * The body of one dead-letter message (JSON). Bytes are base64, so any record fits the format; when the
 * whole message would exceed the DLQ's size limit, `value` is cut (and then key/headers dropped) and
 * `truncated` is true — `valueBytes` still tells the original size.
 */
export interface DeadLetterBody {
  reason: string;
  sink: SinkKind;
  topic: string;
  partition: number;
  offset: string;
  timestamp: number;
  timestampType: string;
  key: string | null;
  headers: Array<{ key: string; value: string }> | null;
  value: string | null;
  valueBytes: number | null;
  truncated: boolean;
}

/**
 * Build the dead-letter body of one reject, cut to `maxBytes`.
 *
 * @example
 * ```ts
 * const body = deadLetterBody({ record, reason: 'too big for sqs: 2000000 bytes > limit 1048576' }, 'sqs', 1_048_576);
 * body.truncated; // true
 * ```
 */
export function deadLetterBody(reject: Reject, sink: SinkKind, maxBytes: number): DeadLetterBody {
  const { record, reason } = reject;
  const body: DeadLetterBody = {
    reason,
    sink,
    topic: record.topic,
    partition: record.partition,
    offset: record.offset.toString(),
    timestamp: record.timestamp,
    timestampType: record.timestampType,
    key: record.key === null ? null : toBase64(record.key),
    headers: record.headers.map((h) => ({ key: h.key, value: toBase64(h.value) })),
    value: record.value === null ? null : toBase64(record.value),
    valueBytes: record.value === null ? null : record.value.byteLength,
    truncated: false,
  };
  const size = (): number => utf8Length(JSON.stringify(body));
  if (size() <= maxBytes) return body;
  body.truncated = true;
  if (body.value !== null) {
    const room = maxBytes - (size() - body.value.length);
    // Whole base64 quanta only, so the cut value still decodes to a prefix of the original bytes.
    body.value = room >= 4 ? body.value.slice(0, Math.floor(room / 4) * 4) : '';
  }
  if (size() > maxBytes) {
    body.key = null;
    body.headers = null;
  }
  if (size() > maxBytes) body.reason = body.reason.slice(0, 1024);
  return body;
}

/**
 * A dead-letter queue on SQS: one message per reject (see {@link DeadLetterBody}), sent with the same
 * batching and retry loop as the sinks; on a FIFO DLQ grouped per source partition and deduplicated by
 * source coordinates.
 *
 * @example
 * ```ts
 * const deadLetter = createSqsDeadLetterQueue(sqs, process.env.DLQ_URL, { retry: DefaultRetryOptions });
 * ```
 */
export function createSqsDeadLetterQueue(
  client: SQSClient,
  queueUrl: string,
  options: { retry: RetryOptions; limits?: BatchLimits },
): DeadLetterPort {
  const limits = options.limits ?? SqsLimits;
  const fifo = isFifoQueueUrl(queueUrl);
  return {
    async send(rejects: Reject[], sinkKind: SinkKind): Promise<EntryOutcome[]> {
      const entries: Entry<Message>[] = rejects.map((reject) => {
        const body = JSON.stringify(deadLetterBody(reject, sinkKind, limits.maxEntryBytes));
        const message: Message = { body, attributes: {} };
        if (fifo) {
          message.groupId = fifoId(partitionKey(reject.record.topic, reject.record.partition));
          message.deduplicationId = fifoId(coordinatesOf(reject.record));
        }
        return { records: [reject.record], payload: message, bytes: utf8Length(body) };
      });
      const outcomes = new Map<Entry<Message>, EntryOutcome>();
      for (const chunk of chunkEntries(entries, limits)) {
        const results = await sendWithRetry(chunk, (batch) => sendSqsBatch(client, queueUrl, batch), options.retry);
        chunk.forEach((entry, i) => outcomes.set(entry, results[i] as EntryOutcome));
      }
      return entries.map((e) => outcomes.get(e) as EntryOutcome);
    },
  };
}
