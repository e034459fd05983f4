import { FindCoordinatorKeyTypes, kGetApi, type Base, type ClusterMetadata, type Connection } from '@platformatic/kafka';

/** The library's promise form of a protocol API at the highest version both sides support. */
type AnyApi = ((connection: Connection, ...args: unknown[]) => void) & { async: (connection: Connection, ...args: unknown[]) => Promise<unknown>; version: number };

// The library's versioned protocol APIs keep one argument list across versions, so a request can be sent at
// whatever version the broker supports through the client's own connections (SASL, TLS, throttling).
export function protocolApi(client: Base, name: string): Promise<AnyApi> {
  return new Promise((resolve, reject) => {
    const getApi = (client as unknown as Record<symbol, (name: string, cb: (error: Error | null, api?: AnyApi) => void) => void>)[kGetApi] as (name: string, cb: (error: Error | null, api?: AnyApi) => void) => void;
    getApi.call(client, name, (error, api) => (error ? reject(error) : resolve(api as AnyApi)));
  });
}

/** A connection to broker `nodeId` through the client's pool. */
export async function connectionTo(client: Base, nodeId: number): Promise<Connection> {
  const connections = await client.connectToBrokers([nodeId]);
  const connection = connections.get(nodeId);
  if (connection === undefined) throw Object.assign(new Error(`broker ${nodeId} is not in the cluster metadata`), { code: 'PLT_KFK_NETWORK', canRetry: true });
  return connection;
}

/** Send `name` to broker `nodeId`; a ResponseError (any error code in the answer) keeps the whole answer in `response`. */
export async function sendTo<T>(client: Base, nodeId: number, name: string, ...args: unknown[]): Promise<T> {
  const [api, connection] = await Promise.all([protocolApi(client, name), connectionTo(client, nodeId)]);
  return (await api.async(connection, ...args)) as T;
}

/** The answer of a request that failed with per-partition error codes (the library's ResponseError keeps it). */
export function responseOf<T>(error: unknown): T | undefined {
  return (error as { response?: T } | undefined)?.response;
}

/** The coordinator node of a group (keyType GROUP) or a transactional id (TRANSACTION). */
export async function findCoordinator(client: Base, key: string, keyType: number = FindCoordinatorKeyTypes.GROUP): Promise<number> {
  const metadata = await client.metadata({ topics: [] });
  const nodes = [...metadata.brokers.keys()];
  const node = nodes[Math.floor(Math.random() * nodes.length)] as number;
  const answer = await sendTo<{ coordinators: Array<{ key: string; nodeId: number; errorCode: number }> }>(client, node, 'FindCoordinator', keyType, [key]);
  const found = answer.coordinators[0];
  if (found === undefined || found.nodeId < 0) throw Object.assign(new Error(`no coordinator known yet for "${key}"`), { code: 'PLT_KFK_NETWORK', canRetry: true });
  return found.nodeId;
}

/** Partitions of `tps` grouped by their leader in `metadata`. */
export function byLeader<T extends { topic: string; partition: number }>(metadata: ClusterMetadata, tps: readonly T[]): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const tp of tps) {
    const leader = metadata.topics.get(tp.topic)?.partitions[tp.partition]?.leader ?? -1;
    const list = out.get(leader);
    if (list) list.push(tp);
    else out.set(leader, [tp]);
  }
  return out;
}

/** `[topic, items]` pairs in first-seen order. */
export function groupByTopic<T extends { topic: string }>(items: readonly T[]): Array<[string, T[]]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const list = out.get(item.topic);
    if (list) list.push(item);
    else out.set(item.topic, [item]);
  }
  return [...out];
}

/**
 * The `topics` of an OffsetCommit or TxnOffsetCommit request: offsets grouped by topic, leader epoch unknown (-1).
 *
 * @example
 * ```ts
 * await sendTo(client, coordinator, 'OffsetCommit', groupId, -1, '', null, offsetCommitTopics([{ topic: 'orders', partition: 0, offset: '42' }]));
 * ```
 */
export function offsetCommitTopics(offsets: ReadonlyArray<{ topic: string; partition: number; offset: string | bigint; metadata?: string | null }>) {
  return groupByTopic(offsets).map(([name, list]) => ({
    name,
    partitions: list.map((o) => ({ partitionIndex: o.partition, committedOffset: BigInt(o.offset), committedLeaderEpoch: -1, committedMetadata: o.metadata ?? null })),
  }));
}

export const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
