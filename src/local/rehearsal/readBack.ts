import { withKafkaAdmin, type KafkaClient } from '../../kafka';
import { parseSequencedValue, type DeliveryLedger } from './accounting';

export interface ReadBackResult {
  /** Source-written records found on the target (distinct). */
  replicated: number;
  /** Extra copies of source-written records on the target. */
  replicatedDuplicates: number;
  /** Source-written (acknowledged) records not on the target. */
  replicationMissing: number;
}

/**
 * Read the target topics from the beginning (read_committed, as the migrated consumers do) and count the
 * records the producer wrote to the *source*: each must be there exactly once — the bridge's exactly-once,
 * checked from the outside. `ledger` holds those source writes as "produced"; this adds what the target holds
 * as "consumed". Stops when every expected record was seen and the topics stayed quiet for a second, or after
 * `idleMs` of quiet, or `timeoutMs`.
 *
 * @example
 * ```ts
 * const { replicated, replicationMissing } = await readBackTarget({ kafka: target, topics, runId, ledger, groupId });
 * ```
 */
export async function readBackTarget(options: {
  kafka: KafkaClient;
  topics: string[];
  runId: string;
  ledger: DeliveryLedger;
  groupId: string;
  idleMs?: number;
  timeoutMs?: number;
  now?: () => number;
}): Promise<ReadBackResult> {
  const now = options.now ?? Date.now;
  const idleMs = options.idleMs ?? 5000;
  const deadline = now() + (options.timeoutMs ?? 60_000);
  const consumer = options.kafka.consumer({
    groupId: options.groupId,
    topics: options.topics,
    fromBeginning: true,
    sessionTimeoutMs: 6000,
    heartbeatIntervalMs: 500,
    rebalanceTimeoutMs: 5000,
    maxWaitTimeMs: 100,
  });
  let lastRecordAtMs = now();
  let started = false;
  try {
    await consumer.start({
      onBatch: (batch) => {
        started = true;
        for (const m of batch.records) {
          lastRecordAtMs = now();
          let value;
          try {
            value = parseSequencedValue(m.value);
          } catch {
            continue;
          }
          if (value.runId !== options.runId || value.cluster !== 'source') continue;
          options.ledger.consumed({ topic: batch.topic, partition: batch.partition, seq: value.seq, atMs: lastRecordAtMs, producedAtMs: value.producedAtMs, cluster: 'target' });
        }
      },
    });
    for (;;) {
      await new Promise((r) => setTimeout(r, 250));
      const quiet = now() - lastRecordAtMs;
      if (started && quiet >= 1000 && options.ledger.allConsumed()) break;
      if (quiet >= idleMs && started) break;
      if (now() > deadline) break;
    }
  } finally {
    await consumer.close().catch(() => undefined);
    await withKafkaAdmin(options.kafka, (admin) => admin.deleteGroups([options.groupId])).catch(() => undefined);
  }
  const summary = options.ledger.summarize();
  return { replicated: summary.uniqueConsumed, replicatedDuplicates: summary.duplicated, replicationMissing: summary.lost };
}
