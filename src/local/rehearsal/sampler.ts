import type { Kafka } from 'kafkajs';
import { computeLag } from '../../lag/computeLag';
import { KafkaLagReader } from '../../lag/kafkaLagReader';
import { computeReplicationLag } from '../../lag/replication';
import type { GroupLag } from '../../lag/types';
import type { RehearsalSample } from './report';

export interface LagSamplerOptions {
  source: Kafka;
  target: Kafka;
  groups: string[];
  bridgeId: string;
  topics: string[];
  intervalMs: number;
  /** Running totals of the ledger, for records/s between samples. */
  totals(): { produced: number; consumed: number };
  /** What the rehearsal is doing now (phase, cutover step), stamped on each sample. */
  context(): { phase: string; cutoverStep: string | null };
  onSample?(sample: RehearsalSample): void;
  now?: () => number;
}

/**
 * Samples, every `intervalMs`, the lag of the application groups on the source and on the target and the
 * bridge's replication lag (the lag module's `computeLag` / `computeReplicationLag`, readers kept open between
 * samples), plus produced/consumed records per second. A measurement that fails (a group not there yet) is a
 * `null` point, not a stop.
 *
 * @example
 * ```ts
 * const sampler = await LagSampler.start({ source, target, groups, bridgeId, topics, intervalMs: 1000, totals, context });
 * await sampler.stop();
 * sampler.samples; // the report's time series
 * ```
 */
export class LagSampler {
  public readonly samples: RehearsalSample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private last: { atMs: number; produced: number; consumed: number };
  private stopped = false;

  private constructor(
    private readonly options: LagSamplerOptions,
    private readonly readers: { source: KafkaLagReader; target: KafkaLagReader },
  ) {
    const now = options.now ?? Date.now;
    this.last = { atMs: now(), ...options.totals() };
  }

  public static async start(options: LagSamplerOptions): Promise<LagSampler> {
    const [source, target] = await Promise.all([
      KafkaLagReader.connect(options.source, { cluster: 'source' }),
      KafkaLagReader.connect(options.target, { cluster: 'target' }),
    ]);
    const sampler = new LagSampler(options, { source, target });
    sampler.schedule();
    return sampler;
  }

  /** Take one more sample now (the final point), then close the readers. */
  public async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inFlight;
    await this.sample().catch(() => undefined);
    await Promise.all([this.readers.source.close(), this.readers.target.close()]).catch(() => undefined);
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.inFlight = this.sample()
        .catch(() => undefined)
        .finally(() => {
          if (!this.stopped) this.schedule();
        });
    }, this.options.intervalMs);
  }

  private async sample(): Promise<void> {
    const now = this.options.now ?? Date.now;
    const { groups, bridgeId, topics } = this.options;
    const [sourceGroups, targetGroups, replication] = await Promise.all([
      computeLag(this.readers.source, { groups }).catch(() => undefined),
      computeLag(this.readers.target, { groups }).catch(() => undefined),
      computeReplicationLag({ source: this.readers.source, progress: this.readers.target }, { bridgeId, sourceTopics: topics }).catch(() => undefined),
    ]);
    const atMs = now();
    const totals = this.options.totals();
    const seconds = Math.max(0.001, (atMs - this.last.atMs) / 1000);
    const sample: RehearsalSample = {
      atMs,
      sourceGroupLag: sumGroups(sourceGroups?.groups),
      bridgeLag: replication && !replication.error ? replication.sumOffsetLag.toString() : null,
      targetGroupLag: sumGroups(targetGroups?.groups),
      producedPerSec: Math.round((totals.produced - this.last.produced) / seconds),
      consumedPerSec: Math.round((totals.consumed - this.last.consumed) / seconds),
      ...this.options.context(),
    };
    this.last = { atMs, ...totals };
    this.samples.push(sample);
    this.options.onSample?.(sample);
  }
}

/**
 * Total offset lag over the groups that have committed offsets on this cluster; null when none has (the
 * target groups before the cutover seeds them).
 *
 * @example
 * ```ts
 * sumGroups(snapshot.groups); // "42"
 * ```
 */
export function sumGroups(groups: GroupLag[] | undefined): string | null {
  if (!groups) return null;
  const readable = groups.filter((g) => !g.error && g.partitions.some((p) => p.committedOffset !== null));
  if (readable.length === 0) return null;
  return readable.reduce((sum, g) => sum + g.sumOffsetLag, 0n).toString();
}
