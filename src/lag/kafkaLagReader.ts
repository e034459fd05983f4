import { createRequire } from 'node:module';
import { AssignerProtocol, type Admin, type Kafka } from 'kafkajs';
import type { LagReader, NextRecordRequest } from './port';
import type { CommittedOffset, GroupDescription, GroupState, NextRecord, PartitionOffsets } from './types';
import { KafkaRequestError, describeError } from '../errors';

// kafkajs's admin can only list offsets with the cluster's isolation level (unset → the protocol default
// READ_COMMITTED, so `admin.fetchTopicOffsets` actually returns the LSO) and has no record fetch. We use the
// same Cluster class kafkajs builds for its own clients, created through the Kafka instance so SASL/TLS
// settings from the factory apply, and talk to the partition leaders directly.
const require = createRequire(import.meta.url);
// Batch applies kafkajs's own control-record and aborted-transaction filtering to one fetch response.
const Batch = require('kafkajs/src/consumer/batch') as new (topic: string, fetchedOffset: string, data: unknown) => {
  messages: { offset: string; timestamp: string }[];
  messagesWithinOffset: { offset: string }[];
};

const ISOLATION_READ_UNCOMMITTED = 0;
const ISOLATION_READ_COMMITTED = 1;
const LATEST = -1;
const EARLIEST = -2;

interface Broker {
  listOffsets(req: { isolationLevel: number; topics: { topic: string; partitions: { partition: number; timestamp: number }[] }[] }): Promise<{
    responses: { topic: string; partitions: { partition: number; offset: string }[] }[];
  }>;
  offsetCommit(req: { groupId: string; groupGenerationId: number; memberId: string; topics: { topic: string; partitions: { partition: number; offset: string }[] }[] }): Promise<unknown>;
  offsetFetch(req: { groupId: string; topics: never[] }): Promise<{
    responses: { topic: string; partitions: { partition: number; offset: string }[] }[];
  }>;
  fetch(req: {
    replicaId?: number;
    isolationLevel: number;
    maxWaitTime: number;
    minBytes: number;
    maxBytes: number;
    topics: { topic: string; partitions: { partition: number; fetchOffset: string; maxBytes: number }[] }[];
  }): Promise<{ responses: { topicName: string; partitions: { partition: number }[] }[] }>;
}

/** The part of kafkajs's internal Cluster this module (and its benchmark) uses. */
export type KafkaCluster = Cluster;

interface Cluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  refreshMetadata(): Promise<void>;
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  findTopicPartitionMetadata(topic: string): { partitionId: number; leader: number }[];
  findBroker(args: { nodeId: string | number }): Promise<Broker>;
  findGroupCoordinator(args: { groupId: string }): Promise<Broker>;
}

/**
 * The kafkajs Cluster behind a Kafka instance (same SASL/TLS settings), for direct per-broker requests.
 * Exported for benchmarks and tests that need raw protocol calls (e.g. OffsetCommit for an empty group).
 *
 * @example
 * ```ts
 * const cluster = createKafkaCluster(kafka);
 * await cluster.connect();
 * ```
 */
export function createKafkaCluster(kafka: Kafka): KafkaCluster {
  return createCluster(kafka);
}

function createCluster(kafka: Kafka): Cluster {
  const symbol = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  const create = symbol ? (kafka as unknown as Record<symbol, unknown>)[symbol] : undefined;
  if (typeof create !== 'function') {
    throw new KafkaRequestError('this kafkajs version does not expose its cluster factory; expected kafkajs 2.2.x');
  }
  return (create as (o: object) => Cluster)({ allowAutoTopicCreation: false });
}

export interface KafkaLagReaderOptions {
  /** Cluster name for results and metrics. */
  cluster: string;
  /** Bytes asked per partition when fetching the next record (the first batch in a request is always whole). */
  partitionFetchBytes?: number;
  /** Rounds of fetching past control batches / oversize batches before giving up on a time lag. */
  maxFetchRounds?: number;
  /** OffsetFetch requests in flight at once. */
  concurrency?: number;
}

/**
 * {@link LagReader} over kafkajs. Requests are batched per broker: DescribeGroups per coordinator, one
 * OffsetFetch per group (all groups in parallel, up to `concurrency`), three ListOffsets per partition leader
 * (earliest, latest read_uncommitted = high watermark, latest read_committed = last stable offset), and one
 * read_committed Fetch per leader per round for the next record of all lagging partitions.
 *
 * @example
 * ```ts
 * const reader = await KafkaLagReader.connect(kafka, { cluster: 'source' });
 * try { console.log(await computeLag(reader, { groups: ['orders'] })); } finally { await reader.close(); }
 * ```
 */
export class KafkaLagReader implements LagReader {
  public readonly cluster: string;
  private readonly partitionFetchBytes: number;
  private readonly maxFetchRounds: number;
  private readonly concurrency: number;

  private constructor(
    private readonly admin: Admin,
    private readonly kafkaCluster: Cluster,
    options: KafkaLagReaderOptions,
  ) {
    this.cluster = options.cluster;
    this.partitionFetchBytes = options.partitionFetchBytes ?? 64 * 1024;
    this.maxFetchRounds = options.maxFetchRounds ?? 5;
    this.concurrency = options.concurrency ?? 32;
  }

  /** Connect an admin client and a cluster handle; call {@link close} when done. */
  public static async connect(kafka: Kafka, options: KafkaLagReaderOptions): Promise<KafkaLagReader> {
    const admin = kafka.admin();
    const cluster = createCluster(kafka);
    try {
      await Promise.all([admin.connect(), cluster.connect()]);
    } catch (err) {
      await Promise.allSettled([admin.disconnect(), cluster.disconnect()]);
      throw err;
    }
    return new KafkaLagReader(admin, cluster, options);
  }

  public async close(): Promise<void> {
    await Promise.allSettled([this.admin.disconnect(), this.kafkaCluster.disconnect()]);
  }

  public async listGroups(): Promise<{ groupId: string; protocolType: string }[]> {
    const { groups } = await this.admin.listGroups();
    return groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType }));
  }

  public async describeGroups(groupIds: string[]): Promise<GroupDescription[]> {
    const { groups } = await this.admin.describeGroups(groupIds);
    return groups.map((g) => ({
      groupId: g.groupId,
      state: normalizeState(g.state),
      protocolType: g.protocolType,
      members: g.members.map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        host: m.clientHost,
        assignment: decodeAssignment(g.protocolType, m.memberAssignment),
      })),
    }));
  }

  public async fetchCommittedOffsets(groupIds: string[]): Promise<Map<string, CommittedOffset[] | Error>> {
    const result = new Map<string, CommittedOffset[] | Error>();
    await mapLimit(groupIds, this.concurrency, async (groupId) => {
      try {
        const coordinator = await this.kafkaCluster.findGroupCoordinator({ groupId });
        // An empty topic list is sent as null: "all topics this group has committed on", one round trip.
        const { responses } = await coordinator.offsetFetch({ groupId, topics: [] });
        result.set(
          groupId,
          responses.flatMap((t) =>
            t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: p.offset === '-1' ? null : BigInt(p.offset) })),
          ),
        );
      } catch (err) {
        result.set(groupId, new KafkaRequestError(`cannot fetch committed offsets of group ${groupId}: ${describeError(err)}`, { group: groupId, cause: err, retriable: true }));
      }
    });
    return result;
  }

  public async fetchPartitionOffsets(topics: string[]): Promise<{ partitions: PartitionOffsets[]; missingTopics: string[] }> {
    return this.withMetadataRetry(async () => {
      const existing = new Set(await this.admin.listTopics());
      const present = topics.filter((t) => existing.has(t));
      const missingTopics = topics.filter((t) => !existing.has(t));
      if (present.length === 0) return { partitions: [], missingTopics };
      await this.kafkaCluster.addMultipleTargetTopics(present);
      const byLeader = this.partitionsByLeader(present.flatMap((t) => this.kafkaCluster.findTopicPartitionMetadata(t).map((p) => ({ topic: t, partition: p.partitionId }))));
      const partitions: PartitionOffsets[] = [];
      await Promise.all(
        [...byLeader].map(async ([nodeId, tps]) => {
          const broker = await this.kafkaCluster.findBroker({ nodeId });
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
    });
  }

  public async fetchNextRecords(positions: NextRecordRequest[]): Promise<NextRecord[]> {
    const done = new Map<string, NextRecord>();
    interface Cursor extends NextRecordRequest {
      from: bigint;
      alone: boolean;
    }
    let pending: Cursor[] = positions.map((p) => ({ ...p, from: p.offset, alone: false }));
    for (let round = 0; round < this.maxFetchRounds && pending.length > 0; round++) {
      const next: Cursor[] = [];
      const byLeader = this.partitionsByLeader(pending.filter((p) => !p.alone));
      // A partition whose first batch did not fit gets a request of its own: the first partition of a request
      // always returns at least one whole batch (KIP-74), whatever its size.
      const requests: [number, Cursor[]][] = [
        ...[...byLeader].flatMap(([nodeId, list]) => splitDuplicates(list).map((l) => [nodeId, l] as [number, Cursor[]])),
        ...pending.filter((p) => p.alone).map((p) => [this.leaderOf(p.topic, p.partition), [p]] as [number, Cursor[]]),
      ];
      await Promise.all(
        requests.map(async ([nodeId, cursors]) => {
          const broker = await this.kafkaCluster.findBroker({ nodeId });
          const { responses } = await broker.fetch({
            replicaId: -1,
            isolationLevel: ISOLATION_READ_COMMITTED,
            maxWaitTime: 100,
            minBytes: 1,
            maxBytes: 64 * 1024 * 1024,
            topics: groupByTopic(cursors).map(([topic]) => ({
              topic,
              partitions: cursors
                .filter((c) => c.topic === topic)
                .map((c) => ({ partition: c.partition, fetchOffset: c.from.toString(), maxBytes: this.partitionFetchBytes })),
            })),
          });
          const data = new Map(responses.flatMap((t) => t.partitions.map((p) => [`${t.topicName}\u0000${p.partition}`, p] as const)));
          for (const c of cursors) {
            const partitionData = data.get(`${c.topic}\u0000${c.partition}`);
            const batch = partitionData ? new Batch(c.topic, c.from.toString(), partitionData) : undefined;
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
  }

  private leaderOf(topic: string, partition: number): number {
    const meta = this.kafkaCluster.findTopicPartitionMetadata(topic).find((p) => p.partitionId === partition);
    if (!meta) throw new KafkaRequestError(`no leader known for ${topic}[${partition}]`, { topic, partition, retriable: true });
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
    // A leader change or a topic deleted between metadata and ListOffsets: refresh once and try again.
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (attempt >= 3) {
          throw new KafkaRequestError(`cannot list offsets on ${this.cluster}: ${describeError(err)}`, { cluster: this.cluster, cause: err, retriable: true });
        }
        await this.kafkaCluster.refreshMetadata().catch(() => undefined);
      }
    }
  }
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

function decodeAssignment(protocolType: string, buffer: Buffer): { topic: string; partitions: number[] }[] {
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

async function mapLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let index = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (index < items.length) {
      const item = items[index++] as T;
      await fn(item);
    }
  });
  await Promise.all(workers);
}
