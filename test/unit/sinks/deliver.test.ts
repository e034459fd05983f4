import { describe, expect, it } from 'vitest';
import { buildBatchResponse } from '../../../src/event/codec';
import type { KafkaBatch } from '../../../src/event/types';
import { deliverBatch, type DeadLetterPort, type SinkAdapter } from '../../../src/sinks/deliver';
import type { EntryOutcome, Reject } from '../../../src/sinks/types';
import { makeBatch, noSleep } from './support';

const retry = { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1, ...noSleep };

/** An in-memory adapter: one entry per record of `bytes`, failing the offsets in `fail` (per partition). */
function fakeAdapter(options: { fail?: (partition: number, offset: bigint) => EntryOutcome | undefined; reject?: Set<bigint>; bytes?: number } = {}) {
  const sent: string[][] = [];
  const adapter: SinkAdapter<string> = {
    kind: 'sqs',
    limits: { maxEntries: 2, maxRequestBytes: 1000, maxEntryBytes: 100 },
    prepare: (batch: KafkaBatch) => {
      const rejects: Reject[] = [];
      const entries = batch.partitions.flatMap((p) => p.records).flatMap((record) => {
        if (options.reject?.has(record.offset)) {
          rejects.push({ record, reason: 'value is not valid JSON' });
          return [];
        }
        return [{ records: [record], payload: `${record.partition}:${record.offset}`, bytes: record.offset === 99n ? 101 : (options.bytes ?? 10) }];
      });
      return { entries, rejects };
    },
    send: async (entries) => {
      sent.push(entries.map((e) => e.payload));
      return entries.map((e) => options.fail?.(e.records[0]!.partition, e.records[0]!.offset) ?? { ok: true });
    },
  };
  return { adapter, sent };
}

function fakeDeadLetter(result: EntryOutcome = { ok: true }) {
  const received: Reject[] = [];
  const clusters: string[] = [];
  const port: DeadLetterPort = { send: async (rejects, cluster) => (received.push(...rejects), clusters.push(cluster), rejects.map(() => result)) };
  return { port, received, clusters };
}

describe('deliverBatch', () => {
  it('delivers every record in order and reports no failure', async () => {
    // Prepare
    const { adapter, sent } = fakeAdapter();
    // Act
    const result = await deliverBatch(makeBatch([{ partition: 0, count: 3 }, { partition: 1, count: 1 }]), adapter, { retry });
    // Assess
    expect(sent).toEqual([['0:0', '0:1'], ['0:2', '1:0']]);
    expect(result.failures).toEqual([]);
    expect(result.counts).toEqual({ delivered: 4, deadLettered: 0, failed: 0, redelivered: 0 });
  });

  it('reports the earliest failed offset per partition and stops sending that partition', async () => {
    // Prepare: offset 1 of partition 0 fails for good; partition 1 is unaffected
    const { adapter, sent } = fakeAdapter({ fail: (p, o) => (p === 0 && o === 1n ? { ok: false, retriable: false, reason: 'InvalidParameter: nope' } : undefined) });
    const batch = makeBatch([{ partition: 0, count: 5 }, { partition: 1, count: 3 }]);
    // Act
    const result = await deliverBatch(batch, adapter, { retry });
    // Assess
    expect(result.failures).toEqual([{ topic: 'orders', partition: 0, offset: 1n }]);
    expect(buildBatchResponse(result.failures)).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: 'orders-0', offset: 1 } }] });
    expect(sent.flat()).not.toContain('0:2');
    expect(sent.flat()).not.toContain('0:4');
    expect(sent.flat()).toEqual(expect.arrayContaining(['1:0', '1:1', '1:2']));
    const p0 = result.records.filter((r) => r.partition === 0).map((r) => r.outcome.status);
    expect(p0).toEqual(['delivered', 'failed', 'failed', 'failed', 'failed']);
    expect(result.counts).toEqual({ delivered: 4, deadLettered: 0, failed: 4, redelivered: 0 });
  });

  it('counts records sent in the same request after a failure as redelivered, not done', async () => {
    const { adapter } = fakeAdapter({ fail: (_p, o) => (o === 0n ? { ok: false, retriable: true, reason: 'InternalFailure' } : undefined) });
    const result = await deliverBatch(makeBatch([{ partition: 0, count: 2 }]), adapter, { retry });
    expect(result.failures).toEqual([{ topic: 'orders', partition: 0, offset: 0n }]);
    expect(result.counts).toEqual({ delivered: 0, deadLettered: 0, failed: 1, redelivered: 1 });
  });

  it('dead-letters unshapeable and oversize records with their reasons and carries on', async () => {
    // Prepare
    const { adapter, sent } = fakeAdapter({ reject: new Set([1n]) });
    const { port, received, clusters } = fakeDeadLetter();
    const batch = makeBatch([{ partition: 0, count: 3 }]);
    batch.partitions[0]!.records.push({ ...batch.partitions[0]!.records[0]!, offset: 99n });
    // Act
    const result = await deliverBatch(batch, adapter, { retry, deadLetter: port });
    // Assess
    expect(received.map((r) => [r.record.offset, r.code, r.reason])).toEqual([
      [1n, undefined, 'value is not valid JSON'],
      [99n, 'record-too-large', 'too big for sqs: 101 bytes > limit 100'],
    ]);
    expect(clusters).toEqual(['localhost:9092']);
    expect(sent.flat()).toEqual(['0:0', '0:2']);
    expect(result.failures).toEqual([]);
    expect(result.counts).toEqual({ delivered: 2, deadLettered: 2, failed: 0, redelivered: 0 });
  });

  it('names the source cluster in dead letters as configured (SOURCE_CLUSTER_NAME)', async () => {
    // Prepare
    const { adapter } = fakeAdapter({ reject: new Set([1n]) });
    const { port, clusters } = fakeDeadLetter();
    // Act
    await deliverBatch(makeBatch([{ partition: 0, count: 3 }]), adapter, { retry, deadLetter: port, sourceClusterName: 'onprem-dc1' });
    // Assess
    expect(clusters).toEqual(['onprem-dc1']);
  });

  it('fails a record it cannot dead-letter instead of dropping it', async () => {
    // Without a DLQ
    const { adapter } = fakeAdapter({ reject: new Set([1n]) });
    const noDlq = await deliverBatch(makeBatch([{ partition: 0, count: 3 }]), adapter, { retry });
    expect(noDlq.failures).toEqual([{ topic: 'orders', partition: 0, offset: 1n }]);
    expect(noDlq.records[1]?.outcome).toEqual({ status: 'failed', retriable: false, reason: 'value is not valid JSON; no dead-letter queue (DLQ_URL) configured' });
    // With a DLQ that rejects the message
    const { port } = fakeDeadLetter({ ok: false, retriable: true, reason: 'AWS.SimpleQueueService.NonExistentQueue' });
    const dlqDown = await deliverBatch(makeBatch([{ partition: 0, count: 3 }]), fakeAdapter({ reject: new Set([1n]) }).adapter, { retry, deadLetter: port });
    expect(dlqDown.failures).toEqual([{ topic: 'orders', partition: 0, offset: 1n }]);
    expect(dlqDown.records[2]?.outcome.status).toBe('failed');
  });
});
