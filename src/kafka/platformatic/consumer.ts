import { Admin, Consumer, FetchIsolationLevels, ListOffsetTimestamps, type ClusterMetadata, type ConsumerGroupJoinPayload } from '@platformatic/kafka';
import { KafkaAuthError } from '../../errors';
import type { GroupConsumer, GroupConsumerHandlers, GroupConsumerOptions, TopicPartition } from '../port';
import type { AdapterContext } from './client';
import { protocolErrorOf } from './errors';
import { fetchFrom, type FetchPosition } from './fetcher';
import { observeConnections, platformaticBaseOptions } from './options';
import { byLeader, findCoordinator, groupByTopic, offsetCommitTopics, sendTo, sleep, tpKey } from './raw';

const PARTITION_FETCH_BYTES = 1024 * 1024;
/** Broker answers after which the member is out of the group until the library's heartbeat rejoins it. */
const REJOINING = new Set(['REBALANCE_IN_PROGRESS', 'UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'FENCED_INSTANCE_ID']);
/** Failures that retrying cannot fix: the consumer stops and says so (`restarting: false`). */
const FATAL = new Set(['SASL_AUTHENTICATION_FAILED', 'GROUP_AUTHORIZATION_FAILED', 'TOPIC_AUTHORIZATION_FAILED', 'CLUSTER_AUTHORIZATION_FAILED']);

/**
 * Session, heartbeat and rebalance timeouts as the library accepts them (it refuses a rebalance timeout below the
 * session timeout, and a heartbeat interval not below it): kafkajs' defaults (30 s, 3 s, 60 s) where not given.
 */
function groupTimeouts(options: GroupConsumerOptions): { sessionTimeout: number; heartbeatInterval: number; rebalanceTimeout: number } {
  const sessionTimeout = options.sessionTimeoutMs ?? 30_000;
  const heartbeatInterval = Math.min(options.heartbeatIntervalMs ?? 3_000, Math.max(1, Math.floor(sessionTimeout / 3)));
  const rebalanceTimeout = Math.max(options.rebalanceTimeoutMs ?? 60_000, sessionTimeout);
  return { sessionTimeout, heartbeatInterval, rebalanceTimeout };
}

/**
 * A consumer-group member over the library's group membership (JoinGroup, SyncGroup and heartbeats, rejoining on
 * its own) with our own fetch loop: one Fetch per partition leader, batches decoded with read_committed
 * filtering, each partition's batch awaited before that partition is fetched again, offsets committed only
 * when asked.
 */
class PlatformaticGroupConsumer implements GroupConsumer {
  private consumer: Consumer | undefined;
  private handlers: GroupConsumerHandlers | undefined;
  private assignment: TopicPartition[] = [];
  /** Next offset to fetch per assigned partition; absent until resolved (committed offset or reset policy). */
  private readonly positions = new Map<string, bigint>();
  private readonly paused = new Set<string>();
  /** Seeks per partition, so that a seek made inside onBatch (even to the batch's own first offset) is kept. */
  private readonly seeks = new Map<string, number>();
  private generation = 0;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private metadata: ClusterMetadata | undefined;
  /** A client of its own for offset commits (see {@link commitAside}), made at the first commit. */
  private committer: Admin | undefined;
  private coordinator: number | undefined;

  public constructor(
    private readonly ctx: AdapterContext,
    private readonly options: GroupConsumerOptions,
  ) {}

  public async start(handlers: GroupConsumerHandlers): Promise<void> {
    if (this.running) throw new TypeError(`consumer of group ${this.options.groupId} is already started`);
    this.handlers = handlers;
    const { groupId, topics } = this.options;
    const consumer = new Consumer({
      ...platformaticBaseOptions(this.ctx.connection),
      groupId,
      autocommit: false,
      isolationLevel: this.options.readUncommitted ? FetchIsolationLevels.READ_UNCOMMITTED : FetchIsolationLevels.READ_COMMITTED,
      ...groupTimeouts(this.options),
    });
    this.consumer = consumer;
    observeConnections(consumer, this.ctx.log);
    consumer.topics.trackAll(...topics);
    try {
      this.metadata = await consumer.metadata({ topics: [...topics] });
    } catch (err) {
      await consumer.close(true).catch(() => undefined);
      this.consumer = undefined;
      throw await this.ctx.failConnect(err, `connect consumer of group ${groupId}`, { group: groupId });
    }
    consumer.on('consumer:group:join', (payload: ConsumerGroupJoinPayload) => this.onJoin(payload));
    // The library emits 'error' when a rejoin after a rebalance or a coordinator move failed: it then stops
    // heartbeating, so join again (with backoff) as kafkajs restarts a crashed consumer.
    consumer.on('error', (err: Error) => {
      this.crash(err, true);
      this.rejoinLater(consumer, 1);
    });
    this.running = true;
    this.loop = this.run();
    // The join completes in the background; `onAssigned` says when.
    consumer.joinGroup({}).catch((err: unknown) => {
      if (!this.running) return;
      const fatal = this.ctx.fail(err, 'join') instanceof KafkaAuthError || FATAL.has(protocolErrorOf(err)?.type ?? '');
      this.crash(err, !fatal);
      if (!fatal) this.rejoinLater(consumer, 1);
    });
  }

  public pause(topic: string, partitions: readonly number[]): void {
    for (const p of partitions) this.paused.add(tpKey(topic, p));
  }

  public resume(topic: string, partitions: readonly number[]): void {
    for (const p of partitions) this.paused.delete(tpKey(topic, p));
    this.wake?.();
  }

  public seek(topic: string, partition: number, offset: bigint): void {
    const key = tpKey(topic, partition);
    this.positions.set(key, offset);
    this.seeks.set(key, (this.seeks.get(key) ?? 0) + 1);
    this.wake?.();
  }

  public async commit(offsets: ReadonlyArray<TopicPartition & { offset: string }>): Promise<void> {
    const consumer = this.consumer;
    if (consumer === undefined || offsets.length === 0) return;
    try {
      if (!(await this.commitAside(consumer, offsets))) {
        await consumer.commit({ offsets: offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: BigInt(o.offset), leaderEpoch: -1 })) });
      }
    } catch (err) {
      throw this.ctx.fail(err, `commit offsets of group ${this.options.groupId}`, { group: this.options.groupId });
    }
  }

  public async close(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop?.catch(() => undefined);
    await this.consumer?.close(true).catch(() => undefined);
    this.consumer = undefined;
    await this.committer?.close().catch(() => undefined);
    this.committer = undefined;
    this.coordinator = undefined;
  }

  /**
   * OffsetCommit over a connection of its own, as the Java consumer talks to its group coordinator: the library sends
   * it on the connection of the fetch in progress, and a broker answers one request of a connection at a time, so a
   * commit waited behind the fetch's long poll (measured: 1 s per commit on an idle topic with maxWaitTimeMs 1000,
   * where kafkajs took 1–6 ms). False when it could not (not a member yet, a rebalance, a coordinator that moved, a
   * broken connection): then the library's own commit does it, which finds the coordinator and rejoins as needed.
   */
  private async commitAside(consumer: Consumer, offsets: ReadonlyArray<TopicPartition & { offset: string }>): Promise<boolean> {
    const { memberId, generationId } = consumer;
    if (memberId === null || memberId === '' || generationId < 0) return false;
    try {
      if (this.committer === undefined) {
        this.committer = new Admin(platformaticBaseOptions(this.ctx.connection));
        observeConnections(this.committer, this.ctx.log);
      }
      this.coordinator ??= await findCoordinator(this.committer, this.options.groupId);
      await sendTo(this.committer, this.coordinator, 'OffsetCommit', this.options.groupId, generationId, memberId, null, offsetCommitTopics(offsets));
      return true;
    } catch (err) {
      this.coordinator = undefined;
      this.ctx.log.debug(`consumer of group ${this.options.groupId}: commit on its own connection failed, committing through the group member: ${(err as Error).message}`);
      return false;
    }
  }

  private rejoinLater(consumer: Consumer, attempt: number): void {
    setTimeout(() => {
      if (!this.running || this.consumer !== consumer) return;
      consumer.joinGroup({}).catch((err: unknown) => {
        if (!this.running || this.consumer !== consumer) return;
        this.crash(err, true);
        this.rejoinLater(consumer, attempt + 1);
      });
    }, Math.min(500 * 2 ** (attempt - 1), 10_000)).unref();
  }

  private crash(err: unknown, restarting: boolean): void {
    const error = this.ctx.fail(err, `consume group ${this.options.groupId}`, { group: this.options.groupId });
    this.ctx.log.warn(`consumer of group ${this.options.groupId} failed${restarting ? ', restarting' : ''}: ${error.message}`);
    this.handlers?.onCrash?.(error, restarting);
    if (!restarting) this.running = false;
  }

  private onJoin(payload: ConsumerGroupJoinPayload): void {
    this.generation++;
    const assignment: TopicPartition[] = [];
    for (const { topic, partitions } of payload.assignments ?? []) for (const partition of partitions) assignment.push({ topic, partition });
    assignment.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    const kept = new Set(assignment.map((tp) => tpKey(tp.topic, tp.partition)));
    this.assignment = assignment;
    this.ctx.log.info(`consumer of group ${this.options.groupId} joined generation ${payload.generationId ?? '?'} with ${assignment.length} partition(s)`, { kafka: { group: this.options.groupId, memberId: payload.memberId } });
    // Positions are re-read from the committed offsets after every join, as kafkajs does; seeks in onAssigned win.
    this.positions.clear();
    for (const key of [...this.paused]) if (!kept.has(key)) this.paused.delete(key);
    this.handlers?.onAssigned?.(assignment);
    this.wake?.();
  }

  /** Resolve positions of assigned partitions that have none: the committed offset, else earliest or latest. */
  private async resolvePositions(consumer: Consumer): Promise<void> {
    const missing = this.assignment.filter((tp) => !this.positions.has(tpKey(tp.topic, tp.partition)));
    if (missing.length === 0) return;
    const generation = this.generation;
    const topics = groupByTopic(missing).map(([topic, list]) => ({ topic, partitions: list.map((tp) => tp.partition) }));
    const committed = await consumer.listCommittedOffsets({ topics });
    const reset: TopicPartition[] = [];
    const found: Array<[string, bigint]> = [];
    for (const tp of missing) {
      const offset = committed.get(tp.topic)?.[tp.partition];
      if (offset !== undefined && offset >= 0n) found.push([tpKey(tp.topic, tp.partition), offset]);
      else reset.push(tp);
    }
    if (reset.length > 0) {
      const partitions: Record<string, number[]> = {};
      for (const [topic, list] of groupByTopic(reset)) partitions[topic] = list.map((tp) => tp.partition);
      const listed = await consumer.listOffsets({
        topics: Object.keys(partitions),
        partitions,
        timestamp: this.options.fromBeginning ? ListOffsetTimestamps.EARLIEST : ListOffsetTimestamps.LATEST,
        isolationLevel: this.options.readUncommitted ? FetchIsolationLevels.READ_UNCOMMITTED : FetchIsolationLevels.READ_COMMITTED,
      });
      for (const tp of reset) {
        const offset = listed.get(tp.topic)?.[tp.partition];
        if (offset !== undefined && offset >= 0n) found.push([tpKey(tp.topic, tp.partition), offset]);
      }
    }
    if (generation !== this.generation) return;
    // A seek made while we were asking wins over what we found.
    for (const [key, offset] of found) if (!this.positions.has(key)) this.positions.set(key, offset);
  }

  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      const consumer = this.consumer;
      if (consumer === undefined) return;
      try {
        await this.resolvePositions(consumer);
        const wanted: FetchPosition[] = [];
        for (const tp of this.assignment) {
          const key = tpKey(tp.topic, tp.partition);
          const offset = this.positions.get(key);
          if (offset !== undefined && !this.paused.has(key)) wanted.push({ ...tp, offset });
        }
        if (wanted.length === 0) {
          await this.idle(100);
          continue;
        }
        const metadata = this.metadata ?? (await consumer.metadata({ topics: [...this.options.topics] }));
        const generation = this.generation;
        await Promise.all([...byLeader(metadata, wanted)].map(([leader, list]) => this.fetchLeader(consumer, metadata, leader, list, generation)));
        failures = 0;
      } catch (err) {
        if (!this.running) return;
        failures++;
        const protocol = protocolErrorOf(err);
        if (protocol && FATAL.has(protocol.type)) {
          this.crash(err, false);
          return;
        }
        if (protocol?.type === 'OFFSET_OUT_OF_RANGE') {
          // A position below the log start (retention, deleteRecords) or past the end: reset as the Java consumer
          // does with auto.offset.reset, to earliest or latest by `fromBeginning`.
          await this.resetOutOfRange(consumer).catch(() => undefined);
          failures = 0;
          continue;
        }
        // Leader moves, a rebalance, a broker restart: fresh metadata and positions, then go on.
        this.metadata = undefined;
        if (protocol === undefined || !REJOINING.has(protocol.type)) {
          if (failures > 1) this.crash(err, true);
          else this.ctx.log.debug(`consumer of group ${this.options.groupId}: fetch failed, retrying: ${(err as Error).message}`);
        }
        await this.idle(Math.min(100 * 2 ** failures, 2_000));
      }
    }
  }

  private async resetOutOfRange(consumer: Consumer): Promise<void> {
    const generation = this.generation;
    const positioned = this.assignment.filter((tp) => this.positions.has(tpKey(tp.topic, tp.partition)));
    const partitions: Record<string, number[]> = {};
    for (const [topic, list] of groupByTopic(positioned)) partitions[topic] = list.map((tp) => tp.partition);
    const topics = Object.keys(partitions);
    if (topics.length === 0) return;
    const list = (timestamp: bigint) => consumer.listOffsets({ topics, partitions, timestamp, isolationLevel: FetchIsolationLevels.READ_UNCOMMITTED });
    const [earliest, latest] = await Promise.all([list(ListOffsetTimestamps.EARLIEST), list(ListOffsetTimestamps.LATEST)]);
    if (generation !== this.generation) return;
    for (const tp of positioned) {
      const key = tpKey(tp.topic, tp.partition);
      const position = this.positions.get(key) as bigint;
      const low = earliest.get(tp.topic)?.[tp.partition];
      const high = latest.get(tp.topic)?.[tp.partition];
      if (low === undefined || high === undefined || (position >= low && position <= high)) continue;
      const reset = this.options.fromBeginning ? low : high;
      this.ctx.log.warn(`consumer of group ${this.options.groupId}: ${tp.topic}[${tp.partition}] offset ${position} is out of range [${low}, ${high}]; resetting to ${reset}`);
      this.positions.set(key, reset);
    }
  }

  private async fetchLeader(consumer: Consumer, metadata: ClusterMetadata, leader: number, list: FetchPosition[], generation: number): Promise<void> {
    const answers = await fetchFrom(consumer, leader, metadata, list, {
      readCommitted: this.options.readUncommitted !== true,
      maxWaitMs: this.options.maxWaitTimeMs ?? 500,
      partitionMaxBytes: PARTITION_FETCH_BYTES,
    });
    this.handlers?.onFetch?.();
    for (const answer of answers.values()) {
      const key = tpKey(answer.topic, answer.partition);
      // Stale: a rebalance, a seek or a pause since the request went out.
      if (!this.running || generation !== this.generation || this.paused.has(key) || this.positions.get(key) !== answer.fetchOffset) continue;
      if (!answer.progressed) continue;
      const seeksBefore = this.seeks.get(key) ?? 0;
      try {
        await this.handlers?.onBatch({ topic: answer.topic, partition: answer.partition, records: answer.records, nextOffset: answer.nextOffset });
      } catch (err) {
        // As kafkajs does on a failing handler: report, go back to the committed offsets, and go on.
        this.handlers?.onCrash?.(err instanceof Error ? err : new Error(String(err)), true);
        this.positions.clear();
        await sleep(200);
        return;
      }
      // A seek in the handler wins, also one back to where this fetch started (the batch is delivered again).
      if (this.positions.get(key) === answer.fetchOffset && (this.seeks.get(key) ?? 0) === seeksBefore) this.positions.set(key, answer.nextOffset);
    }
  }
}

/** A consumer-group member of the port; nothing connects before `start`. */
export function createPlatformaticGroupConsumer(ctx: AdapterContext, options: GroupConsumerOptions): GroupConsumer {
  return new PlatformaticGroupConsumer(ctx, options);
}
