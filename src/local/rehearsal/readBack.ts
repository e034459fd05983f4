import { withKafkaAdmin, type KafkaClient } from '../../kafka';
import { parseSequencedValue, type ClusterSide, type DeliveryLedger } from './accounting';

export interface ReadBackResult {
  /** Records written on the other cluster found here (distinct). */
  replicated: number;
  /** Extra copies of them here. */
  replicatedDuplicates: number;
  /** Acknowledged writes on the other cluster that are not here. */
  replicationMissing: number;
}

/**
 * Read one cluster's topics from the beginning (read_committed, as the migrated consumers do) and count the
 * records the producer wrote to the *other* cluster (`writtenOn`, default the source, so `kafka` is the target):
 * each must be there exactly once — a bridge's exactly-once, checked from the outside (the forward bridge's on the
 * target; with `writtenOn: 'target'`, the reverse bridge's on the source). `ledger` holds those writes as
 * "produced"; this adds what `kafka` holds as "consumed". Stops when every expected record was seen and the topics
 * stayed quiet for a second, or after `idleMs` of quiet, or `timeoutMs`.
 *
 * @example
 * ```ts
 * const { replicated, replicationMissing } = await readBackReplicas({ kafka: target, topics, runId, ledger, groupId });
 * ```
 */
export async function readBackReplicas(options: {
  kafka: KafkaClient;
  topics: string[];
  runId: string;
  ledger: DeliveryLedger;
  groupId: string;
  writtenOn?: ClusterSide;
  idleMs?: number;
  timeoutMs?: number;
  now?: () => number;
}): Promise<ReadBackResult> {
  const now = options.now ?? Date.now;
  const idleMs = options.idleMs ?? 5000;
  const writtenOn = options.writtenOn ?? 'source';
  const readOn: ClusterSide = writtenOn === 'source' ? 'target' : 'source';
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
          if (value.runId !== options.runId || value.cluster !== writtenOn) continue;
          options.ledger.consumed({ topic: batch.topic, partition: batch.partition, seq: value.seq, atMs: lastRecordAtMs, producedAtMs: value.producedAtMs, cluster: readOn });
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
