import type { BatchLimits } from './types';

/**
 * SQS SendMessageBatch limits: 10 messages; 1 MiB (1,048,576 bytes) per message and per request —
 * raised from 256 KiB in 2025 (SendMessageBatch API reference, SDK 3.11xx docs). A queue whose
 * `MaximumMessageSize` is lower needs `MAX_ENTRY_BYTES`/`MAX_REQUEST_BYTES` set to match.
 */
export const SqsLimits: BatchLimits = { maxEntries: 10, maxRequestBytes: 1_048_576, maxEntryBytes: 1_048_576 };

/** FIFO queues end in `.fifo` (SQS requires the suffix). */
export function isFifoQueueUrl(queueUrl: string): boolean {
  return queueUrl.endsWith('.fifo');
}
