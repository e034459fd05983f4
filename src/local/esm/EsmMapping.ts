import type { AwsClientConfig } from '../../adapters/aws/clientConfig';
import { describeError, KBridgeError, WaitTimeoutError } from '../../errors';
import { encodeKafkaEvent, LAMBDA_PAYLOAD_LIMIT_BYTES, lowestFailedOffsets, parseBatchResponse, partitionKey } from '../../event/codec';
import { compileFilterCriteria } from '../../event/filter';
import type { KafkaBatch, SourceRecord } from '../../event/types';
import { createJsonLineLogger, createKafkaClient, withKafkaAdmin, type CreateKafkaDeps, type FetchedBatch, type GroupConsumer, type KafkaClient, type StructuredLogger, type TopicPartition } from '../../kafka';
import { effectiveMaximumRetryAttempts, type EsmMappingConfig } from './config';
import { buildFailureRecord, createFailureSender, type FailureSender } from './failureDestination';
import { loadHandler, type LambdaHandler } from './handlerLoader';
import { createLambdaContext, localFunctionArn, newLogStreamName } from './lambdaContext';
import {
  commitFrontier,
  enqueueFetched,
  newPartitionState,
  partitionsToResume,
  planBatch,
  queueFullness,
  settleBatch,
  type InvocationOutcome,
  type PartitionState,
  type PlannedPart,
  type QueueLimit,
} from './partitionQueues';

/** Lambda's `State` of an event source mapping, restricted to what the emulator goes through. */
export const MappingStates = {
  Enabling: 'Enabling',
  Enabled: 'Enabled',
  Disabling: 'Disabling',
  Disabled: 'Disabled',
} as const;
export type MappingState = (typeof MappingStates)[keyof typeof MappingStates];

/** One line per invocation in the structured log, and what `onInvocation` receives. */
export interface InvocationReport {
  mapping: string;
  functionName: string;
  awsRequestId: string;
  /** `"topic-N": count` for every partition in the event. */
  partitions: Record<string, number>;
  records: number;
  bytes: number;
  durationMs: number;
  outcome: 'success' | 'error' | 'timeout' | 'partial-failure' | 'abandoned';
  error?: string;
  /** `"topic-N": next offset` committed after this invocation. */
  committed: Record<string, string>;
  discarded: number;
}

/** Runtime knobs that are not part of the mapping config (tests, the CLI, benchmarks). */
export interface EsmRuntimeOptions {
  logger?: StructuredLogger;
  /** Passed to `createKafkaClient` (secrets for SASL/mTLS by ARN, log level, the adapter). */
  kafkaDeps?: CreateKafkaDeps;
  /** For the SQS on-failure destination. */
  aws?: AwsClientConfig;
  /** Use this function instead of loading `config.handler` (in-process tests). */
  handler?: LambdaHandler;
  /** Consumer group timings; defaults are the adapter's, except maxWaitTimeMs (500 ms). Tests lower them. */
  consumer?: { sessionTimeoutMs?: number; heartbeatIntervalMs?: number; rebalanceTimeoutMs?: number; maxWaitTimeMs?: number };
  /** Backoff between retries of a failed batch: `initialMs * 2^(n-1)`, at most `maxMs`. Default 1 s .. 30 s. */
  retryBackoff?: { initialMs: number; maxMs: number };
  /**
   * Pause fetching a partition when this many records wait in its queue. Default max(2 × batchSize, 1000). It also
   * pauses at two full payloads (12 MB of event), which two batches can never exceed.
   */
  maxQueuedPerPartition?: number;
  onInvocation?: (report: InvocationReport) => void;
  /** Give up waiting for the first group join after this long. Default 60 s. */
  joinTimeoutMs?: number;
  /**
   * How many of Lambda's event pollers to emulate, each with at most one invocation in flight and its own
   * share of the partitions (`partition % pollers`); `'per-partition'` is Lambda fully scaled out (one poller
   * per partition, so partitions are delivered concurrently, each still in order). Overrides the config's
   * `pollers`. Default 1: the one poller an on-demand mapping starts with.
   */
  pollers?: number | 'per-partition';
}

/** What `GET /mappings` and `status()` report. */
export interface MappingStatus {
  id: string;
  functionName: string;
  topic: string;
  consumerGroupId: string;
  eventSource: 'SelfManagedKafka' | 'aws:kafka';
  state: MappingState;
  batchSize: number;
  invocations: number;
  recordsDelivered: number;
  /** Fetch responses the mapping's consumer got since it was last enabled (0 = not polling yet). */
  polls: number;
  lastProcessingResult: 'OK' | 'PROBLEM: Function call failed' | 'No records processed';
}

const DEFAULT_BACKOFF = { initialMs: 1000, maxMs: 30_000 };
const DEFAULT_MAX_WAIT_MS = 500;
/**
 * Back-to-back OffsetCommits of one mapping go out at least this far apart; what finishes meanwhile goes in the next
 * one. A commit after a quiet spell goes at once.
 */
const COMMIT_SPACING_MS = 50;

/** One emulated event poller: its partitions are delivered one invocation at a time. */
interface Lane {
  readonly id: string;
  turn: number;
  inFlight: Promise<void> | undefined;
  done: Promise<void>;
  wake: (() => void) | undefined;
  /** This lane's partitions, as of `partitionsVersion` (recomputed only when the assignment changed). */
  states: PartitionState[];
  partitionsVersion: number;
}

type CommitEntry = { state: PartitionState; commit: bigint };

/**
 * One Kafka event source mapping, run locally with Lambda's semantics:
 * - one consumer group (`consumerGroupId`); `startingPosition` applies only when the group has no
 *   committed offset for a partition (existing commits win, as in Lambda);
 * - the group consumer's `onBatch` (nothing committed automatically) only fills per-partition queues; one dispatcher
 *   builds Lambda events from them (up to `batchSize` records and 6 MB, waiting up to the batching window)
 *   and invokes the handler — one invocation at a time per poller (one poller by default, `pollers` for
 *   more), so a partition is never processed concurrently and stays in order. An event may span the
 *   partitions of one poller, as Lambda's do;
 * - offsets are committed (`GroupConsumer.commit`) only after the handler succeeded; the commit of one invocation
 *   overlaps the next invocation (never of a partition still uncommitted from a failure), and commits
 *   that pile up meanwhile go out as one OffsetCommit (back-to-back ones at least 50 ms apart); a thrown error or timeout
 *   retries the whole batch after a backoff, a partial batch response commits up to the lowest failed
 *   offset per partition and redelivers from there; after `maximumRetryAttempts` the failed range goes to
 *   the on-failure destination and is skipped;
 * - filtered-out records are committed, not delivered.
 *
 * Redelivery comes from the in-memory queue, not from a `seek`: the consumer's position moves past what it hands
 * over, so it never refetches behind our back, and records fetched twice after a rebalance (a new assignment
 * starts from the committed offset) are recognised by offset and dropped.
 *
 * @example
 * ```ts
 * const mapping = new EsmMapping(config, { logger });
 * await mapping.start();
 * await mapping.disable(); // Lambda's Enabled=false: in-flight batch finishes, consumer leaves the group
 * await mapping.stop();
 * ```
 */
export class EsmMapping {
  public readonly config: EsmMappingConfig;
  private readonly options: EsmRuntimeOptions;
  private readonly logger: StructuredLogger;
  /** The filter criteria; `undefined` when the mapping has none (every record is delivered). */
  private readonly filter: ((record: SourceRecord) => boolean) | undefined;
  private readonly logStreamName = newLogStreamName();
  private handler: LambdaHandler | undefined;
  private failureSender: FailureSender | undefined;
  private kafka: KafkaClient | undefined;
  private consumer: GroupConsumer | undefined;
  private partitions = new Map<string, PartitionState>();
  /** Bumped whenever `partitions` changes. */
  private partitionsVersion = 0;
  /** Partitions whose fetching is paused because their queue is full. */
  private paused = new Set<PartitionState>();
  private readonly queueLimit: QueueLimit;
  private stateValue: MappingState = MappingStates.Disabled;
  private running = false;
  private lanes = new Map<string, Lane>();
  private abandonInFlight = false;
  private commitQueue = new Map<PartitionState, bigint>();
  private commitWaiters: Array<{ entries: CommitEntry[]; resolve: (committed: Record<string, string>) => void }> = [];
  private committing: Promise<void> | undefined;
  private scheduledCommit = new WeakMap<PartitionState, bigint>();
  /** When the last OffsetCommit went out (epoch ms). */
  private lastCommitAt = 0;
  private polls = 0;
  private transition: Promise<void> = Promise.resolve();
  private joined: { resolve: () => void; reject: (err: unknown) => void } | undefined;
  private invocations = 0;
  private recordsDelivered = 0;
  private lastResult: MappingStatus['lastProcessingResult'] = 'No records processed';

  public constructor(config: EsmMappingConfig, options: EsmRuntimeOptions = {}) {
    this.config = config;
    this.options = options;
    this.logger = options.logger ?? createJsonLineLogger({ component: 'esm' });
    this.filter = config.filterPatterns.length > 0 ? compileFilterCriteria(config.filterPatterns) : undefined;
    if (options.handler) this.handler = options.handler;
    this.queueLimit = { records: options.maxQueuedPerPartition ?? Math.max(2 * config.batchSize, 1000), bytes: 2 * LAMBDA_PAYLOAD_LIMIT_BYTES };
  }

  public get id(): string {
    return this.config.id;
  }

  public get state(): MappingState {
    return this.stateValue;
  }

  public status(): MappingStatus {
    return {
      id: this.config.id,
      functionName: this.config.functionName,
      topic: this.config.topic,
      consumerGroupId: this.config.consumerGroupId,
      eventSource: this.config.eventSource,
      state: this.stateValue,
      batchSize: this.config.batchSize,
      invocations: this.invocations,
      recordsDelivered: this.recordsDelivered,
      polls: this.polls,
      lastProcessingResult: this.lastResult,
    };
  }

  /** Load the handler and, when the mapping is `enabled`, start consuming. Rejects if the handler cannot be loaded. */
  public async start(): Promise<void> {
    // Lambda sets the function's environment before the init phase: handlers that parse it at module start see it.
    this.handler ??= await withEnvironment(this.config.environment, () => loadHandler(this.config.handlerModule, this.config.handlerExport));
    if (this.config.enabled) await this.enable();
  }

  /** Lambda's `Enabled: true`: Enabling → Enabled once the consumer joined its group. */
  public enable(): Promise<void> {
    // The state flips at once, as UpdateEventSourceMapping answers with "Enabling".
    if (this.stateValue === MappingStates.Disabled) this.stateValue = MappingStates.Enabling;
    return this.serialize(async () => {
      if (this.stateValue === MappingStates.Enabled) return;
      this.stateValue = MappingStates.Enabling;
      try {
        await this.startConsumer();
        this.stateValue = MappingStates.Enabled;
      } catch (err) {
        await this.stopConsumer(0).catch(() => undefined);
        this.stateValue = MappingStates.Disabled;
        throw err;
      }
    });
  }

  /** Lambda's `Enabled: false`: stop polling, let the in-flight batch finish (and commit), leave the group. */
  public disable(): Promise<void> {
    if (this.stateValue === MappingStates.Enabled) this.stateValue = MappingStates.Disabling;
    return this.serialize(async () => {
      if (this.stateValue === MappingStates.Disabled) return;
      this.stateValue = MappingStates.Disabling;
      await this.stopConsumer(Number.POSITIVE_INFINITY);
      this.stateValue = MappingStates.Disabled;
    });
  }

  /**
   * Shut down: the in-flight batch gets `graceMs` to finish (then it is committed); past that it is
   * abandoned uncommitted and will be redelivered on the next run.
   */
  public stop(graceMs = 0): Promise<void> {
    return this.serialize(async () => {
      if (this.stateValue !== MappingStates.Disabled) {
        this.stateValue = MappingStates.Disabling;
        await this.stopConsumer(graceMs);
        this.stateValue = MappingStates.Disabled;
      }
      this.failureSender?.close();
      this.failureSender = undefined;
    });
  }

  private serialize(step: () => Promise<void>): Promise<void> {
    const next = this.transition.then(step, step);
    this.transition = next.catch(() => undefined);
    return next;
  }

  private async startConsumer(): Promise<void> {
    const { config } = this;
    this.kafka = await createKafkaClient(
      { name: `esm:${config.id}`, clientId: `kbridge-esm-${config.id}`, bootstrapServers: config.bootstrapServers, auth: config.auth },
      { logger: this.logger, ...this.options.kafkaDeps },
    );
    await this.applyStartingPosition(this.kafka);
    const tuning = this.options.consumer ?? {};
    const consumer = this.kafka.consumer({
      groupId: config.consumerGroupId,
      topics: [config.topic],
      fromBeginning: config.startingPosition !== 'LATEST',
      ...(tuning.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: tuning.sessionTimeoutMs } : {}),
      ...(tuning.heartbeatIntervalMs !== undefined ? { heartbeatIntervalMs: tuning.heartbeatIntervalMs } : {}),
      ...(tuning.rebalanceTimeoutMs !== undefined ? { rebalanceTimeoutMs: tuning.rebalanceTimeoutMs } : {}),
      // Closing waits for the fetch in progress, which long-polls up to maxWaitTimeMs on a caught-up topic:
      // a short wait keeps disable/stop (cutover, Ctrl-C) quick.
      maxWaitTimeMs: tuning.maxWaitTimeMs ?? DEFAULT_MAX_WAIT_MS,
    });
    this.consumer = consumer;
    this.partitions = new Map();
    this.partitionsVersion++;
    this.paused = new Set();
    this.lanes = new Map();
    this.polls = 0;
    const joined = new Promise<void>((resolve, reject) => (this.joined = { resolve, reject }));
    await consumer.start({
      onAssigned: (assignment) => this.onGroupJoin(assignment),
      onBatch: (batch) => this.onFetched(batch),
      onFetch: () => {
        this.polls++;
      },
      onCrash: (error, restarting) => {
        this.logger.error('Kafka consumer crashed', { mapping: config.id, error: describeError(error), restart: restarting });
        if (!restarting) this.joined?.reject(error);
      },
    });
    const timeoutMs = this.options.joinTimeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      joined,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new WaitTimeoutError(`Mapping ${config.id} did not join consumer group ${config.consumerGroupId} within ${timeoutMs} ms`, { group: config.consumerGroupId })), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    this.running = true;
    this.abandonInFlight = false;
    // Records fetched while joining were queued before the lanes could start.
    for (const state of this.partitions.values()) this.laneFor(state);
  }

  private async stopConsumer(graceMs: number): Promise<void> {
    this.running = false;
    const lanes = [...this.lanes.values()];
    for (const lane of lanes) lane.wake?.();
    const inFlight = lanes.map((l) => l.inFlight).filter((p): p is Promise<void> => p !== undefined);
    if (inFlight.length > 0) {
      const finished = await waitAtMost(Promise.all(inFlight), graceMs);
      if (!finished) {
        this.abandonInFlight = true;
        this.logger.warn('Abandoning the in-flight batch without committing; it will be redelivered', { mapping: this.config.id, graceMs });
      }
    }
    if (!this.abandonInFlight) await Promise.all(lanes.map((l) => l.done));
    // Commits of invocations that finished are still owed; a broken connection must not hang the stop.
    if (this.committing) await waitAtMost(this.committing, 10_000);
    this.lanes = new Map();
    const consumer = this.consumer;
    this.consumer = undefined;
    this.kafka = undefined;
    this.partitions = new Map();
    this.partitionsVersion++;
    this.joined = undefined;
    if (consumer) await consumer.close();
  }

  private async applyStartingPosition(kafka: KafkaClient): Promise<void> {
    const { config } = this;
    if (config.startingPosition !== 'AT_TIMESTAMP' || config.startingPositionTimestampMs === undefined) return;
    const timestampMs = config.startingPositionTimestampMs;
    await withKafkaAdmin(kafka, async (admin) => {
      const committed = await admin.fetchCommittedOffsets(config.consumerGroupId, [config.topic]);
      const fresh = new Set(committed.filter((p) => p.offset === null).map((p) => p.partition));
      if (fresh.size === 0) return;
      // Existing commits win over startingPosition, as in Lambda: only partitions without one are positioned.
      const byTime = await admin.fetchTopicOffsetsByTimestamp(config.topic, timestampMs);
      const partitions = byTime.filter((p) => fresh.has(p.partition)).map((p) => ({ partition: p.partition, offset: p.offset }));
      await admin.commitGroupOffsets(config.consumerGroupId, [{ topic: config.topic, partitions }]);
      this.logger.info('Positioned group at timestamp', { mapping: config.id, group: config.consumerGroupId, timestamp: timestampMs, partitions });
    });
  }

  private onGroupJoin(assignment: readonly TopicPartition[]): void {
    const assigned = new Set(assignment.filter((tp) => tp.topic === this.config.topic).map((tp) => `${tp.topic}-${tp.partition}`));
    // Revoked partitions belong to another member now: their queued records are its to deliver.
    for (const state of [...this.paused]) if (!assigned.has(state.key)) this.paused.delete(state);
    for (const key of [...this.partitions.keys()]) {
      if (!assigned.has(key)) {
        this.partitions.delete(key);
        this.partitionsVersion++;
      }
    }
    this.logger.info('Mapping joined its consumer group', { mapping: this.config.id, group: this.config.consumerGroupId, partitions: [...assigned] });
    this.joined?.resolve();
  }

  private stateFor(topic: string, partition: number): PartitionState {
    const key = `${topic}-${partition}`;
    let state = this.partitions.get(key);
    if (!state) {
      state = newPartitionState(topic, partition);
      this.partitions.set(key, state);
      this.partitionsVersion++;
    }
    return state;
  }

  private laneIdOf(state: PartitionState): string {
    const pollers = this.options.pollers ?? this.config.pollers ?? 1;
    return pollers === 'per-partition' ? state.key : String(state.partition % Math.max(1, pollers));
  }

  /** The lane (poller) a partition belongs to, started on first use while the mapping runs. */
  private laneFor(state: PartitionState): Lane | undefined {
    const id = this.laneIdOf(state);
    let lane = this.lanes.get(id);
    if (!lane && this.running) {
      const created: Lane = { id, turn: 0, inFlight: undefined, done: Promise.resolve(), wake: undefined, states: [], partitionsVersion: -1 };
      this.lanes.set(id, created);
      created.done = this.dispatchLoop(created);
      lane = created;
    }
    return lane;
  }

  private onFetched(batch: FetchedBatch): void {
    if (!this.running && this.joined === undefined) return;
    if (batch.records.length === 0) {
      // A fetch of only control records (transaction markers) or aborted data: move our frontier too, or the
      // group would lag one marker behind forever. A partition that never handed over data stays uncommitted.
      const state = this.partitions.get(`${batch.topic}-${batch.partition}`);
      if (!state || state.fetchedUpTo === undefined || batch.nextOffset <= state.fetchedUpTo) return;
      state.fetchedUpTo = batch.nextOffset;
      this.laneFor(state)?.wake?.();
      return;
    }
    const state = this.stateFor(batch.topic, batch.partition);
    // A ConsumedRecord is a SourceRecord (Buffers are Uint8Arrays): queued as fetched, no copy.
    enqueueFetched(state, batch.records, batch.nextOffset - 1n, this.filter, Date.now());
    if (!this.paused.has(state) && queueFullness(state, this.queueLimit) >= 1) {
      this.paused.add(state);
      this.consumer?.pause(state.topic, [state.partition]);
    }
    this.laneFor(state)?.wake?.();
  }

  private async dispatchLoop(lane: Lane): Promise<void> {
    const { config } = this;
    const limits = {
      batchSize: config.batchSize,
      maxPayloadBytes: LAMBDA_PAYLOAD_LIMIT_BYTES,
      batchingWindowMs: config.maximumBatchingWindowSeconds * 1000,
      envelope: { eventSource: config.eventSource, bootstrapServers: config.bootstrapServers, ...(config.eventSourceArn ? { eventSourceArn: config.eventSourceArn } : {}) },
    };
    while (this.running) {
      try {
        const states = this.statesOf(lane);
        this.commitIdlePartitions(states);
        const plan = planBatch(states, limits, Date.now(), lane.turn++);
        if (plan.kind === 'wait') {
          await this.sleep(lane, plan.untilMs === undefined ? 1000 : Math.max(1, plan.untilMs - Date.now()));
          continue;
        }
        this.resumeDrained(plan.parts.map((p) => p.state));
        lane.inFlight = this.invoke(plan.parts, plan.bytes);
        await lane.inFlight;
      } catch (err) {
        this.logger.error('Dispatch step failed; retrying', { mapping: config.id, error: describeError(err) });
        await this.sleep(lane, 500);
      } finally {
        lane.inFlight = undefined;
      }
    }
  }

  private statesOf(lane: Lane): PartitionState[] {
    if (lane.partitionsVersion !== this.partitionsVersion) {
      lane.states = [...this.partitions.values()].filter((s) => this.laneIdOf(s) === lane.id);
      lane.partitionsVersion = this.partitionsVersion;
    }
    return lane.states;
  }

  private sleep(lane: Lane, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      lane.wake = done;
    });
  }

  /** Partitions with nothing to deliver still get their frontier committed (filtered-out records, markers). */
  private commitIdlePartitions(states: readonly PartitionState[]): void {
    const commits: CommitEntry[] = [];
    for (const state of states) {
      if (state.queue.length > 0) continue;
      const commit = commitFrontier(state);
      if (commit !== undefined) commits.push({ state, commit });
    }
    if (commits.length > 0) void this.commit(commits);
  }

  /** Resume fetching paused partitions that drained ({@link partitionsToResume}: together, in one fetch). */
  private resumeDrained(planned: readonly PartitionState[]): void {
    if (this.paused.size === 0) return;
    for (const state of partitionsToResume(planned, this.paused, this.queueLimit)) {
      this.paused.delete(state);
      this.consumer?.resume(state.topic, [state.partition]);
    }
  }

  /**
   * Queue offsets for commit; resolves, once they are committed, to `"topic-N": offset` for those that were
   * (a failed commit resolves to `{}`: the records since the last commit are redelivered). Commits queued while
   * one is on the wire are merged into the next OffsetCommit: the broker keeps only the last offset anyway.
   */
  private commit(entries: readonly CommitEntry[]): Promise<Record<string, string>> {
    const fresh = entries.filter((e) => this.partitions.get(e.state.key) === e.state && !((this.scheduledCommit.get(e.state) ?? -1n) >= e.commit));
    if (fresh.length === 0 || !this.consumer) return Promise.resolve({});
    for (const e of fresh) {
      this.scheduledCommit.set(e.state, e.commit);
      this.commitQueue.set(e.state, e.commit);
    }
    const result = new Promise<Record<string, string>>((resolve) => this.commitWaiters.push({ entries: fresh, resolve }));
    this.committing ??= this.sendCommits().finally(() => (this.committing = undefined));
    return result;
  }

  private async sendCommits(): Promise<void> {
    while (this.commitQueue.size > 0) {
      // Without spacing, invocations that follow each other closely (batches of 100 at a million records/s) sent an
      // OffsetCommit per round trip, 250 a second, and the broker appended each to __consumer_offsets: 0.23 ms of its
      // CPU each, on the cores the consumer and the function share locally, for offsets the next commit replaces. Once
      // the mapping is stopping, its last commits are not spaced.
      const wait = this.lastCommitAt + COMMIT_SPACING_MS - Date.now();
      if (wait > 0 && this.running) await new Promise((resolve) => setTimeout(resolve, wait));
      this.lastCommitAt = Date.now();
      const queued = this.commitQueue;
      const waiters = this.commitWaiters;
      this.commitQueue = new Map();
      this.commitWaiters = [];
      const live = [...queued].filter(([state]) => this.partitions.get(state.key) === state);
      let ok = live.length > 0 && this.consumer !== undefined;
      if (ok) {
        try {
          await this.consumer?.commit(live.map(([state, offset]) => ({ topic: state.topic, partition: state.partition, offset: offset.toString() })));
          for (const [state, offset] of live) if (state.committed === undefined || offset > state.committed) state.committed = offset;
        } catch (err) {
          ok = false;
          // Typically a rebalance: the partition's new owner redelivers from the last commit (at-least-once).
          this.logger.warn('Offset commit failed; records since the last commit will be redelivered', { mapping: this.config.id, error: describeError(err) });
          for (const [state, offset] of live) if (this.scheduledCommit.get(state) === offset) this.scheduledCommit.delete(state);
        }
      }
      for (const w of waiters) {
        const committed: Record<string, string> = {};
        if (ok) for (const e of w.entries) if (e.state.committed !== undefined && e.state.committed >= e.commit) committed[e.state.key] = e.commit.toString();
        w.resolve(committed);
      }
    }
  }

  private async invoke(parts: PlannedPart[], bytes: number): Promise<void> {
    const { config } = this;
    const handler = this.handler as LambdaHandler;
    const batch: KafkaBatch = {
      eventSource: config.eventSource,
      ...(config.eventSourceArn ? { eventSourceArn: config.eventSourceArn } : {}),
      bootstrapServers: config.bootstrapServers,
      partitions: parts.map((p) => ({ topic: p.state.topic, partition: p.state.partition, records: p.records })),
    };
    const event = encodeKafkaEvent(batch);
    const startedAt = Date.now();
    const context = createLambdaContext({
      functionName: config.functionName,
      region: config.region,
      memorySize: config.memorySize,
      timeoutSeconds: config.timeoutSeconds,
      startedAt,
      logStreamName: this.logStreamName,
    });
    let recordCount = 0;
    const partitionsReport: Record<string, number> = {};
    for (const p of parts) {
      recordCount += p.records.length;
      partitionsReport[p.state.key] = p.records.length;
    }
    const result = await withEnvironment(config.environment, () => callHandler(handler, event, context, config.timeoutSeconds));
    const durationMs = Date.now() - startedAt;
    this.invocations++;
    if (this.abandonInFlight) {
      this.report({ mapping: config.id, functionName: config.functionName, awsRequestId: context.awsRequestId, partitions: partitionsReport, records: recordCount, bytes, durationMs, outcome: 'abandoned', committed: {}, discarded: 0 });
      return;
    }
    let outcome: InvocationOutcome;
    let label: InvocationReport['outcome'];
    let error: unknown;
    if (!result.ok) {
      outcome = { kind: 'error', error: result.error };
      label = result.timedOut ? 'timeout' : 'error';
      error = result.error;
    } else {
      try {
        const failures = parseBatchResponse(result.value, batch);
        if (failures === undefined || failures.length === 0) {
          outcome = { kind: 'success' };
          label = 'success';
        } else {
          const lowest = lowestFailedOffsets(failures);
          outcome = { kind: 'partial', failedFrom: new Map([...lowest].map(([k, f]) => [k, f.offset])) };
          label = 'partial-failure';
        }
      } catch (err) {
        // An invalid partial-batch response fails the whole batch, as in Lambda.
        outcome = { kind: 'error', error: err };
        label = 'error';
        error = err;
      }
    }
    const backoff = this.options.retryBackoff ?? DEFAULT_BACKOFF;
    const maximumRetryAttempts = effectiveMaximumRetryAttempts(config);
    const settled = settleBatch(parts, outcome, {
      maximumRetryAttempts,
      backoffMs: (n) => Math.min(backoff.initialMs * 2 ** (n - 1), backoff.maxMs),
      now: Date.now(),
    });
    let discarded = 0;
    for (const s of settled) discarded += s.discarded.length;
    if (discarded > 0) {
      const discardedParts = settled.filter((s) => s.discarded.length > 0).map((s) => ({ topic: s.state.topic, partition: s.state.partition, records: s.discarded }));
      await this.sendToFailureDestination(discardedParts, context.awsRequestId, error ?? new Error('partial batch failure'), label === 'partial-failure', maximumRetryAttempts + 1);
    }
    if (label === 'success' || label === 'partial-failure') this.recordsDelivered += recordCount;
    this.lastResult = label === 'success' ? 'OK' : 'PROBLEM: Function call failed';
    // The next invocation may start while this commit is on the wire (Lambda's pollers do not wait for
    // it either); the report waits for it, so `committed` says what reached the broker.
    const outcomeReport = {
      mapping: config.id,
      functionName: config.functionName,
      awsRequestId: context.awsRequestId,
      partitions: partitionsReport,
      records: recordCount,
      bytes,
      durationMs,
      outcome: label,
      ...(error !== undefined ? { error: describeError(error) } : {}),
      discarded,
    };
    this.commitThenReport(
      settled.flatMap((s) => (s.commit !== undefined ? [{ state: s.state, commit: s.commit }] : [])),
      outcomeReport,
    );
  }

  /**
   * Commit, then report the invocation with what was committed. A method of its own so that the callback waiting for
   * the commit keeps only the report: a closure made inside `invoke` would keep invoke's whole scope, the event and
   * its records with it, alive for the commit's round trip, long enough for the GC to copy them and often to promote
   * them to the old generation (measured at batchSize 100: 7× the bytes surviving the young-generation GCs).
   */
  private commitThenReport(entries: CommitEntry[], report: Omit<InvocationReport, 'committed'>): void {
    void this.commit(entries).then((committed) => this.report({ ...report, committed }));
  }

  private report(report: InvocationReport): void {
    const level = report.outcome === 'success' ? 'info' : 'warn';
    this.logger[level]('invocation', { ...report });
    this.options.onInvocation?.(report);
  }

  /** One failure record per discarded batch (all its partitions), as Lambda sends to an SQS/SNS destination. */
  private async sendToFailureDestination(parts: KafkaBatch['partitions'], requestId: string, error: unknown, handled: boolean, invokeCount: number): Promise<void> {
    const { config } = this;
    const ranges = parts.map((p) => ({ partition: partitionKey(p.topic, p.partition), firstOffset: (p.records[0] as SourceRecord).offset.toString(), lastOffset: (p.records[p.records.length - 1] as SourceRecord).offset.toString() }));
    const context = { mapping: config.id, ranges, error: describeError(error) };
    if (!config.onFailure) {
      this.logger.error('Retries exhausted and no on-failure destination: records skipped', context);
      return;
    }
    this.failureSender ??= createFailureSender(config.onFailure, this.options.aws ?? { client: { region: config.region }, s3: { region: config.region } });
    const batch: KafkaBatch = { eventSource: config.eventSource, ...(config.eventSourceArn ? { eventSourceArn: config.eventSourceArn } : {}), bootstrapServers: config.bootstrapServers, partitions: parts };
    const record = buildFailureRecord(batch, { requestId, functionArn: localFunctionArn(config.region, config.functionName), approximateInvokeCount: invokeCount, functionError: handled ? 'Handled' : 'Unhandled' });
    // Lambda does not skip a batch it could not record: retry the destination until it takes it.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.failureSender.send(record);
        this.logger.warn('Retries exhausted: failure record sent to the on-failure destination, records skipped', context);
        return;
      } catch (err) {
        if (!(err instanceof KBridgeError) || !err.retriable || !this.running) throw err;
        this.logger.error('On-failure destination unavailable; retrying', { ...context, attempt, destinationError: describeError(err) });
        await new Promise((r) => setTimeout(r, Math.min(1000 * attempt, 10_000)));
      }
    }
  }
}

type HandlerResult = { ok: true; value: unknown } | { ok: false; error: unknown; timedOut: boolean };

/**
 * Invoke a handler as Lambda's Node.js runtime does: async (returned promise) or callback style, with
 * the function timeout enforced. A timed-out handler keeps running in this process (nothing can stop it),
 * but its result is ignored and the batch counts as failed.
 */
export function callHandler(handler: LambdaHandler, event: unknown, context: unknown, timeoutSeconds: number): Promise<HandlerResult> {
  return new Promise((resolve) => new HandlerCall(resolve).run(handler, event, context, timeoutSeconds));
}

/**
 * One invocation's outcome: the first of its returned promise, its callback, a throw or the timeout wins. A class, so
 * that an invocation creates only the callbacks the handler and the timer need (this runs for every batch).
 */
class HandlerCall {
  private settled = false;
  private timer: NodeJS.Timeout | undefined;

  public constructor(private readonly resolve: (result: HandlerResult) => void) {}

  public run(handler: LambdaHandler, event: unknown, context: unknown, timeoutSeconds: number): void {
    this.timer = setTimeout(() => this.finish({ ok: false, error: new Error(`Task timed out after ${timeoutSeconds.toFixed(2)} seconds`), timedOut: true }), timeoutSeconds * 1000);
    try {
      const returned = handler(event, context, (err?: unknown, value?: unknown) =>
        err !== undefined && err !== null ? this.finish({ ok: false, error: err, timedOut: false }) : this.finish({ ok: true, value }),
      );
      if (returned !== null && typeof returned === 'object' && typeof (returned as Promise<unknown>).then === 'function') {
        (returned as Promise<unknown>).then(
          (value) => this.finish({ ok: true, value }),
          (error: unknown) => this.finish({ ok: false, error, timedOut: false }),
        );
      } else if (handler.length < 3) {
        this.finish({ ok: true, value: returned });
      }
    } catch (error) {
      this.finish({ ok: false, error, timedOut: false });
    }
  }

  private finish(result: HandlerResult): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.resolve(result);
  }
}

/**
 * Apply a function's `environment` to `process.env` for the duration of `fn`. Handlers share one
 * process: two mappings with conflicting variables invoked at the same time would see each other's
 * values, so the emulator documents it rather than pretending isolation.
 */
function withEnvironment<T>(environment: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const keys = Object.keys(environment);
  return keys.length === 0 ? fn() : withVariables(environment, keys, fn);
}

async function withVariables<T>(environment: Record<string, string>, keys: readonly string[], fn: () => Promise<T>): Promise<T> {
  const saved = keys.map((k) => [k, process.env[k]] as const);
  Object.assign(process.env, environment);
  try {
    return await fn();
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

async function waitAtMost(promise: Promise<unknown>, ms: number): Promise<boolean> {
  if (ms === Number.POSITIVE_INFINITY) {
    await promise.catch(() => undefined);
    return true;
  }
  let timer: NodeJS.Timeout | undefined;
  const done = await Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms))),
  ]);
  clearTimeout(timer);
  return done;
}
