import { describeError } from '../../errors';
import type { KafkaClient, KafkaProducer } from '../../kafka';
import type { ConfigEntryRef } from '../../cutover/plan';
import type { ClientConfigStore } from '../../ports/clientConfigStore';
import { encodeSequencedValue, type ClusterSide, type ProducedRecord } from './accounting';

/** What the producer does over time: the report's write-availability timeline. */
export interface ProducerEvent {
  kind: 'connected' | 'paused' | 'resumed' | 'switched' | 'send-failed';
  atMs: number;
  cluster: ClusterSide;
  bootstrapServers: string;
  detail?: string;
}

export interface LegacyProducerOptions {
  runId: string;
  topics: string[];
  partitions: number;
  /** Records per second over all topics. */
  ratePerSecond: number;
  /** The config entry this service reads its cluster from (the cutover switches it). */
  configStore: ClientConfigStore;
  entry: ConfigEntryRef;
  /** How often the entry is re-read (the ProducerFence contract: shorter than the drain window). */
  pollMs: number;
  /** A Kafka client for a bootstrap list. */
  kafkaFor(bootstrapServers: string): Promise<KafkaClient>;
  clusterOf(bootstrapServers: string): ClusterSide;
  onAck(records: ProducedRecord[]): void;
  onEvent?(event: ProducerEvent): void;
  now?: () => number;
}

interface Pending {
  topic: string;
  partition: number;
  seq: number;
  createdAtMs: number;
}

const TICK_MS = 50;
const MAX_BATCH = 500;

/**
 * The rehearsal's "legacy microservice" producer. It writes sequenced records (key, JSON value with a
 * per-partition sequence number and the produce time, headers) round-robin over `topics` × `partitions` at a
 * steady rate, and follows the ProducerFence contract (src/ports/producerFence.ts): it re-reads its config entry
 * every `pollMs`; while `paused` it keeps generating into its own buffer without sending; when the entry names
 * other bootstrap servers it reconnects there and sends the buffer first, in order. Nothing is ever dropped: a
 * failed send stays in the buffer and is retried.
 *
 * @example
 * ```ts
 * const producer = new LegacyProducer({ runId, topics, partitions: 3, ratePerSecond: 100, configStore, entry,
 *   pollMs: 250, kafkaFor, clusterOf, onAck: (rs) => rs.forEach((r) => ledger.produced(r)) });
 * await producer.start();
 * await producer.stop(); // flushes the buffer if it can
 * ```
 */
export class LegacyProducer {
  private readonly options: LegacyProducerOptions;
  private readonly now: () => number;
  private readonly nextSeq: number[][];
  private buffer: Pending[] = [];
  private generated = 0;
  private startedAtMs = 0;
  private stopGeneratingAtMs = Number.POSITIVE_INFINITY;
  private lastPollMs = 0;
  private producer: KafkaProducer | undefined;
  private servers: string | undefined;
  private paused = false;
  private running = false;
  private loop: Promise<void> | undefined;
  private lastError: string | undefined;

  public constructor(options: LegacyProducerOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.nextSeq = options.topics.map(() => new Array<number>(options.partitions).fill(0));
  }

  /** Records generated but not yet acknowledged (waiting behind the fence, or retrying). */
  public get buffered(): number {
    return this.buffer.length;
  }

  public get isPaused(): boolean {
    return this.paused;
  }

  public get cluster(): ClusterSide | undefined {
    return this.servers === undefined ? undefined : this.options.clusterOf(this.servers);
  }

  public async start(): Promise<void> {
    await this.followConfig(true);
    this.startedAtMs = this.now();
    this.running = true;
    this.loop = this.run();
  }

  /** Stop generating new records; keep sending the buffer until it is empty or `flushTimeoutMs` passes. */
  public async stop(flushTimeoutMs = 30_000): Promise<{ unsent: number }> {
    this.stopGeneratingAtMs = this.now();
    const deadline = this.now() + flushTimeoutMs;
    while (this.buffer.length > 0 && this.now() < deadline && this.running) await sleep(TICK_MS);
    this.running = false;
    await this.loop;
    await this.producer?.close().catch(() => undefined);
    this.producer = undefined;
    return { unsent: this.buffer.length };
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        this.generate();
        if (this.now() - this.lastPollMs >= this.options.pollMs) await this.followConfig(false);
        if (!this.paused && this.producer && this.buffer.length > 0) await this.sendSome();
      } catch (err) {
        const message = describeError(err);
        // Same failure repeating (a broker away): one event, not one per tick.
        if (message !== this.lastError) this.emit('send-failed', message);
        this.lastError = message;
      }
      await sleep(TICK_MS);
    }
  }

  private generate(): void {
    const until = Math.min(this.now(), this.stopGeneratingAtMs);
    const due = Math.floor(((until - this.startedAtMs) / 1000) * this.options.ratePerSecond);
    const { topics, partitions } = this.options;
    while (this.generated < due) {
      const slot = this.generated;
      const t = slot % topics.length;
      const p = Math.floor(slot / topics.length) % partitions;
      const seqs = this.nextSeq[t] as number[];
      const seq = seqs[p] as number;
      seqs[p] = seq + 1;
      this.buffer.push({ topic: topics[t] as string, partition: p, seq, createdAtMs: this.now() });
      this.generated += 1;
    }
  }

  private async sendSome(): Promise<void> {
    const producer = this.producer as KafkaProducer;
    const cluster = this.options.clusterOf(this.servers as string);
    const batch = this.buffer.slice(0, MAX_BATCH);
    const byTopic = new Map<string, Pending[]>();
    for (const r of batch) {
      const list = byTopic.get(r.topic);
      if (list) list.push(r);
      else byTopic.set(r.topic, [r]);
    }
    const runHeader = Buffer.from(this.options.runId);
    const contentType = Buffer.from('application/json');
    // One request per topic, all in flight at once: each keeps its partitions' order (idempotent, acks all).
    await Promise.all(
      [...byTopic].map(([topic, records]) =>
        producer.send(
          topic,
          records.map((r) => ({
            partition: r.partition,
            key: `${r.topic}-p${r.partition}-k${r.seq % 8}`,
            value: encodeSequencedValue({ runId: this.options.runId, seq: r.seq, producedAtMs: r.createdAtMs, cluster }),
            timestamp: String(r.createdAtMs),
            headers: [
              { key: 'kbridge-rehearsal-run', value: runHeader },
              { key: 'kbridge-seq', value: Buffer.from(String(r.seq)) },
              { key: 'content-type', value: contentType },
            ],
          })),
        ),
      ),
    );
    const atMs = this.now();
    this.buffer = this.buffer.slice(batch.length);
    this.lastError = undefined;
    this.options.onAck(batch.map((r) => ({ topic: r.topic, partition: r.partition, seq: r.seq, atMs, cluster })));
  }

  /** Re-read the config entry; reconnect on a new cluster, honour the fence. */
  private async followConfig(first: boolean): Promise<void> {
    this.lastPollMs = this.now();
    const value = await this.options.configStore.read(this.options.entry);
    if (!value) throw new Error(`config entry ${this.options.entry.store}:${this.options.entry.id} is missing`);
    const paused = value.paused === true;
    if (value.bootstrapServers !== this.servers) {
      const old = this.producer;
      this.producer = undefined;
      await old?.close().catch(() => undefined);
      const kafka = await this.options.kafkaFor(value.bootstrapServers);
      // Idempotent: the client's own retries cannot duplicate or reorder a partition.
      this.producer = await kafka.producer({ idempotent: true });
      const wasSwitch = this.servers !== undefined;
      this.servers = value.bootstrapServers;
      this.emit(first || !wasSwitch ? 'connected' : 'switched');
    }
    if (paused !== this.paused) {
      this.paused = paused;
      this.emit(paused ? 'paused' : 'resumed');
    }
  }

  private emit(kind: ProducerEvent['kind'], detail?: string): void {
    const servers = this.servers ?? '';
    this.options.onEvent?.({ kind, atMs: this.now(), cluster: this.options.clusterOf(servers), bootstrapServers: servers, ...(detail ? { detail } : {}) });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
