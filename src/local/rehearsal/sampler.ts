import type { KafkaClient } from '../../kafka';
import { parseLagMonitorConfig, type LagMonitorConfig } from '../../lag/config';
import { KafkaLagReader } from '../../lag/kafkaLagReader';
import type { LagMetric } from '../../lag/metrics';
import { runLagMonitor, type LagMonitorReport } from '../../lag/monitor';
import type { LagReader } from '../../lag/port';
import { createMemorySampleStore, type SampleStore } from '../../lag/sampleStore';
import type { RehearsalSample } from './report';

export interface LagSamplerOptions {
  source: KafkaClient;
  target: KafkaClient;
  groups: string[];
  bridgeId: string;
  /** The reverse bridge (target → source), measured too when given (`--failback`). */
  reverseBridgeId?: string;
  topics: string[];
  intervalMs: number;
  /** Where the monitor's metrics go (the rehearsal: a local JSON-lines store instead of CloudWatch). */
  publish(metrics: LagMetric[]): Promise<{ requests: number }>;
  /** Running totals of the ledger, for records/s between samples. */
  totals(): { produced: number; consumed: number };
  /** What the rehearsal is doing now (phase, cutover step), stamped on each sample. */
  context(): { phase: string; cutoverStep: string | null };
  onSample?(sample: RehearsalSample): void;
  now?: () => number;
}

/**
 * Runs the lag monitor (`runLagMonitor`, as the scheduled Lambda does) every `intervalMs` over the application
 * groups on the source and on the target and the bridge's replication lag, with readers kept open between runs
 * and its metrics published to `publish` (a local store), and turns each run into one point of the report's
 * series, plus produced/consumed records per second. A group not measurable yet is a `null` point, not a stop.
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
  private readonly config: LagMonitorConfig;
  private readonly store: SampleStore = createMemorySampleStore();

  private constructor(
    private readonly options: LagSamplerOptions,
    private readonly readers: { source: KafkaLagReader; target: KafkaLagReader },
  ) {
    const now = options.now ?? Date.now;
    this.last = { atMs: now(), ...options.totals() };
    this.config = parseLagMonitorConfig(
      {
        monitorName: 'kbridge-rehearsal',
        clusters: [
          { name: 'source', groups: options.groups },
          { name: 'target', groups: options.groups },
        ],
        bridges: [
          { bridgeId: options.bridgeId, sourceCluster: 'source', targetCluster: 'target', sourceTopics: options.topics },
          ...(options.reverseBridgeId ? [{ bridgeId: options.reverseBridgeId, sourceCluster: 'target', targetCluster: 'source', sourceTopics: options.topics }] : []),
        ],
        window: { samples: 10, minSamples: 3 },
      },
      'rehearsal lag monitor',
    );
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
    const readers = new Map<string, LagReader | Error>([
      ['source', this.readers.source],
      ['target', this.readers.target],
    ]);
    const report = await runLagMonitor(this.config, { readers, store: this.store, publish: this.options.publish, now });
    const atMs = now();
    const totals = this.options.totals();
    const seconds = Math.max(0.001, (atMs - this.last.atMs) / 1000);
    const bridge = report.bridges.find((b) => b.bridgeId === this.options.bridgeId);
    const reverse = report.bridges.find((b) => b.bridgeId === this.options.reverseBridgeId);
    const sample: RehearsalSample = {
      atMs,
      sourceGroupLag: sumGroups(report.clusters.find((c) => c.cluster === 'source')?.groups),
      bridgeLag: bridge && bridge.error === undefined ? bridge.sumOffsetLag : null,
      targetGroupLag: sumGroups(report.clusters.find((c) => c.cluster === 'target')?.groups),
      ...(this.options.reverseBridgeId ? { reverseBridgeLag: reverse && reverse.error === undefined ? reverse.sumOffsetLag : null } : {}),
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
 * Total offset lag over the groups the lag monitor could measure on one cluster; null when it measured none
 * (the target groups before the cutover seeds them do not exist yet).
 *
 * @example
 * ```ts
 * sumGroups([{ groupId: 'a', status: 'OK', sumOffsetLag: '40', maxOffsetLag: '20', maxTimeLagMs: 0 }]); // "40"
 * ```
 */
export function sumGroups(groups: LagMonitorReport['clusters'][number]['groups'] | undefined): string | null {
  const readable = (groups ?? []).filter((g) => g.error === undefined);
  if (readable.length === 0) return null;
  return readable.reduce((sum, g) => sum + BigInt(g.sumOffsetLag), 0n).toString();
}
