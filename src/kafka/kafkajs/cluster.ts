import type { Kafka } from 'kafkajs';
import apiKeysTable from 'kafkajs/src/protocol/requests/apiKeys.js';
import { requests as requestTable } from 'kafkajs/src/protocol/requests/index.js';
import { errorCodes } from 'kafkajs/src/protocol/error.js';
import Batch from 'kafkajs/src/consumer/batch.js';
import { KafkaRequestError } from '../../errors';

// kafkajs' admin lists offsets only at the cluster's isolation level, has no record fetch, and its request
// parsers throw the first partition's error code (dropping which partition it was). The adapter uses the same
// Cluster class kafkajs builds for its own clients (created through the Kafka instance, so the SASL/TLS
// settings apply) and talks to partition leaders and group coordinators directly. Only this adapter reaches
// into kafkajs' internals (see internals.d.ts); everything here is kafkajs 2.2.x.
const apiKeys = apiKeysTable as { OffsetCommit: number; Metadata: number; DescribeGroups: number; OffsetFetch: number };
const requests = requestTable as { OffsetCommit: unknown; Metadata: unknown; DescribeGroups: unknown; OffsetFetch: unknown };

/** kafkajs' Batch: its own control-record and aborted-transaction filtering of one fetch response. */
export const KafkajsBatch = Batch;

/** The requests the adapter sends to one broker. */
export interface KafkajsBroker {
  nodeId: number;
  listOffsets(req: { isolationLevel: number; topics: { topic: string; partitions: { partition: number; timestamp: number }[] }[] }): Promise<{
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
  lookupRequest(apiKey: number, definition: unknown): (args: object) => ProtocolRequest;
  connectionPool: { send(request: ProtocolRequest): Promise<unknown> };
}

interface ProtocolRequest {
  request: unknown;
  response: { decode(raw: Buffer): Promise<unknown>; parse(data: unknown): Promise<unknown> };
}

/** The part of kafkajs' internal Cluster the adapter uses. */
export interface KafkajsCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  refreshMetadata(): Promise<void>;
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  findTopicPartitionMetadata(topic: string): { partitionId: number; leader: number }[];
  findBroker(args: { nodeId: string | number }): Promise<KafkajsBroker>;
  findGroupCoordinator(args: { groupId: string }): Promise<KafkajsBroker>;
}

/**
 * The kafkajs Cluster behind a Kafka instance (same SASL/TLS settings), for direct per-broker requests.
 *
 * @example
 * ```ts
 * const cluster = createKafkajsCluster(kafka);
 * await cluster.connect();
 * ```
 */
export function createKafkajsCluster(kafka: Kafka): KafkajsCluster {
  const symbol = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  const create = symbol ? (kafka as unknown as Record<symbol, unknown>)[symbol] : undefined;
  if (typeof create !== 'function') {
    throw new KafkaRequestError('this kafkajs version does not expose its cluster factory; expected kafkajs 2.2.x');
  }
  return (create as (o: object) => KafkajsCluster)({ allowAutoTopicCreation: false });
}

/** A broker error code's protocol name, retriability and text (Kafka's own table, as kafkajs ships it). */
export function kafkaErrorOf(code: number): { type: string; retriable: boolean; message: string } {
  return errorCodes.find((e) => e.code === code) ?? { type: `ERROR_CODE_${code}`, retriable: false, message: `broker error code ${code}` };
}

/** Send a request the broker's way (versions, SASL, throttling) but keep the whole decoded answer, errors included. */
async function sendUnparsed<T>(broker: KafkajsBroker, apiKey: number, definition: unknown, args: object): Promise<T> {
  const protocolRequest = broker.lookupRequest(apiKey, definition)(args);
  return (await broker.connectionPool.send({ ...protocolRequest, response: { ...protocolRequest.response, parse: async (data: unknown) => data } })) as T;
}

export interface RawDescribeGroups {
  groups: Array<{
    errorCode: number;
    groupId: string;
    state: string;
    protocolType: string;
    members: Array<{ memberId: string; clientId: string; clientHost: string; memberAssignment: Buffer | null }>;
  }>;
}
export interface RawMetadata {
  topicMetadata: Array<{ topicErrorCode: number; topic: string; partitionMetadata: Array<{ partitionId: number }> }>;
}
export interface RawOffsetCommit {
  responses: Array<{ topic: string; partitions: Array<{ partition: number; errorCode: number }> }>;
}
export interface RawOffsetFetch {
  errorCode?: number;
  responses: Array<{ topic: string; partitions: Array<{ partition: number; offset: string; metadata: string | null; errorCode: number }> }>;
}

/** Raw protocol requests whose per-partition / per-group error codes the caller reads itself. */
export const rawRequests = {
  describeGroups: (broker: KafkajsBroker, groupIds: string[]): Promise<RawDescribeGroups> => sendUnparsed(broker, apiKeys.DescribeGroups, requests.DescribeGroups, { groupIds }),
  metadata: (broker: KafkajsBroker, topics: string[]): Promise<RawMetadata> => sendUnparsed(broker, apiKeys.Metadata, requests.Metadata, { topics, allowAutoTopicCreation: false }),
  offsetCommit: (broker: KafkajsBroker, args: { groupId: string; topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }> }): Promise<RawOffsetCommit> =>
    sendUnparsed(broker, apiKeys.OffsetCommit, requests.OffsetCommit, { groupId: args.groupId, groupGenerationId: -1, memberId: '', topics: args.topics }),
  /** An empty topic list is sent as null: "all topics this group has committed on", one round trip. */
  offsetFetch: (broker: KafkajsBroker, groupId: string, topics: Array<{ topic: string; partitions: Array<{ partition: number }> }>): Promise<RawOffsetFetch> =>
    sendUnparsed(broker, apiKeys.OffsetFetch, requests.OffsetFetch, { groupId, topics }),
};
