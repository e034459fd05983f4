import { sourceClusterOf } from '../deadLetter/body';
import type { KafkaBatch, SourceRecord } from '../event/types';
import { chunkEntries, sendWithRetry, type RetryOptions, type SendRequest } from './batching';
import type {
  BatchLimits,
  Entry,
  EntryOutcome,
  PartitionFailure,
  RecordOutcome,
  RecordResult,
  Reject,
  SinkCounts,
  SinkKind,
  SinkResult,
} from './types';

/** The service-specific half of a sink: how to build request entries and how to send one request. */
export interface SinkAdapter<P> {
  kind: SinkKind;
  limits: BatchLimits;
  /** Shape records into entries; records that cannot be shaped come back as rejects with a reason. */
  prepare(batch: KafkaBatch): { entries: Entry<P>[]; rejects: Reject[] };
  send: SendRequest<P>;
}

/**
 * The usual `prepare`: one entry per record, in batch order. `build` returns the entry, or a reason
 * string when the record cannot be sent (it is then dead-lettered with that reason).
 *
 * @example
 * ```ts
 * prepare: (batch) => entriesPerRecord(batch, (record) => ({ payload: toRequestEntry(record), bytes: 42 })),
 * ```
 */
export function entriesPerRecord<P>(
  batch: KafkaBatch,
  build: (record: SourceRecord) => Omit<Entry<P>, 'records'> | string,
): { entries: Entry<P>[]; rejects: Reject[] } {
  const entries: Entry<P>[] = [];
  const rejects: Reject[] = [];
  for (const record of batch.partitions.flatMap((p) => p.records)) {
    const built = build(record);
    if (typeof built === 'string') rejects.push({ record, reason: built });
    else entries.push({ records: [record], ...built });
  }
  return { entries, rejects };
}

/** Where rejected records go (`sourceCluster` as dead letters name it). One outcome per reject, in order. */
export interface DeadLetterPort {
  send(rejects: Reject[], sourceCluster: string): Promise<EntryOutcome[]>;
}

export interface DeliverOptions {
  retry: RetryOptions;
  /** Absent when no `DLQ_URL` is configured: rejects then fail the batch instead of being dropped. */
  deadLetter?: DeadLetterPort;
  /** The source cluster's name in dead letters (default: the event's source ARN or bootstrap list). */
  sourceClusterName?: string;
}

const partitionId = (r: Pick<SourceRecord, 'topic' | 'partition'>): string => `${r.topic}\u0000${r.partition}`;
const recordId = (r: SourceRecord): string => `${partitionId(r)}\u0000${r.offset.toString()}`;

/**
 * Deliver a batch through one adapter: shape → dead-letter the unshapeable and oversize → chunk →
 * send each request with bounded retries of the failed entries. Requests go out in record order, and
 * once a record of a partition has failed, later records of that partition are not attempted
 * (Lambda redelivers the partition from the earliest failed offset, so sending them would only
 * reorder and duplicate).
 *
 * @example
 * ```ts
 * const result = await deliverBatch(batch, createSqsAdapter(config, sqs), { retry: DefaultRetryOptions, deadLetter });
 * result.failures; // [{ topic: 'orders', partition: 0, offset: 17n }] → Kafka partial-batch response
 * ```
 */
export async function deliverBatch<P>(batch: KafkaBatch, adapter: SinkAdapter<P>, options: DeliverOptions): Promise<SinkResult> {
  const outcomes = new Map<string, RecordOutcome>();
  const blockedFrom = new Map<string, bigint>();
  const block = (record: SourceRecord): void => {
    const current = blockedFrom.get(partitionId(record));
    if (current === undefined || record.offset < current) blockedFrom.set(partitionId(record), record.offset);
  };
  const fail = (record: SourceRecord, outcome: RecordOutcome & { status: 'failed' }): void => {
    outcomes.set(recordId(record), outcome);
    block(record);
  };

  const { entries, rejects } = adapter.prepare(batch);
  const sendable: Entry<P>[] = [];
  for (const entry of entries) {
    if (entry.bytes > adapter.limits.maxEntryBytes) {
      const reason = `too big for ${adapter.kind}: ${entry.bytes} bytes > limit ${adapter.limits.maxEntryBytes}`;
      for (const record of entry.records) rejects.push({ record, reason, code: 'record-too-large' });
    } else {
      sendable.push(entry);
    }
  }

  await deadLetterAll(rejects, sourceClusterOf(batch, options.sourceClusterName), options, outcomes, fail);

  for (const chunk of chunkEntries(sendable, adapter.limits)) {
    const attempt: Entry<P>[] = [];
    for (const entry of chunk) {
      const blockedRecord = entry.records.find((r) => {
        const from = blockedFrom.get(partitionId(r));
        return from !== undefined && r.offset > from;
      });
      if (blockedRecord === undefined) {
        attempt.push(entry);
        continue;
      }
      const from = blockedFrom.get(partitionId(blockedRecord)) as bigint;
      for (const record of entry.records) {
        fail(record, { status: 'failed', retriable: true, reason: `not attempted: offset ${from} of this partition failed first` });
      }
    }
    if (attempt.length === 0) continue;
    const results = await sendWithRetry(attempt, adapter.send, options.retry);
    attempt.forEach((entry, i) => {
      const result = results[i] as EntryOutcome;
      for (const record of entry.records) {
        if (result.ok) outcomes.set(recordId(record), { status: 'delivered' });
        else fail(record, { status: 'failed', retriable: result.retriable, reason: result.reason });
      }
    });
  }

  return summarize(batch, outcomes);
}

async function deadLetterAll(
  rejects: Reject[],
  sourceCluster: string,
  options: DeliverOptions,
  outcomes: Map<string, RecordOutcome>,
  fail: (record: SourceRecord, outcome: RecordOutcome & { status: 'failed' }) => void,
): Promise<void> {
  if (rejects.length === 0) return;
  if (!options.deadLetter) {
    for (const { record, reason } of rejects) {
      fail(record, { status: 'failed', retriable: false, reason: `${reason}; no dead-letter queue (DLQ_URL) configured` });
    }
    return;
  }
  const results = await options.deadLetter.send(rejects, sourceCluster);
  rejects.forEach(({ record, reason }, i) => {
    const result = results[i] ?? { ok: false, retriable: true, reason: 'no result from the dead-letter queue' };
    if (result.ok) outcomes.set(recordId(record), { status: 'dead-lettered', reason });
    else fail(record, { status: 'failed', retriable: result.retriable, reason: `dead-lettering failed (${result.reason}) for: ${reason}` });
  });
}

/**
 * Results in input order, the earliest failed offset per partition, and counts in which anything after
 * a partition's earliest failure is `redelivered` rather than done.
 */
export function summarize(batch: KafkaBatch, outcomes: ReadonlyMap<string, RecordOutcome>): SinkResult {
  const records: RecordResult[] = [];
  const failures: PartitionFailure[] = [];
  const counts: SinkCounts = { delivered: 0, deadLettered: 0, failed: 0, redelivered: 0 };
  for (const partition of batch.partitions) {
    let earliest: bigint | undefined;
    for (const record of partition.records) {
      const outcome = outcomes.get(recordId(record)) ?? { status: 'failed', retriable: true, reason: 'no outcome recorded' };
      records.push({ topic: record.topic, partition: record.partition, offset: record.offset, outcome });
      if (outcome.status === 'failed' && (earliest === undefined || record.offset < earliest)) earliest = record.offset;
    }
    if (earliest !== undefined) failures.push({ topic: partition.topic, partition: partition.partition, offset: earliest });
    for (const record of partition.records) {
      const outcome = outcomes.get(recordId(record));
      if (outcome === undefined || outcome.status === 'failed') counts.failed += 1;
      else if (earliest !== undefined && record.offset > earliest) counts.redelivered += 1;
      else if (outcome.status === 'delivered') counts.delivered += 1;
      else counts.deadLettered += 1;
    }
  }
  return { records, failures, counts };
}
