/**
 * Loss and duplicate accounting of a rehearsal, counted from what the producer wrote (its acknowledged sequence
 * numbers) against what the consumer saw — never from the bridge's own counters, so a bridge bug cannot hide.
 */

export type ClusterSide = 'source' | 'target';

/** One acknowledged write of the rehearsal producer. */
export interface ProducedRecord {
  topic: string;
  partition: number;
  /** Per topic-partition sequence number, from 0, contiguous. */
  seq: number;
  atMs: number;
  cluster: ClusterSide;
}

/** One record as the consumer handler saw it. */
export interface ConsumedRecord {
  topic: string;
  partition: number;
  seq: number;
  /** When the handler saw it. */
  atMs: number;
  /** When the producer created it (from the value). */
  producedAtMs: number;
  /** Cluster the consuming mapping reads from. */
  cluster: ClusterSide;
}

/** A run of lost sequence numbers `[fromSeq, toSeq]` in one partition. */
export interface LostRange {
  topic: string;
  partition: number;
  fromSeq: number;
  toSeq: number;
}

export interface DuplicateSample {
  topic: string;
  partition: number;
  seq: number;
  times: number;
  clusters: ClusterSide[];
}

/** The longest time nothing happened (no acknowledged write / no record consumed), and when. */
export interface Gap {
  ms: number;
  fromMs: number;
  toMs: number;
}

export interface LedgerSummary {
  produced: number;
  producedBy: Record<ClusterSide, number>;
  consumed: number;
  consumedBy: Record<ClusterSide, number>;
  uniqueConsumed: number;
  /** Acknowledged writes never consumed. */
  lost: number;
  /** Extra deliveries: Σ (times seen − 1) over sequence numbers seen more than once. */
  duplicated: number;
  /** Consumed sequence numbers the producer never saw acknowledged (an in-doubt send that did land). */
  unacknowledgedConsumed: number;
  /** A record consumed after a higher sequence number of the same partition had been consumed. */
  orderViolations: number;
  /** First few lost ranges and duplicates, to name in the failure message. */
  lostRanges: LostRange[];
  duplicates: DuplicateSample[];
  /** Longest pause between acknowledged writes, and between consumed records. */
  writeGap: Gap | null;
  readGap: Gap | null;
  /** Largest produce-to-consume delay seen. */
  maxEndToEndMs: number | null;
  /** When the last produced record was consumed (null if some never were). */
  lastConsumedAtMs: number | null;
}

interface PartitionLedger {
  /** produced[seq] = 1 once acknowledged. */
  produced: Uint8Array;
  producedCount: number;
  /** consumed[seq] = times seen (saturating at 255). */
  consumed: Uint8Array;
  /** firstCluster[seq]: 0 source, 1 target — where a record was first consumed. */
  firstCluster: Uint8Array;
  consumedClusters: Map<number, ClusterSide[]>;
  maxConsumedSeq: number;
}

const SAMPLE_LIMIT = 20;

/**
 * Collects produced and consumed sequence numbers per topic-partition and answers what was lost or duplicated.
 * Memory: two bytes per record, plus the clusters of duplicated records.
 *
 * @example
 * ```ts
 * const ledger = new DeliveryLedger();
 * ledger.produced({ topic: 't', partition: 0, seq: 0, atMs: 1, cluster: 'source' });
 * ledger.consumed({ topic: 't', partition: 0, seq: 0, atMs: 5, producedAtMs: 1, cluster: 'source' });
 * ledger.summarize().lost; // 0
 * ```
 */
export class DeliveryLedger {
  private readonly partitions = new Map<string, PartitionLedger>();
  private readonly producedBy: Record<ClusterSide, number> = { source: 0, target: 0 };
  private readonly consumedBy: Record<ClusterSide, number> = { source: 0, target: 0 };
  private consumedTotal = 0;
  private orderViolations = 0;
  private maxEndToEndMs: number | null = null;
  private readonly writeGaps = new GapTracker();
  private readonly readGaps = new GapTracker();
  private lastConsumedAtMs = 0;

  public produced(record: ProducedRecord): void {
    assertSeq(record.seq);
    const p = this.partition(record.topic, record.partition);
    p.produced = grow(p.produced, record.seq);
    if (p.produced[record.seq] === 0) {
      p.produced[record.seq] = 1;
      p.producedCount += 1;
      this.producedBy[record.cluster] += 1;
    }
    this.writeGaps.tick(record.atMs);
  }

  public consumed(record: ConsumedRecord): void {
    assertSeq(record.seq);
    const p = this.partition(record.topic, record.partition);
    p.consumed = grow(p.consumed, record.seq);
    const times = p.consumed[record.seq] ?? 0;
    p.consumed[record.seq] = Math.min(255, times + 1);
    p.firstCluster = grow(p.firstCluster, record.seq);
    if (times === 0) p.firstCluster[record.seq] = record.cluster === 'source' ? 0 : 1;
    else {
      // Where each sighting came from is kept only for records seen more than once.
      const first: ClusterSide = p.firstCluster[record.seq] === 0 ? 'source' : 'target';
      p.consumedClusters.set(record.seq, [...(p.consumedClusters.get(record.seq) ?? [first]), record.cluster]);
    }
    if (record.seq < p.maxConsumedSeq) this.orderViolations += 1;
    p.maxConsumedSeq = Math.max(p.maxConsumedSeq, record.seq);
    this.consumedTotal += 1;
    this.consumedBy[record.cluster] += 1;
    const delay = record.atMs - record.producedAtMs;
    this.maxEndToEndMs = this.maxEndToEndMs === null ? delay : Math.max(this.maxEndToEndMs, delay);
    this.readGaps.tick(record.atMs);
    this.lastConsumedAtMs = Math.max(this.lastConsumedAtMs, record.atMs);
  }

  /** Acknowledged writes so far (all partitions). */
  public get producedCount(): number {
    return this.producedBy.source + this.producedBy.target;
  }

  public get consumedCount(): number {
    return this.consumedTotal;
  }

  /**
   * The longest pause between acknowledged writes and between consumed records that began in `[fromMs, toMs]`:
   * one cutover's unavailability windows when a run has several (`--failback`).
   */
  public gapsStartingIn(fromMs: number, toMs: number): { writeGap: Gap | null; readGap: Gap | null } {
    return { writeGap: this.writeGaps.longestStartingIn(fromMs, toMs), readGap: this.readGaps.longestStartingIn(fromMs, toMs) };
  }

  /** True when every acknowledged write has been consumed at least once. */
  public allConsumed(): boolean {
    for (const p of this.partitions.values()) {
      for (let seq = 0; seq < p.produced.length; seq++) {
        if (p.produced[seq] === 1 && (p.consumed[seq] ?? 0) === 0) return false;
      }
    }
    return true;
  }

  public summarize(): LedgerSummary {
    let lost = 0;
    let duplicated = 0;
    let unique = 0;
    let unacknowledged = 0;
    const lostRanges: LostRange[] = [];
    const duplicates: DuplicateSample[] = [];
    for (const [key, p] of [...this.partitions.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      const { topic, partition } = splitKey(key);
      const end = Math.max(p.produced.length, p.consumed.length);
      let open: LostRange | undefined;
      for (let seq = 0; seq < end; seq++) {
        const wasProduced = p.produced[seq] === 1;
        const times = p.consumed[seq] ?? 0;
        if (times > 0) unique += 1;
        if (times > 1) {
          duplicated += times - 1;
          if (duplicates.length < SAMPLE_LIMIT) duplicates.push({ topic, partition, seq, times, clusters: p.consumedClusters.get(seq) ?? [] });
        }
        if (times > 0 && !wasProduced) unacknowledged += 1;
        if (wasProduced && times === 0) {
          lost += 1;
          if (open && open.toSeq === seq - 1) open.toSeq = seq;
          else {
            open = { topic, partition, fromSeq: seq, toSeq: seq };
            if (lostRanges.length < SAMPLE_LIMIT) lostRanges.push(open);
          }
        }
      }
    }
    return {
      produced: this.producedCount,
      producedBy: { ...this.producedBy },
      consumed: this.consumedTotal,
      consumedBy: { ...this.consumedBy },
      uniqueConsumed: unique,
      lost,
      duplicated,
      unacknowledgedConsumed: unacknowledged,
      orderViolations: this.orderViolations,
      lostRanges,
      duplicates,
      writeGap: this.writeGaps.longest(),
      readGap: this.readGaps.longest(),
      maxEndToEndMs: this.maxEndToEndMs,
      lastConsumedAtMs: lost === 0 && this.consumedTotal > 0 ? this.lastConsumedAtMs : null,
    };
  }

  private partition(topic: string, partition: number): PartitionLedger {
    const key = `${topic}\u0000${partition}`;
    let p = this.partitions.get(key);
    if (!p) {
      p = { produced: new Uint8Array(1024), producedCount: 0, consumed: new Uint8Array(1024), firstCluster: new Uint8Array(1024), consumedClusters: new Map(), maxConsumedSeq: -1 };
      this.partitions.set(key, p);
    }
    return p;
  }
}

/** Gaps shorter than this are not kept for {@link GapTracker.longestStartingIn}: under load they are the normal rhythm. */
const NOTABLE_GAP_MS = 100;
const NOTABLE_GAP_LIMIT = 50_000;

/**
 * Tracks the longest interval between consecutive events (events may arrive slightly out of time order from
 * concurrent partitions; the tracker only moves forward), and keeps the notable ones so the longest gap that began
 * within a time range (one cutover of several) can be asked for afterwards.
 */
export class GapTracker {
  private last: number | undefined;
  private best: Gap | null = null;
  private notable: Gap[] = [];

  public tick(atMs: number): void {
    if (this.last !== undefined && atMs > this.last) {
      const ms = atMs - this.last;
      const gap = { ms, fromMs: this.last, toMs: atMs };
      if (!this.best || ms > this.best.ms) this.best = gap;
      if (ms >= NOTABLE_GAP_MS) this.keep(gap);
    }
    this.last = this.last === undefined ? atMs : Math.max(this.last, atMs);
  }

  public longest(): Gap | null {
    return this.best;
  }

  /** The longest gap that began in `[fromMs, toMs]` (null when none of at least 100 ms did). */
  public longestStartingIn(fromMs: number, toMs: number): Gap | null {
    let best: Gap | null = null;
    for (const g of this.notable) if (g.fromMs >= fromMs && g.fromMs <= toMs && (!best || g.ms > best.ms)) best = g;
    return best;
  }

  private keep(gap: Gap): void {
    this.notable.push(gap);
    // Bounded memory on long runs at a low rate: keep the longer half.
    if (this.notable.length > NOTABLE_GAP_LIMIT) this.notable = [...this.notable].sort((a, b) => b.ms - a.ms).slice(0, NOTABLE_GAP_LIMIT / 2);
  }
}

/**
 * The value the rehearsal producer writes, and its parser. A value that is not ours is an error naming what
 * was expected: the rehearsal's topics hold only its own records.
 *
 * @example
 * ```ts
 * parseSequencedValue(encodeSequencedValue({ seq: 3, producedAtMs: 1, cluster: 'source', runId: 'r' })).seq; // 3
 * ```
 */
export interface SequencedValue {
  runId: string;
  seq: number;
  producedAtMs: number;
  /** Where the producer wrote it. */
  cluster: ClusterSide;
}

export function encodeSequencedValue(v: SequencedValue): Buffer {
  return Buffer.from(JSON.stringify({ runId: v.runId, seq: v.seq, producedAt: v.producedAtMs, cluster: v.cluster }));
}

export function parseSequencedValue(bytes: Uint8Array | null): SequencedValue {
  if (!bytes) throw new TypeError('expected a rehearsal record value {runId, seq, producedAt, cluster}; got a null value');
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new TypeError(`expected a JSON rehearsal record value; got ${bytes.length} bytes that are not JSON`);
  }
  const o = json as Record<string, unknown>;
  if (typeof o.seq !== 'number' || typeof o.producedAt !== 'number' || typeof o.runId !== 'string' || (o.cluster !== 'source' && o.cluster !== 'target')) {
    throw new TypeError(`expected a rehearsal record value {runId, seq, producedAt, cluster}; got ${JSON.stringify(json).slice(0, 120)}`);
  }
  return { runId: o.runId, seq: o.seq, producedAtMs: o.producedAt, cluster: o.cluster };
}

function assertSeq(seq: number): void {
  if (!Number.isInteger(seq) || seq < 0) throw new RangeError(`expected a sequence number ≥ 0; got ${seq}`);
}

function grow(array: Uint8Array, index: number): Uint8Array {
  if (index < array.length) return array;
  let size = array.length;
  while (size <= index) size *= 2;
  const bigger = new Uint8Array(size);
  bigger.set(array);
  return bigger;
}

function splitKey(key: string): { topic: string; partition: number } {
  const i = key.lastIndexOf('\u0000');
  return { topic: key.slice(0, i), partition: Number(key.slice(i + 1)) };
}
