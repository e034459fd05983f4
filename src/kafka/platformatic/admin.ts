import { Admin, ConfigResourceTypes, Consumer, FetchIsolationLevels, ListOffsetTimestamps, protocolErrors, protocolErrorsCodesById, type ClusterMetadata } from '@platformatic/kafka';
import { randomUUID } from 'node:crypto';
import { KafkaRequestError, WaitTimeoutError } from '../../errors';
import { COORDINATOR_MOVED, GROUP_ID_NOT_FOUND, groupNotEmptyError, missingPartitionsError, normaliseGroupOffsets, offsetCommitError, type PartitionCommitAnswer } from '../groupOffsets';
import type {
  CommittedPartitionOffset,
  GroupDescription,
  GroupState,
  KafkaAdmin,
  NextRecord,
  NextRecordRequest,
  PartitionOffsets,
  TopicDescription,
  TopicPartitionOffsets,
} from '../port';
import type { AdapterContext } from './client';
import { protocolErrorOf } from './errors';
import { fetchFrom } from './fetcher';
import { observeConnections, platformaticBaseOptions } from './options';
import { byLeader, findCoordinator, groupByTopic, offsetCommitTopics, responseOf, sendTo, sleep, tpKey } from './raw';

const LATEST = ListOffsetTimestamps.LATEST;
const EARLIEST = ListOffsetTimestamps.EARLIEST;
const TOPIC_ALREADY_EXISTS = 36;
/** DescribeConfigs config source of an entry set on the topic itself. */
const DYNAMIC_TOPIC_CONFIG = 1;
const KNOWN_STATES: GroupState[] = ['Stable', 'Empty', 'PreparingRebalance', 'CompletingRebalance', 'Dead'];

function namedError(code: number): { type: string; retriable: boolean; message: string } {
  const id = (protocolErrorsCodesById as Record<number, string>)[code];
  const known = id === undefined ? undefined : (protocolErrors as Record<string, { id: string; canRetry: boolean; message: string }>)[id];
  return known ? { type: known.id, retriable: known.canRetry, message: known.message } : { type: `ERROR_CODE_${code}`, retriable: false, message: `broker error code ${code}` };
}

function normalizeState(state: string): GroupState {
  return (KNOWN_STATES as string[]).includes(state) ? (state as GroupState) : 'Unknown';
}

interface ListOffsetsAnswer {
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number; timestamp: bigint; offset: bigint }> }>;
}

interface OffsetFetchAnswer {
  groups: Array<{ groupId: string; errorCode: number; topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; committedOffset: bigint; metadata: string | null; errorCode: number }> }> }>;
}

class PlatformaticAdmin implements KafkaAdmin {
  /** Fetches for `fetchNextRecords` go through a consumer's Fetch (never joined to any group). */
  private fetcher: Consumer | undefined;

  public constructor(
    private readonly ctx: AdapterContext,
    private readonly admin: Admin,
  ) {}

  private async run<T>(operation: string, fn: () => Promise<T>, extra: Record<string, unknown> = {}): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.ctx.fail(err, operation, extra);
    }
  }

  public listTopics(): Promise<string[]> {
    return this.run('list topics', () => this.admin.listTopics());
  }

  public createTopics(topics: readonly import('../port').TopicSpec[], { timeoutMs = 30_000 }: { timeoutMs?: number } = {}): Promise<boolean> {
    return this.run('create topics', async () => {
      if (topics.length === 0) return false;
      const metadata = await this.admin.metadata({ topics: [] });
      const request = topics.map((t) => ({
        name: t.topic,
        numPartitions: t.numPartitions ?? -1,
        replicationFactor: t.replicationFactor ?? -1,
        assignments: [],
        configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
      }));
      let answer: { topics: Array<{ name: string; errorCode: number; errorMessage?: string | null }> };
      try {
        answer = await sendTo(this.admin, metadata.controllerId >= 0 ? metadata.controllerId : ([...metadata.brokers.keys()][0] as number), 'CreateTopics', request, timeoutMs, false);
      } catch (err) {
        const partial = responseOf<typeof answer>(err);
        if (partial === undefined || partial.topics.some((t) => t.errorCode !== 0 && t.errorCode !== TOPIC_ALREADY_EXISTS)) throw err;
        answer = partial;
      }
      const created = answer.topics.some((t) => t.errorCode === 0);
      await this.waitForLeaders(topics.map((t) => ({ topic: t.topic, partitions: t.numPartitions ?? 1 })), timeoutMs);
      return created;
    });
  }

  /** Every partition of every topic has a leader in a fresh metadata answer (a KRaft broker's cache lags the controller). */
  private async waitForLeaders(topics: ReadonlyArray<{ topic: string; partitions: number }>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no metadata yet';
    for (;;) {
      try {
        const metadata = await this.admin.metadata({ topics: topics.map((t) => t.topic), forceUpdate: true });
        const pending = topics.filter(({ topic, partitions }) => {
          const found = metadata.topics.get(topic);
          return found === undefined || found.partitionsCount < Math.max(partitions, 1) || found.partitions.some((p) => p === undefined || p.leader < 0);
        });
        if (pending.length === 0) return;
        last = `no leader yet for ${pending.map((t) => t.topic).join(', ')}`;
      } catch (err) {
        last = (err as Error).message;
      }
      if (Date.now() > deadline) {
        throw new WaitTimeoutError(`Topics ${topics.map((t) => t.topic).join(', ')} on cluster "${this.ctx.connection.info.cluster}" have no partition leaders after ${timeoutMs} ms (${last}); expected every partition to be led`, { topic: topics[0]?.topic, cluster: this.ctx.connection.info.cluster });
      }
      await sleep(100);
    }
  }

  public deleteTopics(topics: readonly string[]): Promise<void> {
    return this.run('delete topics', async () => {
      if (topics.length > 0) await this.admin.deleteTopics({ topics: [...topics] });
    });
  }

  /** Fresh metadata of the topics that exist (the library's metadata fails as a whole on one unknown topic). */
  private async existingMetadata(topics: readonly string[]): Promise<{ metadata: ClusterMetadata; present: string[]; missing: string[] }> {
    const existing = new Set(await this.admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    const missing = topics.filter((t) => !existing.has(t));
    const metadata = await this.admin.metadata({ topics: present, forceUpdate: true });
    return { metadata, present, missing };
  }

  public describeTopics(topics: readonly string[]): Promise<TopicDescription[]> {
    return this.run('describe topics', async () => {
      const { metadata, present } = await this.existingMetadata(topics);
      return present.flatMap((topic) => {
        const found = metadata.topics.get(topic);
        if (found === undefined) return [];
        return [{ topic, partitions: found.partitions.map((p, partition) => ({ partition, leader: p.leader, replicas: [...p.replicas], isr: [...p.isr] })) }];
      });
    });
  }

  public describeTopicConfigs(topics: readonly string[], options: { explicitOnly?: boolean } = {}): Promise<Map<string, Record<string, string>>> {
    return this.run('describe topic configs', async () => {
      const existing = new Set(await this.admin.listTopics());
      const present = topics.filter((t) => existing.has(t));
      const out = new Map<string, Record<string, string>>();
      if (present.length === 0) return out;
      const described = await this.admin.describeConfigs({ resources: present.map((name) => ({ resourceType: ConfigResourceTypes.TOPIC, resourceName: name, configurationKeys: null })) });
      for (const resource of described) {
        const entries: Record<string, string> = {};
        for (const c of resource.configs) {
          if (c.value === null || c.value === undefined) continue;
          if (options.explicitOnly === true && c.configSource !== DYNAMIC_TOPIC_CONFIG) continue;
          entries[c.name] = c.value;
        }
        out.set(resource.resourceName, entries);
      }
      return out;
    });
  }

  /** ListOffsets for `tps` at `timestamp`, one request per leader: offset (and timestamp) per `tpKey`. */
  private async listOffsets(metadata: ClusterMetadata, tps: ReadonlyArray<{ topic: string; partition: number }>, timestamp: bigint, isolation: number): Promise<Map<string, { offset: bigint; timestamp: bigint }>> {
    const out = new Map<string, { offset: bigint; timestamp: bigint }>();
    await Promise.all(
      [...byLeader(metadata, tps)].map(async ([leader, list]) => {
        const topics = groupByTopic(list).map(([name, ps]) => ({ name, partitions: ps.map((p) => ({ partitionIndex: p.partition, currentLeaderEpoch: -1, timestamp })) }));
        const answer = await sendTo<ListOffsetsAnswer>(this.admin, leader, 'ListOffsets', -1, isolation, topics);
        for (const t of answer.topics) for (const p of t.partitions) out.set(tpKey(t.name, p.partitionIndex), { offset: p.offset, timestamp: p.timestamp });
      }),
    );
    return out;
  }

  /** Run `fn` again with fresh metadata after a leader move (the answer names a stale leader). */
  private async withFreshMetadata<T>(topics: readonly string[], fn: (metadata: ClusterMetadata) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const metadata = await this.admin.metadata({ topics: [...topics], forceUpdate: attempt > 1 });
      try {
        return await fn(metadata);
      } catch (err) {
        const protocol = protocolErrorOf(err);
        if (attempt >= 4 || protocol === undefined || !protocol.retriable) throw err;
        await sleep(100 * attempt);
      }
    }
  }

  private partitionsOf(metadata: ClusterMetadata, topic: string): Array<{ topic: string; partition: number }> {
    const found = metadata.topics.get(topic);
    return found ? Array.from({ length: found.partitionsCount }, (_, partition) => ({ topic, partition })) : [];
  }

  public fetchTopicOffsets(topic: string, options: { readUncommitted?: boolean } = {}): Promise<TopicPartitionOffsets[]> {
    return this.run(`fetch offsets of ${topic}`, () =>
      this.withFreshMetadata([topic], async (metadata) => {
        const tps = this.partitionsOf(metadata, topic);
        const isolation = options.readUncommitted ? FetchIsolationLevels.READ_UNCOMMITTED : FetchIsolationLevels.READ_COMMITTED;
        const [low, high] = await Promise.all([this.listOffsets(metadata, tps, EARLIEST, FetchIsolationLevels.READ_UNCOMMITTED), this.listOffsets(metadata, tps, LATEST, isolation)]);
        return tps.map(({ partition }) => ({ partition, low: String(low.get(tpKey(topic, partition))?.offset ?? 0n), high: String(high.get(tpKey(topic, partition))?.offset ?? 0n) }));
      }),
      { topic },
    );
  }

  public fetchTopicOffsetsByTimestamp(topic: string, timestampMs: number): Promise<Array<{ partition: number; offset: string }>> {
    return this.run(`fetch offsets of ${topic} by timestamp`, () =>
      this.withFreshMetadata([topic], async (metadata) => {
        const tps = this.partitionsOf(metadata, topic);
        const [at, end] = await Promise.all([this.listOffsets(metadata, tps, BigInt(timestampMs), FetchIsolationLevels.READ_COMMITTED), this.listOffsets(metadata, tps, LATEST, FetchIsolationLevels.READ_COMMITTED)]);
        return tps.map(({ partition }) => {
          const found = at.get(tpKey(topic, partition))?.offset ?? -1n;
          return { partition, offset: String(found >= 0n ? found : (end.get(tpKey(topic, partition))?.offset ?? 0n)) };
        });
      }),
      { topic },
    );
  }

  /** OffsetFetch of one group on its coordinator (all topics when `topics` is null), retried while the coordinator moves. */
  private async offsetFetch(groupId: string, topics: Array<{ name: string; partitionIndexes: number[] }> | null): Promise<CommittedPartitionOffset[]> {
    for (let attempt = 1; ; attempt++) {
      const coordinator = await findCoordinator(this.admin, groupId);
      let answer: OffsetFetchAnswer;
      try {
        answer = await sendTo<OffsetFetchAnswer>(this.admin, coordinator, 'OffsetFetch', [{ groupId, memberId: null, memberEpoch: -1, topics }], false);
      } catch (err) {
        const protocol = protocolErrorOf(err);
        if (attempt < 8 && protocol !== undefined && (COORDINATOR_MOVED.has(protocol.type) || protocol.retriable)) {
          await sleep(Math.min(100 * 2 ** (attempt - 1), 2_000));
          continue;
        }
        throw err;
      }
      // OffsetFetch before v8 answers for one group without the groups array.
      const groups = answer.groups ?? [{ groupId, errorCode: 0, topics: (answer as unknown as { topics: OffsetFetchAnswer['groups'][number]['topics'] }).topics }];
      const group = groups.find((g) => g.groupId === groupId) ?? groups[0];
      return (group?.topics ?? [])
        .flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset < 0n ? null : String(p.committedOffset), metadata: p.metadata === '' ? null : (p.metadata ?? null) })))
        .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    }
  }

  public fetchCommittedOffsets(groupId: string, topics?: readonly string[]): Promise<CommittedPartitionOffset[]> {
    return this.run(`fetch committed offsets of group ${groupId}`, async () => {
      if (topics === undefined) return this.offsetFetch(groupId, null);
      const { metadata, present } = await this.existingMetadata(topics);
      if (present.length === 0) return [];
      const request = present.map((name) => ({ name, partitionIndexes: this.partitionsOf(metadata, name).map((p) => p.partition) }));
      const answers = new Map((await this.offsetFetch(groupId, request)).map((a) => [tpKey(a.topic, a.partition), a]));
      return request.flatMap(({ name, partitionIndexes }) => partitionIndexes.map((partition) => answers.get(tpKey(name, partition)) ?? { topic: name, partition, offset: null, metadata: null }));
    }, { group: groupId });
  }

  public listGroups(): Promise<Array<{ groupId: string; protocolType: string }>> {
    return this.run('list groups', async () => [...(await this.admin.listGroups()).values()].map((g) => ({ groupId: g.id, protocolType: g.protocolType })));
  }

  public describeGroups(groupIds: readonly string[]): Promise<GroupDescription[]> {
    return this.run('describe groups', async () => {
      if (groupIds.length === 0) return [];
      const describeOne = async (groupId: string): Promise<GroupDescription> => {
        try {
          const groups = await this.admin.describeGroups({ groups: [groupId] });
          return this.toGroupDescription(groupId, groups.get(groupId));
        } catch (err) {
          // Kafka 4's coordinator answers GROUP_ID_NOT_FOUND for a group it never saw (3.x: state Dead).
          if (protocolErrorOf(err)?.code === GROUP_ID_NOT_FOUND) return { groupId, state: 'Dead', protocolType: '', members: [] };
          throw err;
        }
      };
      try {
        const groups = await this.admin.describeGroups({ groups: [...groupIds] });
        return groupIds.map((groupId) => this.toGroupDescription(groupId, groups.get(groupId)));
      } catch {
        return Promise.all(groupIds.map(describeOne));
      }
    });
  }

  private toGroupDescription(groupId: string, group: Awaited<ReturnType<Admin['describeGroups']>> extends Map<string, infer G> ? G | undefined : never): GroupDescription {
    if (group === undefined) return { groupId, state: 'Dead', protocolType: '', members: [] };
    return {
      groupId,
      state: normalizeState(group.state),
      protocolType: group.protocolType,
      members: [...group.members.values()].map((m) => ({
        memberId: m.id,
        clientId: m.clientId,
        host: m.clientHost,
        assignment: group.protocolType === 'consumer' && m.assignments ? [...m.assignments.values()].map((a) => ({ topic: a.topic, partitions: [...a.partitions] })) : [],
      })),
    };
  }

  public deleteGroups(groupIds: readonly string[]): Promise<void> {
    return this.run('delete groups', async () => {
      if (groupIds.length > 0) await this.admin.deleteGroups({ groups: [...groupIds] });
    });
  }

  public describeCluster(): Promise<{ clusterId: string; controller: number | null; brokers: Array<{ nodeId: number; host: string; port: number }> }> {
    return this.run('describe cluster', async () => {
      const metadata = await this.admin.metadata({ topics: [], forceUpdate: true });
      return {
        clusterId: metadata.id,
        controller: metadata.controllerId >= 0 ? metadata.controllerId : null,
        brokers: [...metadata.brokers].map(([nodeId, b]) => ({ nodeId, host: b.host, port: b.port })).sort((a, b) => a.nodeId - b.nodeId),
      };
    });
  }

  public commitGroupOffsets(groupId: string, topics: readonly import('../port').TopicOffsets[], options: import('../port').CommitGroupOffsetsOptions = {}): Promise<import('../port').CommitGroupOffsetsResult> {
    const wanted = normaliseGroupOffsets(groupId, topics);
    const cluster = this.ctx.connection.info.cluster;
    return this.run(`commit offsets of group ${groupId}`, async () => {
      const attempts = Math.max(1, options.coordinatorAttempts ?? 8);
      // The coordinator can move or still be loading the group: ask again, with backoff. Every request is safe to repeat.
      const onCoordinator = async <T>(request: (coordinator: number, last: boolean) => Promise<T | undefined>): Promise<T> => {
        for (let attempt = 1; ; attempt++) {
          const coordinator = await findCoordinator(this.admin, groupId);
          const result = await request(coordinator, attempt >= attempts);
          if (result !== undefined) return result;
          await sleep(Math.min(100 * 2 ** (attempt - 1), 2_000));
        }
      };
      const { state, members } = await onCoordinator(async (coordinator, last) => {
        let answer: { groups: Array<{ groupId: string; errorCode: number; groupState: string; members: unknown[] }> };
        try {
          answer = await sendTo(this.admin, coordinator, 'DescribeGroups', [groupId], false);
        } catch (err) {
          const partial = responseOf<typeof answer>(err);
          if (partial === undefined) throw err;
          answer = partial;
        }
        const group = answer.groups.find((g) => g.groupId === groupId);
        if (group === undefined || group.errorCode === GROUP_ID_NOT_FOUND) return { state: 'Dead', members: 0 };
        if (group.errorCode !== 0) {
          const { type, retriable, message } = namedError(group.errorCode);
          if (!last && COORDINATOR_MOVED.has(type)) return undefined;
          throw new KafkaRequestError(`Cannot describe group "${groupId}" on cluster "${cluster}" before committing its offsets: the broker answered ${type}: ${message}. Nothing was committed`, { cluster, group: groupId, type, code: group.errorCode, retriable });
        }
        return { state: group.groupState, members: group.members.length };
      });
      if (members > 0) throw groupNotEmptyError(groupId, cluster, members, state);
      if (wanted.length > 0) {
        const existing = new Set(await this.admin.listTopics());
        const present = wanted.map((t) => t.topic).filter((t) => existing.has(t));
        const metadata = present.length > 0 ? await this.admin.metadata({ topics: present, forceUpdate: true }) : undefined;
        const found = new Map(present.map((t) => [t, new Set(Array.from({ length: metadata?.topics.get(t)?.partitionsCount ?? 0 }, (_, p) => p))] as const));
        const missing = missingPartitionsError(groupId, cluster, wanted, found, () => 'not in the topic list');
        if (missing) throw missing;
      }
      if (options.dryRun === true || wanted.length === 0) return { groupId, state, committed: [] };
      await options.beforeCommit?.();
      return onCoordinator(async (coordinator, last) => {
        const request = offsetCommitTopics(wanted.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: p.offset }))));
        let answer: { topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number }> }> };
        try {
          answer = await sendTo(this.admin, coordinator, 'OffsetCommit', groupId, -1, '', null, request);
        } catch (err) {
          const partial = responseOf<typeof answer>(err);
          if (partial === undefined) throw err;
          answer = partial;
        }
        const offsetOf = new Map(wanted.flatMap((t) => t.partitions.map((p) => [tpKey(t.topic, p.partition), p.offset] as const)));
        const answers: PartitionCommitAnswer[] = answer.topics.flatMap((t) =>
          t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: offsetOf.get(tpKey(t.name, p.partitionIndex)) ?? '?', errorCode: p.errorCode })),
        );
        // A partition the broker did not answer for was not committed: never report it as done.
        for (const t of wanted) {
          for (const p of t.partitions) {
            if (!answers.some((a) => a.topic === t.topic && a.partition === p.partition)) answers.push({ topic: t.topic, partition: p.partition, offset: p.offset, errorCode: -1 });
          }
        }
        if (!last && answers.some((a) => a.errorCode > 0 && COORDINATOR_MOVED.has(namedError(a.errorCode).type))) return undefined;
        const error = offsetCommitError(groupId, cluster, answers, namedError);
        if (error) throw error;
        return { groupId, state, committed: wanted.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: p.offset }))) };
      });
    }, { group: groupId });
  }

  public fetchPartitionOffsets(topics: readonly string[]): Promise<{ partitions: PartitionOffsets[]; missingTopics: string[] }> {
    return this.run('list partition offsets', async () => {
      const existing = new Set(await this.admin.listTopics());
      const present = topics.filter((t) => existing.has(t));
      const missingTopics = topics.filter((t) => !existing.has(t));
      if (present.length === 0) return { partitions: [], missingTopics };
      return this.withFreshMetadata(present, async (metadata) => {
        const tps = present.flatMap((t) => this.partitionsOf(metadata, t));
        const [start, hwm, lso] = await Promise.all([
          this.listOffsets(metadata, tps, EARLIEST, FetchIsolationLevels.READ_UNCOMMITTED),
          this.listOffsets(metadata, tps, LATEST, FetchIsolationLevels.READ_UNCOMMITTED),
          this.listOffsets(metadata, tps, LATEST, FetchIsolationLevels.READ_COMMITTED),
        ]);
        const partitions = tps.map(({ topic, partition }) => {
          const k = tpKey(topic, partition);
          const [s, h, l] = [start.get(k), hwm.get(k), lso.get(k)];
          if (s === undefined || h === undefined || l === undefined) throw new KafkaRequestError(`no ListOffsets answer for ${topic}[${partition}] on cluster "${this.ctx.connection.info.cluster}"`, { topic, partition, retriable: true });
          return { topic, partition, logStartOffset: s.offset, highWatermark: h.offset, lastStableOffset: l.offset };
        });
        partitions.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
        return { partitions, missingTopics };
      });
    });
  }

  public async fetchGroupsCommittedOffsets(groupIds: readonly string[]): Promise<Map<string, CommittedPartitionOffset[] | Error>> {
    const result = new Map<string, CommittedPartitionOffset[] | Error>();
    let index = 0;
    const worker = async (): Promise<void> => {
      while (index < groupIds.length) {
        const groupId = groupIds[index++] as string;
        try {
          result.set(groupId, await this.offsetFetch(groupId, null));
        } catch (err) {
          result.set(groupId, this.ctx.fail(err, `fetch committed offsets of group ${groupId}`, { group: groupId }));
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(32, groupIds.length) }, worker));
    return new Map(groupIds.map((g) => [g, result.get(g) as CommittedPartitionOffset[] | Error]));
  }

  public fetchNextRecords(positions: readonly NextRecordRequest[]): Promise<NextRecord[]> {
    return this.run('fetch next records', async () => {
      const done = new Map<string, NextRecord>();
      const key = (p: { topic: string; partition: number; offset: bigint }): string => `${tpKey(p.topic, p.partition)}\u0000${p.offset}`;
      if (positions.length === 0) return [];
      const topics = [...new Set(positions.map((p) => p.topic))];
      if (this.fetcher === undefined) this.fetcher = new Consumer({ ...platformaticBaseOptions(this.ctx.connection), groupId: `kbridge-lag-${randomUUID()}` });
      const fetcher = this.fetcher;
      fetcher.topics.trackAll(...topics);
      const metadata = await fetcher.metadata({ topics, forceUpdate: true });
      interface Cursor extends NextRecordRequest {
        from: bigint;
        alone: boolean;
      }
      let pending: Cursor[] = positions.map((p) => ({ ...p, from: p.offset, alone: false }));
      for (let round = 0; round < 5 && pending.length > 0; round++) {
        const next: Cursor[] = [];
        // A fetch names each partition once: several positions on one partition go in separate requests; a
        // position whose first batch did not fit goes alone with room for a whole large batch.
        const layers: Cursor[][] = [];
        const seen = new Map<string, number>();
        for (const c of pending.filter((p) => !p.alone)) {
          const k = tpKey(c.topic, c.partition);
          const layer = seen.get(k) ?? 0;
          seen.set(k, layer + 1);
          (layers[layer] ??= []).push(c);
        }
        const requests: Array<readonly [number, Cursor[], boolean]> = [
          ...layers.flatMap((layer) => [...byLeader(metadata, layer)].map(([leader, list]) => [leader, list, false] as const)),
          ...pending.filter((p) => p.alone).flatMap((c) => [...byLeader(metadata, [c])].map(([leader, list]) => [leader, list, true] as const)),
        ];
        await Promise.all(
          requests.map(async ([leader, cursors, alone]) => {
            let answers: Awaited<ReturnType<typeof fetchFrom>>;
            try {
              answers = await fetchFrom(fetcher, leader, metadata, cursors.map((c) => ({ topic: c.topic, partition: c.partition, offset: c.from })), { readCommitted: true, maxWaitMs: 100, partitionMaxBytes: alone ? 16 * 1024 * 1024 : 64 * 1024 });
            } catch (err) {
              // One partition's error (a position below the log start, a leader move) fails its whole request: those
              // positions stay undetermined (`recordOffset` undefined), the others go on.
              this.ctx.log.debug(`fetch of next records from broker ${leader} failed: ${(err as Error).message}`);
              return;
            }
            for (const c of cursors) {
              const answer = answers.get(tpKey(c.topic, c.partition));
              const record: NextRecord = { topic: c.topic, partition: c.partition, fromOffset: c.offset, recordOffset: undefined };
              const first = answer?.records[0];
              if (first && first.offset < c.endOffset) done.set(key(c), { ...record, recordOffset: first.offset, timestampMs: first.timestamp });
              else if (first || (answer !== undefined && answer.progressed && answer.nextOffset >= c.endOffset)) done.set(key(c), { ...record, recordOffset: null });
              else if (answer !== undefined && answer.progressed) next.push({ ...c, from: answer.nextOffset, alone: false });
              else if (!alone) next.push({ ...c, alone: true });
            }
          }),
        );
        pending = next;
      }
      return positions.map((p) => done.get(key(p)) ?? { topic: p.topic, partition: p.partition, fromOffset: p.offset, recordOffset: undefined });
    });
  }

  public async close(): Promise<void> {
    await Promise.allSettled([this.admin.close(), this.fetcher?.close(true)]);
  }
}

/** A connected admin of the port. */
export async function createPlatformaticAdmin(ctx: AdapterContext): Promise<KafkaAdmin> {
  const admin = new Admin(platformaticBaseOptions(ctx.connection));
  observeConnections(admin, ctx.log);
  try {
    await admin.metadata({ topics: [] });
  } catch (err) {
    await admin.close().catch(() => undefined);
    throw await ctx.failConnect(err, 'connect admin');
  }
  return new PlatformaticAdmin(ctx, admin);
}
