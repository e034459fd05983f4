import {
  KBridgeError,
  ProducerFencedError,
  TopicMismatchError,
  TransactionError,
  describeError,
} from '../errors';
import { sourceClusterOf } from '../deadLetter/body';
import type { KafkaBatch, PartitionBatch, SourceRecord } from '../event/types';
import type { KafkaAdmin, KafkaClient, KafkaTransaction, PartitionWrite, TransactionalProducer } from '../kafka/port';
import { noDeadLetterSinkError, type DeadLetter, type DeadLetterSink } from './deadLetter';
import {
  DEFAULT_OFFSET_MAP_TOPIC,
  buildRuns,
  decodeCheckpointMetadata,
  encodeCheckpointMetadata,
  encodeOffsetMapEntry,
  offsetMapKey,
  type BridgeCheckpoint,
  type OffsetMapEntry,
  type Placement,
  type TargetSpan,
} from './offsetMap';
import { splitLoopedBack, withOriginHeader } from './origin';
import { targetPartitionFor } from './partitioner';
import { RECORD_BATCH_OVERHEAD, chunkBySize, estimateRecordSize, toTargetRecord, type TargetRecord } from './records';
import { isRepartitioned, mapTopic, type TopicMapping } from './topicMapping';
import {
  assertSamePartitionCount,
  describeTopic,
  ensureTopic,
  missingRepartitionedTarget,
  syncTopic,
  targetInfoFromShape,
  type TargetTopicInfo,
} from './topics';

/** Settings of one bridge (parsed at the edge). */
export interface BridgeSettings {
  /** Names this bridge's transactional ids, checkpoint group and offset-map keys. `[A-Za-z0-9._-]`. */
  bridgeId: string;
  topicMapping: TopicMapping;
  /** Add `kbridge.source.*` headers (cluster, topic, partition, offset) to every replicated record. */
  provenanceHeaders: boolean;
  offsetMapTopic?: string;
  /** Source partitions replicated concurrently (each in its own transaction). Default 8. */
  concurrency?: number;
  /** Kafka transaction timeout; keep it above the Lambda timeout. Default 60 s. */
  transactionTimeoutMs?: number;
  /** Quick in-process retries of a partition batch after a retriable error, before reporting it failed. Default 3. */
  transientRetries?: number;
  /** Name used for the source in provenance headers and dead letters; default: the event's ARN or bootstrap list. */
  sourceClusterName?: string;
  /**
   * Name of the cluster this bridge writes to: records whose origin header names it were written onto the
   * source by the peer bridge and are skipped (src/bridge/origin.ts). Unset: nothing is skipped. Every written
   * record carries the origin header either way.
   */
  targetClusterName?: string;
  /**
   * The reverse bridge (`BRIDGE_DIRECTION=reverse`): copy only records first produced on the source cluster (no
   * origin header, or `sourceClusterName`); skip whatever another bridge wrote there (`OriginNames.onlyOwn` in src/bridge/origin.ts).
   */
  onlyOwnRecords?: boolean;
}

export interface BridgeLogger {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
}

export interface BridgeDeps {
  /** The target cluster. */
  target: KafkaClient;
  /** Admin on the source: lets the bridge create missing target topics with the source's shape and check partition counts. */
  sourceAdmin?: KafkaAdmin;
  deadLetter?: DeadLetterSink;
  logger?: BridgeLogger;
  now?: () => number;
}

export interface PartitionResult {
  sourceTopic: string;
  sourcePartition: number;
  targetTopic: string;
  status: 'committed' | 'skipped' | 'failed';
  replicated: number;
  skippedDuplicate: number;
  /** Records the peer bridge wrote (origin = this bridge's target), skipped by the loop rule; the checkpoint moves past them. */
  skippedLoop?: number;
  deadLettered: number;
  /** Next source offset after this batch, when known. */
  nextSourceOffset?: string;
  /** First source offset that is not on the target yet (for a partial batch response). */
  firstUnreplicatedOffset?: string;
  entry?: OffsetMapEntry;
  error?: KBridgeError;
}

export interface BridgeResult {
  partitions: PartitionResult[];
  replicated: number;
  skippedDuplicate: number;
  skippedLoop: number;
  deadLettered: number;
  failed: PartitionResult[];
}

/** The consumer group on the target whose committed offsets are the bridge's checkpoints. */
export function bridgeGroupId(bridgeId: string): string {
  return `kbridge-bridge-${bridgeId}`;
}

/**
 * The consumer group holding the checkpoint of one source partition of a topic repartitioned by key. The
 * checkpoint of a kept-partition topic is the bridge group's commit on the same target topic-partition; a
 * repartitioned topic may have fewer target partitions than source partitions, and Kafka accepts an offset
 * commit only for a partition that exists, so each source partition gets its own group, committing on
 * partition 0 of the offset-map topic (which always exists and belongs to the bridge).
 *
 * @example
 * ```ts
 * repartitionCheckpointGroupId('dr', 'orders', 5); // 'kbridge-bridge-dr.repartition.orders.5'
 * ```
 */
export function repartitionCheckpointGroupId(bridgeId: string, sourceTopic: string, partition: number): string {
  return `${bridgeGroupId(bridgeId)}.repartition.${sourceTopic}.${partition}`;
}

/** Where one source partition's checkpoint is committed (group, topic, partition on the target). */
interface CheckpointAt {
  groupId: string;
  topic: string;
  partition: number;
}

/** The transactional id of one source topic-partition: stable, so a new instance fences the old one. */
export function transactionalIdFor(bridgeId: string, sourceTopic: string, partition: number): string {
  return `kbridge-${bridgeId}-${sourceTopic}-${partition}`;
}

/** Broker error types that mean another producer instance took over the transactional id. */
const FENCED_TYPES = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']);
/** Broker errors that reject specific records, not the connection or transaction. */
const RECORD_REJECTED_TYPES = new Set(['MESSAGE_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE', 'INVALID_TIMESTAMP', 'RECORD_LIST_TOO_LARGE']);

function isFenced(err: unknown): boolean {
  return err instanceof ProducerFencedError || (err instanceof KBridgeError && FENCED_TYPES.has(String(err.context.type)));
}

function recordRejection(err: unknown): string | undefined {
  if (!(err instanceof KBridgeError)) return undefined;
  const type = err.context.type;
  return typeof type === 'string' && RECORD_REJECTED_TYPES.has(type) ? `${type}: ${err.message}` : undefined;
}

/** Thrown inside one attempt when the broker rejected a chunk for a record-specific reason. */
class ChunkRejected extends Error {
  public constructor(
    public readonly offsets: bigint[],
    public readonly detail: string,
  ) {
    super(detail);
  }
}

interface PreparedRecord {
  record: SourceRecord;
  message: TargetRecord;
  size: number;
}

/**
 * The bridge: replicates Lambda Kafka batches into the target exactly once, writing the offset map.
 * One instance per Lambda container (producers, admin and checkpoints are cached across invocations).
 *
 * Per source partition and batch, one Kafka transaction holds: the records (same partition number, key,
 * value, headers, CreateTime), the offset-map entry, dead letters (Kafka DLQ), and a TxnOffsetCommit of the
 * next source offset to the bridge group. Redelivered records (source offset < committed checkpoint) are
 * skipped. A topic the mapping repartitions by key writes each record to the partition Kafka's default
 * partitioner picks for its key ({@link targetPartitionFor}): one transaction then spans several target
 * partitions, and the checkpoint lives in {@link repartitionCheckpointGroupId}. The checkpoint is read once per batch with one OffsetFetch, after the producer's InitProducerId
 * has completed any transaction left open by an earlier instance, and is cached after our own commits.
 *
 * @example
 * ```ts
 * const bridge = new Bridge({ bridgeId: 'dr', topicMapping: { kind: 'identity' }, provenanceHeaders: false }, { target: kafka });
 * const result = await bridge.replicateBatch(decodeKafkaEvent(event));
 * ```
 */
export class Bridge {
  private readonly producers = new Map<string, Promise<TransactionalProducer>>();
  private readonly checkpoints = new Map<string, BridgeCheckpoint>();
  private readonly targetTopics = new Map<string, Promise<TargetTopicInfo>>();
  private admin: Promise<KafkaAdmin> | undefined;
  private infraReady: Promise<{ offsetMapPartitions: number }> | undefined;
  private readonly offsetMapTopic: string;
  private readonly groupId: string;

  public constructor(
    private readonly settings: BridgeSettings,
    private readonly deps: BridgeDeps,
  ) {
    this.offsetMapTopic = settings.offsetMapTopic ?? DEFAULT_OFFSET_MAP_TOPIC;
    this.groupId = bridgeGroupId(settings.bridgeId);
  }

  /** Replicate every partition of the batch; partitions succeed or fail independently. */
  public async replicateBatch(batch: KafkaBatch): Promise<BridgeResult> {
    const sourceCluster = sourceClusterOf(batch, this.settings.sourceClusterName);
    const results = await mapWithConcurrency(batch.partitions, this.settings.concurrency ?? 8, (pb) =>
      this.replicatePartition(pb, sourceCluster),
    );
    return {
      partitions: results,
      replicated: results.reduce((n, r) => n + r.replicated, 0),
      skippedDuplicate: results.reduce((n, r) => n + r.skippedDuplicate, 0),
      skippedLoop: results.reduce((n, r) => n + (r.skippedLoop ?? 0), 0),
      deadLettered: results.reduce((n, r) => n + r.deadLettered, 0),
      failed: results.filter((r) => r.status === 'failed'),
    };
  }

  /** Close every cached producer and the admin client. */
  public async close(): Promise<void> {
    const producers = [...this.producers.values()];
    this.producers.clear();
    await Promise.allSettled(producers.map(async (p) => (await p).close()));
    if (this.admin) {
      const admin = this.admin;
      this.admin = undefined;
      await admin.then((a) => a.close()).catch(() => undefined);
    }
  }

  private async replicatePartition(pb: PartitionBatch, sourceCluster: string): Promise<PartitionResult> {
    let targetTopic = pb.topic;
    const base = { sourceTopic: pb.topic, sourcePartition: pb.partition };
    const brokerRejected = new Map<bigint, string>();
    const sendAlone = new Set<bigint>();
    try {
      targetTopic = mapTopic(this.settings.topicMapping, pb.topic);
      if (pb.records.length === 0) {
        return { ...base, targetTopic, status: 'skipped', replicated: 0, skippedDuplicate: 0, deadLettered: 0 };
      }
      const repartition = isRepartitioned(this.settings.topicMapping, pb.topic);
      const info = await this.targetTopicInfo(pb.topic, targetTopic, repartition);
      if (!repartition && pb.partition >= info.partitions) {
        assertSamePartitionCount(pb.topic, pb.partition + 1, targetTopic, info.partitions);
      }
      const at = this.checkpointAt(pb, targetTopic, repartition);
      const infra = await this.ensureInfrastructure();
      // Each broker rejection isolates (then dead-letters) records, so this terminates within n+2 attempts.
      // Transient errors (coordinator moved, broker restarting) get a few quick retries here: each attempt
      // starts with a fresh producer and re-reads the checkpoint, so a retry never duplicates.
      let transientRetries = 0;
      for (let attempt = 0; ; attempt++) {
        try {
          return await this.attempt(pb, sourceCluster, targetTopic, info, repartition, at, infra.offsetMapPartitions, brokerRejected, sendAlone);
        } catch (err) {
          await this.forget(pb.topic, pb.partition, at);
          if (!(err instanceof ChunkRejected)) {
            const mapped = this.toBridgeError(err, pb, targetTopic);
            if (!mapped.retriable || transientRetries >= (this.settings.transientRetries ?? 3)) throw mapped;
            transientRetries++;
            this.deps.logger?.warn('Transient failure; retrying the partition batch', { error: mapped.toJSON(), retry: transientRetries });
            await new Promise((r) => setTimeout(r, 200 * 2 ** transientRetries));
            continue;
          }
          if (attempt > pb.records.length + 1) throw err;
          if (err.offsets.length === 1) brokerRejected.set(err.offsets[0] as bigint, err.detail);
          else for (const o of err.offsets) sendAlone.add(o);
          this.deps.logger?.warn('Target rejected records; isolating them', { topic: targetTopic, partition: pb.partition, detail: err.detail });
        }
      }
    } catch (err) {
      const error = this.toBridgeError(err, pb, targetTopic);
      this.deps.logger?.warn('Partition batch failed', { error: error.toJSON() });
      return {
        ...base,
        targetTopic,
        status: 'failed',
        replicated: 0,
        skippedDuplicate: 0,
        deadLettered: 0,
        firstUnreplicatedOffset: this.firstUnreplicated(pb, this.checkpointAt(pb, targetTopic, isRepartitioned(this.settings.topicMapping, pb.topic)))?.toString(),
        error,
      };
    }
  }

  private firstUnreplicated(pb: PartitionBatch, at: CheckpointAt): bigint | undefined {
    const cp = this.checkpoints.get(checkpointKey(at));
    const rec = pb.records.find((r) => cp === undefined || r.offset >= cp.nextSourceOffset);
    return rec?.offset ?? pb.records[0]?.offset;
  }

  private async attempt(
    pb: PartitionBatch,
    sourceCluster: string,
    targetTopic: string,
    info: TargetTopicInfo,
    repartition: boolean,
    at: CheckpointAt,
    offsetMapPartitions: number,
    brokerRejected: ReadonlyMap<bigint, string>,
    sendAlone: ReadonlySet<bigint>,
  ): Promise<PartitionResult> {
    const producer = await this.producerFor(transactionalIdFor(this.settings.bridgeId, pb.topic, pb.partition));
    // Beginning the first transaction runs InitProducerId, which fences older instances and waits for any
    // transaction they left half-committed: only after it is the checkpoint we read final.
    const txn = await producer.begin();
    let done = false;
    try {
      const checkpoint = await this.checkpoint(at);
      const fresh = checkpoint ? pb.records.filter((r) => r.offset >= checkpoint.nextSourceOffset) : pb.records;
      const skippedDuplicate = pb.records.length - fresh.length;
      // Loop rule: what the peer bridge wrote is skipped, but stays inside [first, last] below, so the offset-map
      // entry and the checkpoint account for it and the partition moves on.
      const targetCluster = this.settings.targetClusterName;
      const { replicate: toWrite, loopedBack } = targetCluster === undefined ? { replicate: fresh, loopedBack: [] } : splitLoopedBack(fresh, { sourceCluster, targetCluster, ...(this.settings.onlyOwnRecords ? { onlyOwn: true } : {}) });
      const result = { sourceTopic: pb.topic, sourcePartition: pb.partition, targetTopic, skippedDuplicate, ...(loopedBack.length > 0 ? { skippedLoop: loopedBack.length } : {}) };
      if (fresh.length === 0) {
        done = true;
        await txn.abort();
        return { ...result, status: 'skipped', replicated: 0, deadLettered: 0, nextSourceOffset: checkpoint?.nextSourceOffset.toString() };
      }

      const letters: DeadLetter[] = [];
      const good: PreparedRecord[] = [];
      const provenance = this.settings.provenanceHeaders ? { cluster: sourceCluster } : undefined;
      const options = { provenance };
      const letter = (record: SourceRecord, reason: DeadLetter['reason'], detail: string): void => {
        letters.push({ record, sourceCluster, targetTopic, reason, detail });
      };
      for (const record of toWrite) {
        const message = toTargetRecord(record, options);
        message.headers = withOriginHeader(message.headers ?? [], sourceCluster);
        if (repartition) message.partition = targetPartitionFor(record.key, pb.partition, info.partitions);
        const size = estimateRecordSize(message);
        const rejected = brokerRejected.get(record.offset);
        if (rejected !== undefined) letter(record, 'rejected-by-broker', rejected);
        else if (size + RECORD_BATCH_OVERHEAD > info.maxMessageBytes) {
          letter(record, 'record-too-large', `record needs about ${size + RECORD_BATCH_OVERHEAD} bytes; ${targetTopic} accepts ${info.maxMessageBytes} (max.message.bytes)`);
        } else if (info.compacted && message.key === null) {
          letter(record, 'null-key-on-compacted-topic', `${targetTopic} is compacted and rejects records without a key`);
        } else good.push({ record, message, size });
      }
      if (letters.length > 0 && !this.deps.deadLetter) throw noDeadLetterSinkError(letters);

      const placements: Placement[] = [];
      const spans: TargetSpan[] = [];
      for (const chunk of chunkRecords(good, sendAlone, info.maxMessageBytes)) {
        let writes: PartitionWrite[];
        try {
          writes = await txn.send(targetTopic, chunk.map((c) => c.message));
        } catch (err) {
          const rejection = recordRejection(err);
          if (rejection !== undefined && !isFenced(err)) throw new ChunkRejected(chunk.map((c) => c.record.offset), rejection);
          throw err;
        }
        if (repartition) spans.push(...chunkSpans(chunk, writes, targetTopic));
        else placeChunk(chunk, writes, targetTopic, pb.partition, placements);
      }
      if (letters.length > 0) await this.deps.deadLetter?.deliver(letters, txn);

      const first = fresh[0] as SourceRecord;
      const last = fresh[fresh.length - 1] as SourceRecord;
      const entry: OffsetMapEntry = {
        bridgeId: this.settings.bridgeId,
        sourceTopic: pb.topic,
        sourcePartition: pb.partition,
        targetTopic,
        targetPartition: repartition ? null : pb.partition,
        firstSourceOffset: first.offset,
        lastSourceOffset: last.offset,
        runs: buildRuns(placements),
        deadLettered: letters.map((l) => ({ offset: l.record.offset, reason: l.reason })),
        ...(repartition ? { repartitioned: { targetPartitions: info.partitions, spans } } : {}),
        writtenAt: (this.deps.now ?? Date.now)(),
      };
      const key = offsetMapKey(this.settings.bridgeId, pb.topic, pb.partition, first.offset);
      await txn.send(this.offsetMapTopic, [
        { key, value: encodeOffsetMapEntry(entry), partition: hashPartition(`${this.settings.bridgeId}/${pb.topic}/${pb.partition}`, offsetMapPartitions) },
      ]);
      const lastPlacement = placements[placements.length - 1];
      const next: BridgeCheckpoint = {
        nextSourceOffset: last.offset + 1n,
        nextTargetOffset: lastPlacement ? lastPlacement.targetOffset + 1n : checkpoint?.nextTargetOffset,
      };
      await txn.commitOffsets(at.groupId, [
        { topic: at.topic, partition: at.partition, offset: next.nextSourceOffset.toString(), metadata: encodeCheckpointMetadata(next.nextTargetOffset) },
      ]);
      done = true;
      await txn.commit();
      this.checkpoints.set(checkpointKey(at), next);
      return {
        ...result,
        status: 'committed',
        replicated: good.length,
        deadLettered: letters.length,
        nextSourceOffset: next.nextSourceOffset.toString(),
        entry,
      };
    } catch (err) {
      if (!done) await safeAbort(txn);
      throw err;
    }
  }

  private checkpointAt(pb: PartitionBatch, targetTopic: string, repartition: boolean): CheckpointAt {
    return repartition
      ? { groupId: repartitionCheckpointGroupId(this.settings.bridgeId, pb.topic, pb.partition), topic: this.offsetMapTopic, partition: 0 }
      : { groupId: this.groupId, topic: targetTopic, partition: pb.partition };
  }

  private async checkpoint(at: CheckpointAt): Promise<BridgeCheckpoint | undefined> {
    const key = checkpointKey(at);
    const cached = this.checkpoints.get(key);
    if (cached) return cached;
    const admin = await this.adminClient();
    const fetched = await admin.fetchCommittedOffsets(at.groupId, [at.topic]);
    const p = fetched.find((x) => x.topic === at.topic && x.partition === at.partition);
    if (!p || p.offset === null) return undefined;
    const checkpoint = { nextSourceOffset: BigInt(p.offset), nextTargetOffset: decodeCheckpointMetadata(p.metadata) };
    this.checkpoints.set(key, checkpoint);
    return checkpoint;
  }

  private async forget(sourceTopic: string, partition: number, at: CheckpointAt): Promise<void> {
    this.checkpoints.delete(checkpointKey(at));
    const id = transactionalIdFor(this.settings.bridgeId, sourceTopic, partition);
    const producer = this.producers.get(id);
    this.producers.delete(id);
    if (producer) await producer.then((p) => p.close()).catch(() => undefined);
  }

  private producerFor(transactionalId: string): Promise<TransactionalProducer> {
    let p = this.producers.get(transactionalId);
    if (!p) {
      p = this.deps.target.transactionalProducer({ transactionalId, transactionTimeoutMs: this.settings.transactionTimeoutMs ?? 60_000 });
      p.catch(() => this.producers.delete(transactionalId));
      this.producers.set(transactionalId, p);
    }
    return p;
  }

  private adminClient(): Promise<KafkaAdmin> {
    if (!this.admin) {
      const p = this.deps.target.admin();
      p.catch(() => {
        this.admin = undefined;
      });
      this.admin = p;
    }
    return this.admin;
  }

  private targetTopicInfo(sourceTopic: string, targetTopic: string, repartition: boolean): Promise<TargetTopicInfo> {
    let p = this.targetTopics.get(targetTopic);
    if (!p) {
      p = this.loadTargetTopicInfo(sourceTopic, targetTopic, repartition);
      p.catch(() => this.targetTopics.delete(targetTopic));
      this.targetTopics.set(targetTopic, p);
    }
    return p;
  }

  private async loadTargetTopicInfo(sourceTopic: string, targetTopic: string, repartition: boolean): Promise<TargetTopicInfo> {
    const admin = await this.adminClient();
    if (this.deps.sourceAdmin && !repartition) {
      await syncTopic({ source: this.deps.sourceAdmin, target: admin, sourceTopic, targetTopic });
    }
    const shape = await describeTopic(admin, targetTopic);
    if (!shape && repartition) throw missingRepartitionedTarget(sourceTopic, targetTopic);
    if (!shape) {
      throw new TopicMismatchError(
        `Target topic "${targetTopic}" does not exist and the bridge has no source connection to copy its shape from; ` +
          `set SOURCE_BOOTSTRAP_SERVERS or run "kbridge topics sync --topics ${sourceTopic}"`,
        { topic: targetTopic, sourceTopic, cluster: 'target' },
      );
    }
    return targetInfoFromShape(shape);
  }

  private ensureInfrastructure(): Promise<{ offsetMapPartitions: number }> {
    if (!this.infraReady) {
      this.infraReady = (async () => {
        const admin = await this.adminClient();
        const map = await ensureTopic(admin, this.offsetMapTopic, {
          numPartitions: 1,
          // Distinct keys per batch: compaction keeps every entry; retention must never delete them.
          configs: { 'cleanup.policy': 'compact', 'retention.ms': '-1', 'min.compaction.lag.ms': '0' },
        });
        const dlqTopic = this.deps.deadLetter?.kind === 'kafka' ? this.deps.deadLetter.topic : undefined;
        if (dlqTopic) await ensureTopic(admin, dlqTopic, { numPartitions: 1, configs: { 'max.message.bytes': '2097152' } });
        return { offsetMapPartitions: map.partitions };
      })();
      this.infraReady.catch(() => {
        this.infraReady = undefined;
      });
    }
    return this.infraReady;
  }

  private toBridgeError(err: unknown, pb: PartitionBatch, targetTopic: string): KBridgeError {
    const where = { topic: pb.topic, partition: pb.partition, offset: pb.records[0]?.offset.toString(), targetTopic };
    const transactionalId = transactionalIdFor(this.settings.bridgeId, pb.topic, pb.partition);
    // Already this partition's answer (mapped once in the retry loop): keep it, do not wrap it again.
    if (err instanceof ProducerFencedError && err.context.bridgeId === this.settings.bridgeId) return err;
    if (isFenced(err)) {
      return new ProducerFencedError(`Another bridge instance took over ${transactionalId}; this batch was not committed here`, {
        ...where,
        bridgeId: this.settings.bridgeId,
        transactionalId,
        cause: err,
      });
    }
    if (err instanceof KBridgeError) return err;
    return new TransactionError(`Transaction for ${pb.topic}-${pb.partition} failed: ${describeError(err)}`, { ...where, cause: err });
  }
}

/**
 * Convenience wrapper: replicate one decoded batch with a (container-cached) {@link Bridge}.
 *
 * @example
 * ```ts
 * const result = await replicateBatch(batch, bridge);
 * ```
 */
export function replicateBatch(batch: KafkaBatch, bridge: Bridge): Promise<BridgeResult> {
  return bridge.replicateBatch(batch);
}

function checkpointKey(at: CheckpointAt): string {
  return `${at.groupId}\u0000${at.topic}\u0000${at.partition}`;
}

/**
 * The exact target offset of each record of a chunk sent to one kept partition: the chunk's records are that
 * partition's writes, in order, from each write's base offset. Anything else is refused rather than guessed,
 * since the offset map must be exact.
 */
function placeChunk(chunk: readonly PreparedRecord[], writes: readonly PartitionWrite[], targetTopic: string, partition: number, placements: Placement[]): void {
  let i = 0;
  for (const w of writes) {
    if (w.topic !== targetTopic || w.partition !== partition) continue;
    for (let n = 0; n < w.count && i < chunk.length; n++, i++) {
      placements.push({ sourceOffset: (chunk[i] as PreparedRecord).record.offset, targetOffset: w.baseOffset + BigInt(n) });
    }
  }
  if (i !== chunk.length || writes.some((w) => w.topic !== targetTopic || w.partition !== partition)) {
    throw new TransactionError(
      `Produce response for ${targetTopic}-${partition} placed ${i} of ${chunk.length} records (writes: ${describeWrites(writes)}); expected all of them on that partition`,
      { topic: targetTopic, partition },
    );
  }
}

/**
 * The target spans one produce request of a repartitioned batch wrote: per partition, the chunk's records for
 * it, in order, from the write's base offset.
 */
function chunkSpans(chunk: readonly PreparedRecord[], writes: readonly PartitionWrite[], targetTopic: string): TargetSpan[] {
  const expected = new Map<number, number>();
  for (const c of chunk) expected.set(c.message.partition, (expected.get(c.message.partition) ?? 0) + 1);
  const written = new Map<number, number>();
  for (const w of writes) if (w.topic === targetTopic) written.set(w.partition, (written.get(w.partition) ?? 0) + w.count);
  const mismatch = [...new Set([...expected.keys(), ...written.keys()])].find((p) => expected.get(p) !== written.get(p));
  if (mismatch !== undefined || writes.some((w) => w.topic !== targetTopic)) {
    throw new TransactionError(
      `Produce response for ${targetTopic} does not account for the records sent (writes: ${describeWrites(writes)}); expected ${[...expected].map(([p, n]) => `${p}: ${n}`).join(', ')}`,
      { topic: targetTopic, ...(mismatch !== undefined ? { partition: mismatch } : {}) },
    );
  }
  return writes.map((w) => ({ partition: w.partition, targetStart: w.baseOffset, length: w.count }));
}

function describeWrites(writes: readonly PartitionWrite[]): string {
  return writes.map((w) => `${w.topic}-${w.partition}@${w.baseOffset}+${w.count}`).join(', ') || 'none';
}

async function safeAbort(txn: KafkaTransaction): Promise<void> {
  try {
    if (txn.active) await txn.abort();
  } catch {
    // The producer is dropped after a failure anyway; the coordinator aborts on the next InitProducerId.
  }
}

/** Records in order, chunked under the size limit, with records that must go alone in their own chunk. */
function chunkRecords(good: readonly PreparedRecord[], sendAlone: ReadonlySet<bigint>, maxMessageBytes: number): PreparedRecord[][] {
  const chunks: PreparedRecord[][] = [];
  let run: PreparedRecord[] = [];
  const flush = (): void => {
    if (run.length > 0) chunks.push(...chunkBySize(run, (r) => r.size, maxMessageBytes));
    run = [];
  };
  for (const r of good) {
    if (sendAlone.has(r.record.offset)) {
      flush();
      chunks.push([r]);
    } else run.push(r);
  }
  flush();
  return chunks;
}

/** FNV-1a: stable partition of the offset-map topic for one source partition (its entries stay together). */
export function hashPartition(key: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % Math.max(1, partitions);
}

async function mapWithConcurrency<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  });
  await Promise.all(workers);
  return results;
}
