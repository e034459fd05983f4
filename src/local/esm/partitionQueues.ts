import { estimateEnvelopeSize, estimatePartitionEntryOverhead, estimateRecordSize, partitionKey } from '../../event/codec';
import type { SourceRecord } from '../../event/types';

/**
 * The emulator's per-partition state between the consumer's fetches and handler invocations: a queue of
 * records fetched but not yet committed, the commit frontier, and retry bookkeeping. Pure (no I/O),
 * so batching and settling rules are unit-tested without a broker.
 */
export interface PartitionState {
  readonly key: string;
  readonly topic: string;
  readonly partition: number;
  /** Records fetched, not yet delivered successfully, in offset order. */
  queue: SourceRecord[];
  /** Bytes each record of `queue` adds to the event JSON (same index). */
  sizes: number[];
  /** When each record of `queue` was fetched (epoch ms, same index; 0 for a record given back after a failure). */
  arrivals: number[];
  /** Sum of `sizes`, kept as records come and go (a batch decision never rescans the queue). */
  queuedBytes: number;
  /** Exclusive upper bound of what the fetcher handed over (records, filtered records, control records). */
  fetchedUpTo: bigint | undefined;
  /** Last offset committed by us in this assignment. */
  committed: bigint | undefined;
  /** A batch with records of this partition is being processed. */
  inFlight: boolean;
  /** Earliest time (epoch ms) the head may be delivered again, after a failure. */
  notBefore: number;
  /** Consecutive failed invocations of the head record. */
  failures: number;
}

/** A fresh state for a newly assigned partition. */
export function newPartitionState(topic: string, partition: number): PartitionState {
  // Parallel arrays rather than an object per record: a queue holds thousands of records, long enough for the GC
  // to copy them, and a number in an array is no object of its own.
  return { key: partitionKey(topic, partition), topic, partition, queue: [], sizes: [], arrivals: [], queuedBytes: 0, fetchedUpTo: undefined, committed: undefined, inFlight: false, notBefore: 0, failures: 0 };
}

/**
 * Add fetched records to a partition's queue. Records below the fetch frontier are duplicates of what
 * is already queued or done (a consumer refetches from the committed offset after a rebalance) and are dropped;
 * `keep` says whether a record is delivered (filter criteria) — dropped ones still advance the frontier,
 * so they are committed as Lambda commits filtered-out records.
 *
 * @example
 * ```ts
 * enqueueFetched(state, records, 41n, (r) => true, Date.now());
 * ```
 */
export function enqueueFetched(
  state: PartitionState,
  records: readonly SourceRecord[],
  lastOffset: bigint,
  keep: (record: SourceRecord) => boolean,
  now: number,
): number {
  let added = 0;
  for (const record of records) {
    if (state.fetchedUpTo !== undefined && record.offset < state.fetchedUpTo) continue;
    if (!keep(record)) continue;
    const size = estimateRecordSize(record);
    state.queue.push(record);
    state.sizes.push(size);
    state.arrivals.push(now);
    state.queuedBytes += size;
    added++;
  }
  if (state.fetchedUpTo === undefined || lastOffset + 1n > state.fetchedUpTo) state.fetchedUpTo = lastOffset + 1n;
  return added;
}

export interface BatchLimits {
  batchSize: number;
  maxPayloadBytes: number;
  batchingWindowMs: number;
  envelope: Parameters<typeof estimateEnvelopeSize>[0];
}

export interface PlannedPart {
  state: PartitionState;
  records: SourceRecord[];
}

export type BatchPlan = { kind: 'batch'; parts: PlannedPart[]; bytes: number } | { kind: 'wait'; untilMs: number | undefined };

/**
 * Decide whether a batch is due and take it. A batch is due when the eligible queues (not in flight,
 * past their retry backoff) hold `batchSize` records or a full payload, or the oldest eligible record
 * has waited the batching window. Records are taken partition by partition (each partition's records
 * stay in offset order), starting at `startIndex` so partitions take turns, until `batchSize` or the
 * 6 MB payload would be exceeded. A single record larger than the payload limit goes alone.
 * Taken records leave their queues and their partitions are marked in flight.
 *
 * @example
 * ```ts
 * const plan = planBatch([...states.values()], limits, Date.now(), turn++);
 * ```
 */
export function planBatch(states: readonly PartitionState[], limits: BatchLimits, now: number, startIndex = 0): BatchPlan {
  const eligible: PartitionState[] = [];
  let nextWake: number | undefined;
  let queued = 0;
  let queuedBytes = 0;
  let oldest = Number.POSITIVE_INFINITY;
  for (const s of states) {
    if (s.inFlight || s.queue.length === 0) continue;
    if (s.notBefore > now) {
      nextWake = Math.min(nextWake ?? s.notBefore, s.notBefore);
      continue;
    }
    eligible.push(s);
    queued += s.queue.length;
    queuedBytes += s.queuedBytes;
    oldest = Math.min(oldest, s.arrivals[0] as number);
  }
  if (eligible.length === 0) return { kind: 'wait', untilMs: nextWake };
  const windowEnds = oldest + limits.batchingWindowMs;
  if (queued < limits.batchSize && queuedBytes < limits.maxPayloadBytes && windowEnds > now) {
    return { kind: 'wait', untilMs: Math.min(windowEnds, nextWake ?? windowEnds) };
  }
  const parts: PlannedPart[] = [];
  let count = 0;
  let bytes = estimateEnvelopeSize(limits.envelope);
  const n = eligible.length;
  for (let i = 0; i < n && count < limits.batchSize; i++) {
    const s = eligible[(startIndex + i) % n] as PartitionState;
    let taken = 0;
    let takenBytes = 0;
    let entryBytes = estimatePartitionEntryOverhead(s.topic, s.partition, 1, parts.length === 0);
    for (let q = 0; q < s.queue.length; q++) {
      if (count >= limits.batchSize) break;
      const size = s.sizes[q] as number;
      const add = size + (taken > 0 ? 1 : 0) + (taken === 0 ? entryBytes : 0);
      if (bytes + add > limits.maxPayloadBytes && count > 0) break;
      bytes += add;
      entryBytes = 0;
      takenBytes += size;
      taken++;
      count++;
    }
    if (taken === 0) break;
    const take = s.queue.splice(0, taken);
    s.sizes.splice(0, taken);
    s.arrivals.splice(0, taken);
    s.queuedBytes -= takenBytes;
    s.inFlight = true;
    parts.push({ state: s, records: take });
    if (bytes >= limits.maxPayloadBytes) break;
  }
  return { kind: 'batch', parts, bytes };
}

/** How an invocation ended, as the settle step sees it. */
export type InvocationOutcome =
  | { kind: 'success' }
  | { kind: 'error'; error: unknown }
  /** Partial batch response: lowest failed offset per partition key. */
  | { kind: 'partial'; failedFrom: ReadonlyMap<string, bigint> };

export interface SettledPart {
  state: PartitionState;
  /** Offset to commit (next record to read), when it moved forward. */
  commit?: bigint;
  /** Records given back to the queue for redelivery. */
  requeued: number;
  /** Records discarded after the retries ran out (go to the on-failure destination). */
  discarded: SourceRecord[];
}

/**
 * Apply an invocation's outcome to the partitions of its batch, with Lambda's rules: success → commit
 * everything; thrown error → every record goes back, whole batch retried; partial response → per
 * partition, records before the lowest failed offset are done and the rest go back. A partition whose
 * head failed more than `maximumRetryAttempts` times (-1 = forever) has the failed records discarded
 * and moves on. Failed partitions wait `backoffMs(failures)` before their next delivery.
 *
 * @example
 * ```ts
 * const settled = settleBatch(plan.parts, { kind: 'error', error }, { maximumRetryAttempts: 2, backoffMs: (n) => 100 * 2 ** n, now: Date.now() });
 * ```
 */
export function settleBatch(
  parts: readonly PlannedPart[],
  outcome: InvocationOutcome,
  options: { maximumRetryAttempts: number; backoffMs: (failures: number) => number; now: number },
): SettledPart[] {
  return parts.map(({ state, records }) => {
    state.inFlight = false;
    const first = records[0] as SourceRecord;
    const failedFrom = outcome.kind === 'error' ? first.offset : outcome.kind === 'partial' ? outcome.failedFrom.get(state.key) : undefined;
    const failedIndex = failedFrom === undefined ? -1 : records.findIndex((r) => r.offset >= failedFrom);
    let requeued = 0;
    let discarded: SourceRecord[] = [];
    if (failedIndex >= 0) {
      const failed = records.slice(failedIndex);
      if (failedIndex > 0) state.failures = 0;
      state.failures++;
      if (options.maximumRetryAttempts >= 0 && state.failures > options.maximumRetryAttempts) {
        discarded = failed;
        state.failures = 0;
        state.notBefore = 0;
      } else {
        const sizes = failed.map((record) => estimateRecordSize(record));
        state.queue = failed.concat(state.queue);
        state.sizes = sizes.concat(state.sizes);
        state.arrivals = failed.map(() => 0).concat(state.arrivals);
        for (const size of sizes) state.queuedBytes += size;
        requeued = failed.length;
        state.notBefore = options.now + options.backoffMs(state.failures);
      }
    } else {
      state.failures = 0;
      state.notBefore = 0;
    }
    const commit = commitFrontier(state);
    return { state, requeued, discarded, ...(commit !== undefined ? { commit } : {}) };
  });
}

/**
 * The offset that can be committed for a partition now: the first record still queued, or everything
 * fetched when the queue is empty. `undefined` when it would not move the committed offset forward.
 */
export function commitFrontier(state: PartitionState): bigint | undefined {
  if (state.inFlight) return undefined;
  const head = state.queue[0];
  const frontier = head !== undefined ? head.offset : state.fetchedUpTo;
  if (frontier === undefined) return undefined;
  if (state.committed !== undefined && frontier <= state.committed) return undefined;
  return frontier;
}
