/**
 * The @platformatic/kafka adapter of the Kafka port (see `../port.ts`). The library is ESM-only and written for
 * Node ≥ 22.22; everything library-specific stays in this folder.
 *
 * What the adapter does beyond mapping calls:
 * - Java-compatible partitioning of keyed records (`records.ts`), as kafkajs' default partitioner;
 * - its own read_committed filtering of fetched batches (the library keeps an aborted batch whose ABORT marker
 *   comes in a later fetch), and a position that moves over control and aborted batches;
 * - a 20 ms retry delay after CONCURRENT_TRANSACTIONS (the library's default delay is 1 s);
 * - TxnOffsetCommit for any group (the library only commits offsets of messages its own consumer read).
 */
import { Consumer, FindCoordinatorKeyTypes, ProduceAcks, Producer, type ClusterMetadata, type MessageToProduce } from '@platformatic/kafka';
import { randomUUID } from 'node:crypto';
import { connect as tlsConnect } from 'node:tls';
import { KafkaRequestError } from '../../errors';
import type { KafkaAdapter, ResolvedConnection } from '../connection';
import { CLIENT_CERT_REJECTED, readRangesTimeoutError, type KafkaErrorContext } from '../errors';
import type {
  ConsumedRecord,
  KafkaClient,
  KafkaProducer,
  KafkaTransaction,
  OffsetRange,
  OutgoingRecord,
  PartitionWrite,
  ProducerOptions,
  ReadRangesOptions,
  TransactionalProducer,
  TransactionalProducerOptions,
  TransactionOffset,
} from '../port';
import { createPlatformaticAdmin } from './admin';
import { createPlatformaticGroupConsumer } from './consumer';
import { isPlatformaticError, protocolErrorOf, toPlatformaticKBridgeError } from './errors';
import { fetchFrom, type FetchPosition } from './fetcher';
import { adapterLogger, DEFAULT_RETRIES, logCrc32cImplementationOnce, observeConnections, platformaticBaseOptions, retryDelayFor } from './options';
import { byLeader, findCoordinator, offsetCommitTopics, sendTo, sleep } from './raw';
import { assignPartitions, toLibraryMessage } from './records';

export { platformaticCrc32cImplementation } from './options';

/** What every part of the adapter needs: the connection, its logger, and the error mapping with its context. */
export interface AdapterContext {
  connection: ResolvedConnection;
  log: ReturnType<typeof adapterLogger>;
  /** Map any error into the taxonomy for `operation` (our own errors pass through). */
  fail(err: unknown, operation: string, extra?: Record<string, unknown>): Error;
  /** {@link fail} for a failed connect, first asking a TLS listener why it closed the connection. */
  failConnect(err: unknown, operation: string, extra?: Record<string, unknown>): Promise<Error>;
}

/**
 * Why a TLS listener closed a connection, when it refused our client certificate: the library reports only
 * "Connection closed" (the socket's TLS alert goes to an event nobody hears), so connect once more ourselves and
 * wait for the alert. Undefined when the listener does not say.
 */
async function tlsRefusal(connection: ResolvedConnection): Promise<Error | undefined> {
  const [host, port] = (connection.bootstrapServers[0] ?? '').split(':');
  if (connection.tls === undefined || !host || !port) return undefined;
  return new Promise((resolve) => {
    const socket = tlsConnect({ host, port: Number(port), servername: host, ...(connection.tls === true ? {} : connection.tls) });
    const done = (error: Error | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(error);
    };
    const timer = setTimeout(() => done(undefined), connection.connectionTimeoutMs ?? 3_000);
    socket.once('error', (error: Error & { code?: string }) => done(typeof error.code === 'string' && CLIENT_CERT_REJECTED.test(error.code) ? error : undefined));
    socket.once('close', () => done(undefined));
    // A request header's worth of bytes: TLS 1.3 servers send the alert once they read past the handshake.
    socket.once('secureConnect', () => socket.write(Buffer.alloc(4)));
  });
}

function createContext(connection: ResolvedConnection): AdapterContext {
  const log = adapterLogger(connection);
  return {
    connection,
    log,
    fail(err, operation, extra = {}) {
      const context: KafkaErrorContext = { cluster: connection.info.cluster, mechanism: connection.info.mechanism, operation, ...extra };
      // Programmer errors (TypeError, RangeError) from our own code pass through unchanged.
      if (!isPlatformaticError(err) && err instanceof Error && !(err as { code?: unknown }).code && (err instanceof TypeError || err instanceof RangeError)) return err;
      return toPlatformaticKBridgeError(err, context, connection.redact);
    },
    async failConnect(err, operation, extra = {}) {
      const closed = err instanceof Error && /Connection closed/.test(`${err.message} ${(err as { errors?: Error[] }).errors?.map((e) => e.message).join(' ') ?? ''}`);
      const refusal = closed ? await tlsRefusal(connection).catch(() => undefined) : undefined;
      return this.fail(refusal ? Object.assign(new Error(`${(err as Error).message}: ${refusal.message}`, { cause: refusal }), { code: 'PLT_KFK_NETWORK' }) : err, operation, extra);
    },
  };
}

/** InitProducerId's "no producer yet" (see the transactional producer). */
const NO_PRODUCER = { producerId: -1n, producerEpoch: -1 } as const;

/** Idempotent producers need the library's retries above 1 (it turns 0 and 1 into "forever"). */
function producerRetries(connection: ResolvedConnection): number {
  return Math.max(2, connection.retries ?? DEFAULT_RETRIES * 2);
}

/**
 * Where each partition's records of one send (all to one topic) went: `baseOffset` from the answer, `count` from
 * what we sent.
 */
function partitionWrites(messages: readonly MessageToProduce[], offsets: ReadonlyArray<{ topic: string; partition: number; offset: bigint }> | undefined): PartitionWrite[] {
  const counts: number[] = [];
  for (const m of messages) {
    const partition = m.partition as number;
    counts[partition] = (counts[partition] ?? 0) + 1;
  }
  return (offsets ?? []).map(({ topic, partition, offset }) => ({ topic, partition, baseOffset: offset, count: counts[partition] ?? 0 }));
}

/** The records in the library's shape, each on its partition (the topic's partition count from cached metadata). */
async function toMessages(producer: Producer, roundRobin: Map<string, number>, topic: string, records: readonly OutgoingRecord[]): Promise<MessageToProduce[]> {
  const messages = new Array<MessageToProduce>(records.length);
  let unassigned = false;
  for (let i = 0; i < records.length; i++) {
    const message = toLibraryMessage(topic, records[i] as OutgoingRecord);
    messages[i] = message;
    if (message.partition === undefined) unassigned = true;
  }
  if (unassigned) {
    const metadata = await producer.metadata({ topics: [topic] });
    const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
    if (count <= 0) throw new KafkaRequestError(`topic "${topic}" has no partitions in the metadata`, { topic, retriable: true });
    assignPartitions(messages, count, roundRobin);
  }
  return messages;
}

async function createProducer(ctx: AdapterContext, options: ProducerOptions): Promise<KafkaProducer> {
  const idempotent = options.idempotent ?? true;
  const acks = idempotent ? ProduceAcks.ALL : (options.acks ?? ProduceAcks.ALL);
  const producer = new Producer({
    ...platformaticBaseOptions(ctx.connection),
    idempotent,
    ...NO_PRODUCER,
    retries: idempotent ? producerRetries(ctx.connection) : (ctx.connection.retries ?? DEFAULT_RETRIES),
  });
  observeConnections(producer, ctx.log);
  try {
    await producer.metadata({ topics: [] });
  } catch (err) {
    await producer.close().catch(() => undefined);
    throw await ctx.failConnect(err, 'connect producer');
  }
  const roundRobin = new Map<string, number>();
  return {
    async send(topic, records) {
      if (records.length === 0) return [];
      try {
        const messages = await toMessages(producer, roundRobin, topic, records);
        const result = await producer.send({ messages, acks });
        return partitionWrites(messages, result.offsets);
      } catch (err) {
        throw ctx.fail(err, `send to ${topic}`, { topic });
      }
    },
    async close() {
      await producer.close().catch(() => undefined);
    },
  };
}

async function createTransactionalProducer(ctx: AdapterContext, options: TransactionalProducerOptions): Promise<TransactionalProducer> {
  const { transactionalId } = options;
  const producer = new Producer({
    ...platformaticBaseOptions(ctx.connection),
    idempotent: true,
    transactionalId,
    // InitProducerId must say "no current producer" (-1/-1): the library sends 0/0 unless told, which the
    // coordinator reads as a KIP-360 epoch bump of producer 0 and answers PRODUCER_FENCED as soon as the
    // transactional id has an earlier instance — a restarted writer could never start.
    ...NO_PRODUCER,
    // The library sends its `timeout` as InitProducerId's transaction timeout (and as Produce's ack timeout).
    timeout: options.transactionTimeoutMs ?? 60_000,
    retries: producerRetries(ctx.connection),
    retryDelay: retryDelayFor,
  });
  observeConnections(producer, ctx.log);
  try {
    await producer.metadata({ topics: [] });
  } catch (err) {
    await producer.close().catch(() => undefined);
    throw await ctx.failConnect(err, 'connect transactional producer', { transactionalId });
  }
  const groupCoordinators = new Map<string, number>();
  const roundRobin = new Map<string, number>();
  return {
    transactionalId,
    async begin() {
      let transaction: Transaction;
      try {
        transaction = await producer.beginTransaction();
      } catch (err) {
        throw ctx.fail(err, 'begin transaction', { transactionalId });
      }
      return wrapTransaction(ctx, producer, transaction, groupCoordinators, roundRobin);
    },
    async close() {
      // A transaction left open is aborted by the coordinator after its timeout, or fenced by the next instance.
      await producer.close(true).catch(() => undefined);
    },
  };
}

/** Broker answers to TxnOffsetCommit that mean "find the group coordinator again". */
const COORDINATOR_MOVED = ['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_LOAD_IN_PROGRESS'];

type Transaction = Awaited<ReturnType<Producer['beginTransaction']>>;

function wrapTransaction(ctx: AdapterContext, producer: Producer, transaction: Transaction, groupCoordinators: Map<string, number>, roundRobin: Map<string, number>): KafkaTransaction {
  const transactionalId = transaction.id;
  let active = true;
  // Whether the coordinator knows of this transaction (a partition or a group added). The broker answers
  // INVALID_TXN_STATE to EndTxn for a transaction it never saw, so an untouched one ends locally (as Java's).
  let touched = false;
  const guard = (what: string): void => {
    if (!active) throw new KafkaRequestError(`Cannot ${what}: transaction ${transactionalId} on cluster "${ctx.connection.info.cluster}" is already committed or aborted; begin a new one`, { cluster: ctx.connection.info.cluster, transactionalId });
  };
  return {
    get active() {
      return active;
    },
    async send(topic, records) {
      guard(`send to ${topic}`);
      if (records.length === 0) return [];
      touched = true;
      try {
        const messages = await toMessages(producer, roundRobin, topic, records);
        const result = await transaction.send({ messages });
        return partitionWrites(messages, result.offsets);
      } catch (err) {
        throw ctx.fail(err, `send to ${topic} in transaction`, { topic, transactionalId });
      }
    },
    async commitOffsets(groupId, offsets) {
      guard(`commit offsets of group ${groupId}`);
      if (offsets.length === 0) return;
      touched = true;
      try {
        // AddOffsetsToTxn: the library's own request (retries, coordinator moves), which only needs the group id.
        await transaction.addConsumer({ groupId } as unknown as Consumer);
        await txnOffsetCommit(producer, transactionalId, groupId, offsets, groupCoordinators);
      } catch (err) {
        throw ctx.fail(err, `commit offsets of group ${groupId} in transaction`, { group: groupId, transactionalId });
      }
    },
    async commit() {
      guard('commit');
      try {
        if (touched) await transaction.commit();
        else await transaction.cancel();
        active = false;
      } catch (err) {
        throw ctx.fail(err, 'commit transaction', { transactionalId });
      }
    },
    async abort() {
      if (!active) return;
      active = false;
      try {
        if (touched) await transaction.abort();
        else await transaction.cancel();
      } catch (err) {
        // Release the library's slot so a new transaction can begin (a fenced producer gets fenced again there).
        await transaction.cancel().catch(() => undefined);
        throw ctx.fail(err, 'abort transaction', { transactionalId });
      }
    },
  };
}

/**
 * TxnOffsetCommit to the group's coordinator as generation -1 with no member: offsets for a group that never
 * consumed through this client (the bridge's checkpoint groups). Retries while the coordinator moves or loads.
 */
async function txnOffsetCommit(producer: Producer, transactionalId: string, groupId: string, offsets: readonly TransactionOffset[], coordinators: Map<string, number>): Promise<void> {
  const topics = offsetCommitTopics(offsets);
  for (let attempt = 1; ; attempt++) {
    try {
      let coordinator = coordinators.get(groupId);
      if (coordinator === undefined) {
        coordinator = await findCoordinator(producer, groupId, FindCoordinatorKeyTypes.GROUP);
        coordinators.set(groupId, coordinator);
      }
      await sendTo(producer, coordinator, 'TxnOffsetCommit', transactionalId, groupId, producer.producerId, producer.producerEpoch, -1, '', null, topics);
      return;
    } catch (err) {
      const protocol = protocolErrorOf(err);
      const moved = protocol !== undefined && COORDINATOR_MOVED.includes(protocol.type);
      if (moved || protocol === undefined) coordinators.delete(groupId);
      const retriable = moved || protocol?.retriable === true || (protocol === undefined && (err as { canRetry?: boolean }).canRetry === true);
      if (!retriable || attempt >= 10) throw err;
      await sleep(retryDelayFor(producer, 'txnOffsetCommit', attempt, 10, err as Error));
    }
  }
}

const READ_PARTITION_BYTES = 4 * 1024 * 1024;

async function readRanges(ctx: AdapterContext, topic: string, ranges: ReadonlyMap<number, OffsetRange>, onRecord: (record: ConsumedRecord) => void, options: ReadRangesOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const readCommitted = options.readUncommitted !== true;
  const positions = new Map<number, bigint>();
  for (const [partition, range] of ranges) if (range.from < range.to) positions.set(partition, range.from);
  if (positions.size === 0) return;
  const consumer = new Consumer({ ...platformaticBaseOptions(ctx.connection), groupId: `kbridge-read-${randomUUID()}` });
  const deadline = Date.now() + timeoutMs;
  try {
    consumer.topics.trackAll(topic);
    let metadata: ClusterMetadata = await consumer.metadata({ topics: [topic] });
    while (positions.size > 0) {
      if (Date.now() > deadline) {
        const unfinished = [...positions].map(([partition, at]) => ({ partition, at, ...(ranges.get(partition) as OffsetRange) }));
        throw readRangesTimeoutError(ctx.connection.info.cluster, topic, timeoutMs, unfinished, readCommitted);
      }
      const pending: FetchPosition[] = [...positions].map(([partition, offset]) => ({ topic, partition, offset }));
      try {
        await Promise.all(
          [...byLeader(metadata, pending)].map(async ([leader, list]) => {
            const answers = await fetchFrom(consumer, leader, metadata, list, { readCommitted, maxWaitMs: 200, partitionMaxBytes: READ_PARTITION_BYTES });
            for (const answer of answers.values()) {
              const range = ranges.get(answer.partition) as OffsetRange;
              for (const record of answer.records) {
                if (record.offset >= range.to) break;
                onRecord(record);
              }
              if (answer.nextOffset >= range.to) positions.delete(answer.partition);
              else positions.set(answer.partition, answer.nextOffset);
            }
          }),
        );
      } catch (err) {
        if (!isPlatformaticError(err) || protocolErrorOf(err)?.retriable !== true) throw err;
        metadata = await consumer.metadata({ topics: [topic], forceUpdate: true });
      }
    }
  } catch (err) {
    throw isPlatformaticError(err) ? ctx.fail(err, `read ranges of ${topic}`, { topic }) : err;
  } finally {
    await consumer.close(true).catch(() => undefined);
  }
}

/**
 * The @platformatic/kafka client of the port.
 *
 * @example
 * ```ts
 * const kafka = await createKafkaClient(config, { client: 'platformatic' });
 * ```
 */
export const createPlatformaticClient: KafkaAdapter = (connection) => {
  logCrc32cImplementationOnce(connection);
  const ctx = createContext(connection);
  return {
    kind: 'platformatic',
    info: connection.info,
    admin: () => createPlatformaticAdmin(ctx),
    producer: (options = {}) => createProducer(ctx, options),
    transactionalProducer: (options) => createTransactionalProducer(ctx, options),
    consumer: (options) => createPlatformaticGroupConsumer(ctx, options),
    readRanges: (topic, ranges, onRecord, options) => readRanges(ctx, topic, ranges, onRecord, options),
  } satisfies KafkaClient;
};

