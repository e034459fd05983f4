import { AssignerProtocol, type Admin, type Kafka } from 'kafkajs';

// kafkajs' ConfigResourceTypes is not a named export Node's ESM loader sees in the CJS module (tsx/node fail at
// import; vitest does not): its TOPIC value (owner B, minimal fix).
const TOPIC_RESOURCE = 2;
import { KafkaRequestError, TopicMismatchError, WaitTimeoutError } from '../../errors';
import { toKafkajsKBridgeError } from './errors';
import { COORDINATOR_MOVED, GROUP_ID_NOT_FOUND, groupNotEmptyError, missingPartitionsError, normaliseGroupOffsets, settleOffsetCommit } from '../groupOffsets';
import type {
  ClusterDescription,
  CommitGroupOffsetsOptions,
  CommitGroupOffsetsResult,
  CommittedPartitionOffset,
  GroupDescription,
  GroupState,
  KafkaAdmin,
  NextRecord,
  NextRecordRequest,
  PartitionOffsets,
  TopicDescription,
  TopicOffsets,
  TopicPartitionOffsets,
  TopicSpec,
} from '../port';
import type { KafkaConnectionInfo } from '../types';
import { KafkajsBatch, createKafkajsCluster, kafkaErrorOf, rawRequests, type KafkajsBroker, type KafkajsCluster } from './cluster';
import type { Guard } from './guard';

const ISOLATION_READ_UNCOMMITTED = 0;
const ISOLATION_READ_COMMITTED = 1;
const LATEST = -1;
const EARLIEST = -2;
/** Metadata answers that only mean "the new topic has not reached this broker's metadata cache yet". */
const NOT_YET = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE']);
/** configSource 1 = DYNAMIC_TOPIC_CONFIG: set on the topic itself. */
const DYNAMIC_TOPIC_CONFIG = 1;
/** Bytes asked per partition when fetching the next record (the first batch in a request is always whole). */
const PARTITION_FETCH_BYTES = 64 * 1024;
/** Rounds of fetching past control batches / oversize batches before giving up on a time lag. */
const MAX_FETCH_ROUNDS = 5;
/** Per-group requests in flight at once. */
const GROUP_CONCURRENCY = 32;
/** What a request on a coordinator answers when it should be asked again. */
const MOVED = Symbol('coordinator moved');

/**
 * A connected {@link KafkaAdmin} over kafkajs' admin plus its internal Cluster (for ListOffsets at both isolation
 * levels, record fetches, and OffsetCommit / DescribeGroups answers read per partition and per group).
 *
 * @example
 * ```ts
 * const admin = await openAdmin(kafka, info, guard);
 * try { await admin.listTopics(); } finally { await admin.close(); }
 * ```
 */
export async function openAdmin(kafka: Kafka, info: KafkaConnectionInfo, guard: Guard): Promise<KafkaAdmin> {
  const admin = kafka.admin();
  const cluster = createKafkajsCluster(kafka);
  try {
    await guard('connect admin', () => Promise.all([admin.connect(), cluster.connect()]));
  } catch (err) {
    // A half-open client keeps sockets and timers alive; close it before reporting.
    await Promise.allSettled([admin.disconnect(), cluster.disconnect()]);
    throw err;
  }
  return new KafkajsAdmin(admin, cluster, info, guard);
}

class KafkajsAdmin implements KafkaAdmin {
  public constructor(
    private readonly admin: Admin,
    private readonly cluster: KafkajsCluster,
    private readonly info: KafkaConnectionInfo,
    private readonly guard: Guard,
  ) {}

  public async close(): Promise<void> {
    await Promise.allSettled([this.admin.disconnect(), this.cluster.disconnect()]);
  }

  public listTopics(): Promise<string[]> {
    return this.guard('list topics', () => this.admin.listTopics());
  }

  public createTopics(topics: readonly TopicSpec[], { timeoutMs = 30_000 }: { timeoutMs?: number } = {}): Promise<boolean> {
    const names = topics.map((t) => t.topic);
    return this.guard(`create topics ${names.join(', ')}`, async () => {
      // Not kafkajs' waitForLeaders: it gives up with UNKNOWN_TOPIC_OR_PARTITION when a KRaft broker's metadata
      // cache has not caught up with the controller yet (it only retries LEADER_NOT_AVAILABLE).
      const created = await this.admin.createTopics({
        waitForLeaders: false,
        topics: topics.map((t) => ({
          topic: t.topic,
          ...(t.numPartitions !== undefined ? { numPartitions: t.numPartitions } : {}),
          ...(t.replicationFactor !== undefined ? { replicationFactor: t.replicationFactor } : {}),
          ...(t.configs ? { configEntries: Object.entries(t.configs).map(([name, value]) => ({ name, value })) } : {}),
        })),
      });
      const deadline = Date.now() + timeoutMs;
      let last = 'no metadata yet';
      for (;;) {
        try {
          const { topics: metadata } = await this.admin.fetchTopicMetadata({ topics: names });
          const pending = metadata.filter((t) => {
            const wanted = topics.find((c) => c.topic === t.name)?.numPartitions ?? 1;
            return t.partitions.length < Math.max(wanted, 1) || t.partitions.some((p) => p.leader < 0);
          });
          if (pending.length === 0) return created;
          last = `no leader yet for ${pending.map((t) => t.name).join(', ')}`;
        } catch (err) {
          if (!NOT_YET.has((err as { type?: string }).type ?? '')) throw err;
          last = (err as Error).message;
        }
        if (Date.now() > deadline) {
          throw new WaitTimeoutError(`Topics ${names.join(', ')} on cluster "${this.info.cluster}" have no partition leaders after ${timeoutMs} ms (${last}); expected every partition led`, {
            cluster: this.info.cluster,
            topic: names[0],
          });
        }
        await sleep(100);
      }
    });
  }

  public async deleteTopics(topics: readonly string[]): Promise<void> {
    if (topics.length === 0) return;
    await this.guard(`delete topics ${topics.join(', ')}`, () => this.admin.deleteTopics({ topics: [...topics] }));
  }

  public describeTopics(topics: readonly string[]): Promise<TopicDescription[]> {
    return this.guard(`describe topics ${topics.join(', ')}`, () =>
      this.retryUnknownTopic(async () => {
        const present = await this.presentTopics(topics);
        if (present.length === 0) return [];
        const { topics: metadata } = await this.admin.fetchTopicMetadata({ topics: present });
        return metadata.map((t) => ({
          topic: t.name,
          partitions: t.partitions
            .map((p) => ({ partition: p.partitionId, leader: p.leader, replicas: [...p.replicas], isr: [...p.isr] }))
            .sort((a, b) => a.partition - b.partition),
        }));
      }),
    );
  }

  public describeTopicConfigs(topics: readonly string[], options: { explicitOnly?: boolean } = {}): Promise<Map<string, Record<string, string>>> {
    return this.guard(`describe configs of ${topics.join(', ')}`, () =>
      this.retryUnknownTopic(async () => {
        const result = new Map<string, Record<string, string>>();
        const present = await this.presentTopics(topics);
        if (present.length === 0) return result;
        const described = await this.admin.describeConfigs({
          resources: present.map((name) => ({ type: TOPIC_RESOURCE, name })),
          includeSynonyms: false,
        });
        for (const resource of described.resources) {
          const configs: Record<string, string> = {};
          for (const entry of resource.configEntries) {
            if (entry.configValue === null || entry.configValue === undefined) continue;
            const source = (entry as { configSource?: number }).configSource;
            const explicit = source === DYNAMIC_TOPIC_CONFIG || (source === undefined && !entry.isDefault);
            if (options.explicitOnly !== true || explicit) configs[entry.configName] = entry.configValue;
          }
          result.set(resource.resourceName, configs);
        }
        return result;
      }),
    );
  }

  public async fetchTopicOffsets(topic: string, options: { readUncommitted?: boolean } = {}): Promise<TopicPartitionOffsets[]> {
    const { partitions, missingTopics } = await this.fetchPartitionOffsets([topic]);
    if (missingTopics.length > 0) {
      throw new TopicMismatchError(`Cannot list offsets of topic "${topic}" on cluster "${this.info.cluster}": it does not exist; expected an existing topic`, {
        cluster: this.info.cluster,
        mechanism: this.info.mechanism,
        operation: `fetch offsets of ${topic}`,
        topic,
        type: 'UNKNOWN_TOPIC_OR_PARTITION',
        code: 3,
      });
    }
    return partitions.map((p) => ({
      partition: p.partition,
      low: p.logStartOffset.toString(),
      high: (options.readUncommitted === true ? p.highWatermark : p.lastStableOffset).toString(),
    }));
  }

  public fetchTopicOffsetsByTimestamp(topic: string, timestampMs: number): Promise<Array<{ partition: number; offset: string }>> {
    // kafkajs answers the end of the partition where no record is that recent.
    return this.guard(`fetch offsets of ${topic} at ${timestampMs}`, async () =>
      (await this.admin.fetchTopicOffsetsByTimestamp(topic, timestampMs)).map((p) => ({ partition: p.partition, offset: p.offset })).sort((a, b) => a.partition - b.partition),
    );
  }

  public fetchCommittedOffsets(groupId: string, topics?: readonly string[]): Promise<CommittedPartitionOffset[]> {
    return this.guard(`fetch committed offsets of group ${groupId}`, async () => {
      const answer = await this.admin.fetchOffsets({ groupId, ...(topics ? { topics: [...topics] } : {}) });
      return answer.flatMap((t) =>
        t.partitions.map((p) => ({
          topic: t.topic,
          partition: p.partition,
          offset: p.offset === '-1' || p.offset === '' ? null : p.offset,
          // The broker stores a null commit metadata as ""; the port says null (owner B, minimal fix).
          metadata: (p as { metadata?: string | null }).metadata || null,
        })),
      );
    });
  }

  public listGroups(): Promise<Array<{ groupId: string; protocolType: string }>> {
    return this.guard('list groups', async () => (await this.admin.listGroups()).groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType })));
  }

  public async describeGroups(groupIds: readonly string[]): Promise<GroupDescription[]> {
    const result = new Map<string, GroupDescription>();
    await this.guard(`describe groups ${groupIds.join(', ')}`, () =>
      mapLimit([...new Set(groupIds)], GROUP_CONCURRENCY, async (groupId) => {
        result.set(
          groupId,
          await this.onCoordinator(groupId, 8, async (broker, last) => {
            const { groups } = await rawRequests.describeGroups(broker, [groupId]);
            const g = groups.find((x) => x.groupId === groupId);
            // Kafka 3.x answers a group it never saw with state Dead; Kafka 4 with GROUP_ID_NOT_FOUND.
            if (g === undefined || g.errorCode === GROUP_ID_NOT_FOUND) return { groupId, state: 'Dead', protocolType: '', members: [] };
            if (g.errorCode !== 0) {
              const { type, retriable, message } = kafkaErrorOf(g.errorCode);
              if (!last && COORDINATOR_MOVED.has(type)) return MOVED;
              throw new KafkaRequestError(`Cannot describe group "${groupId}" on cluster "${this.info.cluster}": the broker answered ${type}: ${message}`, {
                cluster: this.info.cluster,
                mechanism: this.info.mechanism,
                group: groupId,
                type,
                code: g.errorCode,
                retriable,
              });
            }
            return {
              groupId,
              state: normalizeState(g.state),
              protocolType: g.protocolType,
              members: g.members.map((m) => ({ memberId: m.memberId, clientId: m.clientId, host: m.clientHost, assignment: decodeAssignment(g.protocolType, m.memberAssignment) })),
            };
          }),
        );
      }),
    );
    return groupIds.map((id) => result.get(id) as GroupDescription);
  }

  public async deleteGroups(groupIds: readonly string[]): Promise<void> {
    if (groupIds.length === 0) return;
    await this.guard(`delete groups ${groupIds.join(', ')}`, () => this.admin.deleteGroups([...groupIds]));
  }

  public describeCluster(): Promise<ClusterDescription> {
    return this.guard('describe cluster', async () => {
      const { brokers, controller, clusterId } = await this.admin.describeCluster();
      return { clusterId, controller, brokers: brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port })) };
    });
  }

  /**
   * One OffsetCommit to the coordinator (generation -1, empty member id: what `kafka-consumer-groups
   * --reset-offsets` and AdminClient `alterConsumerGroupOffsets` send); kafkajs' `setOffsets` joins the group
   * with a consumer instead, seconds per topic. Checks first, on the coordinator, that the group has no members
   * and that every partition exists; nothing is written when either fails.
   */
  public async commitGroupOffsets(groupId: string, topics: readonly TopicOffsets[], options: CommitGroupOffsetsOptions = {}): Promise<CommitGroupOffsetsResult> {
    const wanted = normaliseGroupOffsets(groupId, topics);
    const cluster = this.info.cluster;
    const attempts = Math.max(1, options.coordinatorAttempts ?? 8);
    return this.guard(`commit offsets of group ${groupId}`, async () => {
      const described = await this.onCoordinator(groupId, attempts, async (broker, last) => {
        const { groups } = await rawRequests.describeGroups(broker, [groupId]);
        const group = groups.find((g) => g.groupId === groupId);
        if (group === undefined || group.errorCode === GROUP_ID_NOT_FOUND) return { state: 'Dead', members: 0 };
        if (group.errorCode !== 0) {
          const { type, retriable, message } = kafkaErrorOf(group.errorCode);
          if (!last && COORDINATOR_MOVED.has(type)) return MOVED;
          throw new KafkaRequestError(`Cannot describe group "${groupId}" on cluster "${cluster}" before committing its offsets: the broker answered ${type}: ${message}. Nothing was committed`, {
            cluster,
            group: groupId,
            type,
            code: group.errorCode,
            retriable,
          });
        }
        return { state: group.state, members: group.members.length };
      });
      const { state, members } = described;
      if (members > 0) throw groupNotEmptyError(groupId, cluster, members, state);
      if (wanted.length > 0) {
        const metadata = await this.onCoordinator(groupId, attempts, (broker) => rawRequests.metadata(broker, wanted.map((t) => t.topic)));
        const existing = new Map(metadata.topicMetadata.filter((t) => t.topicErrorCode === 0).map((t) => [t.topic, new Set(t.partitionMetadata.map((p) => p.partitionId))] as const));
        const missing = missingPartitionsError(groupId, cluster, wanted, existing, (topic) => {
          const found = metadata.topicMetadata.find((t) => t.topic === topic);
          return found ? kafkaErrorOf(found.topicErrorCode).type : 'not in the metadata answer';
        });
        if (missing) throw missing;
      }
      if (options.dryRun === true || wanted.length === 0) return { groupId, state, committed: [] };
      await options.beforeCommit?.();
      return this.onCoordinator(groupId, attempts, async (broker, last) => {
        const answer = await rawRequests.offsetCommit(broker, {
          groupId,
          topics: wanted.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => ({ partition: p.partition, offset: p.offset })) })),
        });
        const answered = answer.responses.flatMap((r) => r.partitions.map((p) => ({ topic: r.topic, partition: p.partition, errorCode: p.errorCode })));
        const settled = settleOffsetCommit(groupId, cluster, state, wanted, answered, kafkaErrorOf, last);
        return settled === 'moved' ? MOVED : settled;
      });
    });
  }

  public fetchPartitionOffsets(topics: readonly string[]): Promise<{ partitions: PartitionOffsets[]; missingTopics: string[] }> {
    return this.guard(`list offsets of ${topics.join(', ')}`, () =>
      this.withMetadataRetry(async () => {
        const existing = new Set(await this.admin.listTopics());
        const present = topics.filter((t) => existing.has(t));
        const missingTopics = topics.filter((t) => !existing.has(t));
        if (present.length === 0) return { partitions: [], missingTopics };
        await this.cluster.addMultipleTargetTopics(present);
        const byLeader = this.partitionsByLeader(present.flatMap((t) => this.cluster.findTopicPartitionMetadata(t).map((p) => ({ topic: t, partition: p.partitionId }))));
        const partitions: PartitionOffsets[] = [];
        await Promise.all(
          [...byLeader].map(async ([nodeId, tps]) => {
            const broker = await this.cluster.findBroker({ nodeId });
            const topicsReq = (timestamp: number): { topic: string; partitions: { partition: number; timestamp: number }[] }[] =>
              groupByTopic(tps).map(([topic, ps]) => ({ topic, partitions: ps.map((partition) => ({ partition, timestamp })) }));
            const [start, hwm, lso] = await Promise.all([
              broker.listOffsets({ isolationLevel: ISOLATION_READ_UNCOMMITTED, topics: topicsReq(EARLIEST) }),
              broker.listOffsets({ isolationLevel: ISOLATION_READ_UNCOMMITTED, topics: topicsReq(LATEST) }),
              broker.listOffsets({ isolationLevel: ISOLATION_READ_COMMITTED, topics: topicsReq(LATEST) }),
            ]);
            const index = (r: typeof start): Map<string, bigint> =>
              new Map(r.responses.flatMap((t) => t.partitions.map((p) => [`${t.topic}\u0000${p.partition}`, BigInt(p.offset)] as const)));
            const [s, h, l] = [index(start), index(hwm), index(lso)];
            for (const { topic, partition } of tps) {
              const k = `${topic}\u0000${partition}`;
              const logStartOffset = s.get(k);
              const highWatermark = h.get(k);
              const lastStableOffset = l.get(k);
              if (logStartOffset === undefined || highWatermark === undefined || lastStableOffset === undefined) {
                throw new KafkaRequestError(`broker ${nodeId} did not answer ListOffsets for ${topic}[${partition}]`, { topic, partition, retriable: true });
              }
              partitions.push({ topic, partition, logStartOffset, highWatermark, lastStableOffset });
            }
          }),
        );
        partitions.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
        return { partitions, missingTopics };
      }),
    );
  }

  public async fetchGroupsCommittedOffsets(groupIds: readonly string[]): Promise<Map<string, CommittedPartitionOffset[] | Error>> {
    const result = new Map<string, CommittedPartitionOffset[] | Error>();
    await mapLimit([...new Set(groupIds)], GROUP_CONCURRENCY, async (groupId) => {
      try {
        const answer = await this.onCoordinator(groupId, 4, async (broker, last) => {
          // An empty topic list is sent as null: "all topics this group has committed on", one round trip.
          const raw = await rawRequests.offsetFetch(broker, groupId, []);
          const codes = [raw.errorCode ?? 0, ...raw.responses.flatMap((t) => t.partitions.map((p) => p.errorCode))].filter((c) => c !== 0);
          const first = codes[0];
          if (first !== undefined) {
            const { type, retriable, message } = kafkaErrorOf(first);
            if (!last && COORDINATOR_MOVED.has(type)) return MOVED;
            throw new KafkaRequestError(`Cannot fetch committed offsets of group "${groupId}" on cluster "${this.info.cluster}": the broker answered ${type}: ${message}`, {
              cluster: this.info.cluster,
              mechanism: this.info.mechanism,
              group: groupId,
              type,
              code: first,
              retriable,
            });
          }
          return raw;
        });
        result.set(
          groupId,
          answer.responses.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: p.offset === '-1' ? null : p.offset, metadata: p.metadata || null }))),
        );
      } catch (err) {
        result.set(groupId, toKafkajsKBridgeError(err, { cluster: this.info.cluster, mechanism: this.info.mechanism, operation: `fetch committed offsets of group ${groupId}`, group: groupId }));
      }
    });
    return result;
  }

  public fetchNextRecords(positions: readonly NextRecordRequest[]): Promise<NextRecord[]> {
    return this.guard('fetch next records', async () => {
      const done = new Map<string, NextRecord>();
      interface Cursor extends NextRecordRequest {
        from: bigint;
        alone: boolean;
      }
      let pending: Cursor[] = positions.map((p) => ({ ...p, from: p.offset, alone: false }));
      for (let round = 0; round < MAX_FETCH_ROUNDS && pending.length > 0; round++) {
        const next: Cursor[] = [];
        await this.cluster.addMultipleTargetTopics([...new Set(pending.map((p) => p.topic))]);
        const byLeader = this.partitionsByLeader(pending.filter((p) => !p.alone));
        // A partition whose first batch did not fit gets a request of its own: the first partition of a request
        // always returns at least one whole batch (KIP-74), whatever its size.
        const requests: [number, Cursor[]][] = [
          ...[...byLeader].flatMap(([nodeId, list]) => splitDuplicates(list).map((l) => [nodeId, l] as [number, Cursor[]])),
          ...pending.filter((p) => p.alone).map((p) => [this.leaderOf(p.topic, p.partition), [p]] as [number, Cursor[]]),
        ];
        await Promise.all(
          requests.map(async ([nodeId, cursors]) => {
            const broker = await this.cluster.findBroker({ nodeId });
            const { responses } = await broker.fetch({
              replicaId: -1,
              isolationLevel: ISOLATION_READ_COMMITTED,
              maxWaitTime: 100,
              minBytes: 1,
              maxBytes: 64 * 1024 * 1024,
              topics: groupByTopic(cursors).map(([topic]) => ({
                topic,
                partitions: cursors.filter((c) => c.topic === topic).map((c) => ({ partition: c.partition, fetchOffset: c.from.toString(), maxBytes: PARTITION_FETCH_BYTES })),
              })),
            });
            const data = new Map(responses.flatMap((t) => t.partitions.map((p) => [`${t.topicName}\u0000${p.partition}`, p] as const)));
            for (const c of cursors) {
              const partitionData = data.get(`${c.topic}\u0000${c.partition}`);
              const batch = partitionData ? new KafkajsBatch(c.topic, c.from.toString(), partitionData) : undefined;
              const first = batch?.messages[0];
              const record: NextRecord = { topic: c.topic, partition: c.partition, fromOffset: c.offset, recordOffset: undefined };
              if (first && BigInt(first.offset) < c.endOffset) {
                done.set(cursorKey(c), { ...record, recordOffset: BigInt(first.offset), timestampMs: Number(first.timestamp) });
                continue;
              }
              const seen = batch?.messagesWithinOffset;
              const lastSeen = seen && seen.length > 0 ? BigInt(seen[seen.length - 1]!.offset) : undefined;
              if (first || (lastSeen !== undefined && lastSeen + 1n >= c.endOffset)) {
                done.set(cursorKey(c), { ...record, recordOffset: null });
              } else if (lastSeen !== undefined) {
                next.push({ ...c, from: lastSeen + 1n, alone: false });
              } else {
                next.push({ ...c, alone: true });
              }
            }
          }),
        );
        pending = next;
      }
      return positions.map((p) => done.get(cursorKey(p)) ?? { topic: p.topic, partition: p.partition, fromOffset: p.offset, recordOffset: undefined });
    });
  }

  /** Topics of `topics` that exist (a topic that does not is absent from describe results, never an error). */
  private async presentTopics(topics: readonly string[]): Promise<string[]> {
    const existing = new Set(await this.admin.listTopics());
    return [...new Set(topics)].filter((t) => existing.has(t));
  }

  /** A topic deleted between listing and describing: list again (a few times) instead of failing. */
  private async retryUnknownTopic<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (attempt >= 3 || !NOT_YET.has((err as { type?: string }).type ?? '')) throw err;
        await sleep(100 * attempt);
      }
    }
  }

  /** Run `request` on the group's coordinator, asking again (with backoff) while it answers MOVED. */
  private async onCoordinator<T>(groupId: string, attempts: number, request: (broker: KafkajsBroker, last: boolean) => Promise<T | typeof MOVED>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const broker = await this.cluster.findGroupCoordinator({ groupId });
      const result = await request(broker, attempt >= attempts);
      if (result !== MOVED) return result;
      await sleep(Math.min(100 * 2 ** (attempt - 1), 2_000));
    }
  }

  private leaderOf(topic: string, partition: number): number {
    const meta = this.cluster.findTopicPartitionMetadata(topic).find((p) => p.partitionId === partition);
    if (!meta) throw new KafkaRequestError(`no leader known for ${topic}[${partition}] on cluster "${this.info.cluster}"`, { cluster: this.info.cluster, topic, partition, retriable: true });
    return meta.leader;
  }

  private partitionsByLeader<T extends { topic: string; partition: number }>(tps: T[]): Map<number, T[]> {
    const byLeader = new Map<number, T[]>();
    for (const tp of tps) {
      const leader = this.leaderOf(tp.topic, tp.partition);
      const list = byLeader.get(leader) ?? [];
      list.push(tp);
      byLeader.set(leader, list);
    }
    return byLeader;
  }

  private async withMetadataRetry<T>(fn: () => Promise<T>): Promise<T> {
    // A leader change or a topic deleted between metadata and ListOffsets: refresh and try again.
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (attempt >= 3) throw err;
        await this.cluster.refreshMetadata().catch(() => undefined);
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A fetch request names each partition once; several groups at different positions need separate requests. */
function splitDuplicates<T extends { topic: string; partition: number }>(list: T[]): T[][] {
  const layers: T[][] = [];
  const seen = new Map<string, number>();
  for (const item of list) {
    const k = `${item.topic}\u0000${item.partition}`;
    const layer = seen.get(k) ?? 0;
    seen.set(k, layer + 1);
    (layers[layer] ??= []).push(item);
  }
  return layers;
}

function cursorKey(p: { topic: string; partition: number; offset: bigint }): string {
  return `${p.topic}\u0000${p.partition}\u0000${p.offset}`;
}

function groupByTopic<T extends { topic: string; partition: number }>(tps: T[]): [string, number[]][] {
  const map = new Map<string, number[]>();
  for (const { topic, partition } of tps) {
    const list = map.get(topic) ?? [];
    list.push(partition);
    map.set(topic, list);
  }
  return [...map];
}

function normalizeState(state: string): GroupState {
  const known: GroupState[] = ['Stable', 'Empty', 'PreparingRebalance', 'CompletingRebalance', 'Dead'];
  return (known as string[]).includes(state) ? (state as GroupState) : 'Unknown';
}

function decodeAssignment(protocolType: string, buffer: Buffer | null): { topic: string; partitions: number[] }[] {
  // Members mid-rebalance have an empty assignment; other protocols (connect) use another format.
  if (protocolType !== 'consumer' || !buffer || buffer.length === 0) return [];
  try {
    const decoded = AssignerProtocol.MemberAssignment.decode(buffer);
    if (!decoded) return [];
    return Object.entries(decoded.assignment).map(([topic, partitions]) => ({ topic, partitions: [...partitions] }));
  } catch {
    return [];
  }
}

async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let index = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (index < items.length) {
      const item = items[index++] as T;
      await fn(item);
    }
  });
  await Promise.all(workers);
}
