import type { BatchLimits, Entry, EntryOutcome } from './types';

/**
 * Split `entries` (in order) into requests that respect a service's count and byte limits.
 * Entries sharing a `conflictKey` never share a request; a later one starts a new request, so order
 * (and "last write wins") is kept. Callers dead-letter entries over `maxEntryBytes` before chunking.
 *
 * @example
 * ```ts
 * chunkEntries(entries, { maxEntries: 10, maxRequestBytes: 1_048_576, maxEntryBytes: 1_048_576 });
 * ```
 */
export function chunkEntries<P>(entries: readonly Entry<P>[], limits: BatchLimits): Entry<P>[][] {
  const chunks: Entry<P>[][] = [];
  let current: Entry<P>[] = [];
  let bytes = 0;
  let keys = new Set<string>();
  for (const entry of entries) {
    if (entry.bytes > limits.maxEntryBytes || entry.bytes > limits.maxRequestBytes) {
      throw new RangeError(`entry of ${entry.bytes} bytes exceeds the limit; it must be dead-lettered before chunking`);
    }
    const conflict = entry.conflictKey !== undefined && keys.has(entry.conflictKey);
    if (current.length > 0 && (current.length >= limits.maxEntries || bytes + entry.bytes > limits.maxRequestBytes || conflict)) {
      chunks.push(current);
      current = [];
      bytes = 0;
      keys = new Set();
    }
    current.push(entry);
    bytes += entry.bytes;
    if (entry.conflictKey !== undefined) keys.add(entry.conflictKey);
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

export interface RetryOptions {
  /** Total attempts per entry, first one included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Injected in tests. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export const DefaultRetryOptions: RetryOptions = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 2_000 };

/** Sends one request; answers one outcome per entry, in the same order. May throw for a whole-request failure. */
export type SendRequest<P> = (entries: Entry<P>[]) => Promise<EntryOutcome[]>;

/**
 * Send one request's entries, then retry only the entries that failed retriably, with full-jitter
 * exponential backoff, up to `maxAttempts`. A thrown error fails every entry of that request with the
 * error's retriability. Returns the final outcome per entry, in input order.
 *
 * @example
 * ```ts
 * const outcomes = await sendWithRetry(chunk, (entries) => sendSqsBatch(client, queueUrl, entries), DefaultRetryOptions);
 * ```
 */
export async function sendWithRetry<P>(
  entries: Entry<P>[],
  send: SendRequest<P>,
  options: RetryOptions,
): Promise<EntryOutcome[]> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  const outcomes: EntryOutcome[] = entries.map(() => ({ ok: false, retriable: true, reason: 'not sent' }));
  let pending = entries.map((_, index) => index);
  for (let attempt = 1; pending.length > 0; attempt += 1) {
    if (attempt > 1) {
      const cap = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 2));
      await sleep(Math.floor(random() * cap));
    }
    const batch = pending.map((index) => entries[index] as Entry<P>);
    let results: EntryOutcome[];
    try {
      results = await send(batch);
    } catch (err) {
      const failure = classifyAwsError(err);
      results = batch.map(() => failure);
    }
    const stillPending: number[] = [];
    pending.forEach((index, position) => {
      const result = results[position] ?? { ok: false, retriable: true, reason: 'no result returned for this entry' };
      if (!result.ok && result.retriable && attempt < options.maxAttempts) stillPending.push(index);
      outcomes[index] = result.ok || !result.retriable || attempt < options.maxAttempts
        ? result
        : { ...result, reason: `${result.reason} (gave up after ${attempt} attempts)` };
    });
    pending = stillPending;
  }
  return outcomes;
}

const ThrottlingNames = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'SlowDown',
  'RequestThrottled',
]);

/**
 * Classify a thrown AWS SDK v3 (or network) error as a failed outcome: server faults, throttling and
 * network errors (no HTTP response) are retriable; other client faults (validation, missing resource,
 * access denied) are not. The reason names the error, never the request.
 */
export function classifyAwsError(err: unknown): EntryOutcome & { ok: false } {
  const e = err as { name?: string; message?: string; $fault?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  const name = e?.name ?? 'Error';
  const status = e?.$metadata?.httpStatusCode;
  const retriable =
    e?.$retryable !== undefined ||
    ThrottlingNames.has(name) ||
    e?.$fault === 'server' ||
    status === 429 ||
    (status !== undefined && status >= 500) ||
    (status === undefined && e?.$fault === undefined && !(err instanceof TypeError) && !(err instanceof RangeError));
  return { ok: false, retriable, reason: `${name}: ${e?.message ?? String(err)}` };
}
