import { decodeKafkaEvent } from '../../event/codec';
import { parseSequencedValue, type ClusterSide, type ConsumedRecord } from './accounting';

export interface RecordingConsumerOptions {
  runId: string;
  /** Which cluster an event came from, from the event's `bootstrapServers`. */
  clusterOf(bootstrapServers: string[]): ClusterSide;
  onRecords(records: ConsumedRecord[]): void;
  /** A record that is not the rehearsal's (another run's value, unparseable): counted, never silently dropped. */
  onForeign?(detail: string): void;
  now?: () => number;
}

/**
 * The rehearsal's consumer, as a Lambda handler run by the ESM emulator on the source and — after the
 * cutover — on the target with the same group id. It records every (topic, partition, sequence, cluster) it
 * sees; the ledger decides what was lost or duplicated. It never fails a batch: a failure would make the
 * emulator redeliver and the rehearsal would measure its own retries.
 *
 * @example
 * ```ts
 * const handler = createRecordingConsumer({ runId, clusterOf, onRecords: (rs) => rs.forEach((r) => ledger.consumed(r)) });
 * new EsmEmulator(mappings, { handler });
 * ```
 */
export function createRecordingConsumer(options: RecordingConsumerOptions): (event: unknown) => Promise<{ batchItemFailures: [] }> {
  const now = options.now ?? Date.now;
  return async (event: unknown) => {
    const batch = decodeKafkaEvent(event);
    const cluster = options.clusterOf(batch.bootstrapServers);
    const atMs = now();
    const records: ConsumedRecord[] = [];
    for (const part of batch.partitions) {
      for (const record of part.records) {
        try {
          const value = parseSequencedValue(record.value);
          if (value.runId !== options.runId) {
            options.onForeign?.(`${part.topic}[${part.partition}]@${record.offset}: run ${value.runId}, expected ${options.runId}`);
            continue;
          }
          records.push({ topic: part.topic, partition: part.partition, seq: value.seq, atMs, producedAtMs: value.producedAtMs, cluster });
        } catch (err) {
          options.onForeign?.(`${part.topic}[${part.partition}]@${record.offset}: ${(err as Error).message}`);
        }
      }
    }
    options.onRecords(records);
    return { batchItemFailures: [] };
  };
}
