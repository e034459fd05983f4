import type { Command } from 'commander';
import { ConfigError } from '../../errors';
import { addConnectionOptions, cliKafkaLogLevel, createCliSecretReader, resolveConnection, SINGLE_SIDE } from '../connectionOptions';

interface LagOptions {
  group: string[];
  include?: string;
  exclude?: string;
  cluster: string;
  json?: boolean;
  watch?: boolean;
  interval: string;
  worst: string;
  samples?: string;
}

function regex(value: string | undefined, flag: string): RegExp | undefined {
  if (value === undefined) return undefined;
  try {
    return new RegExp(value);
  } catch {
    throw new ConfigError(`${flag} "${value}" is not a valid regular expression`, { field: flag });
  }
}

function positiveInt(value: string, flag: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new ConfigError(`${flag} expects a positive whole number, got "${value}"`, { field: flag });
  return Number(value);
}

/**
 * `kbridge lag`: consumer lag per group (offset lag to the last stable offset, time lag of the next record),
 * as a table or `--json`; `--watch` repeats every `--interval` seconds and adds Burrow-style status over the
 * samples seen. Exit code 1 when a group cannot be read (status ERR).
 */
export function register(program: Command): void {
  const lag = program
    .command('lag')
    .description('Consumer lag and time lag per group, topic and partition (status over samples with --watch)')
    .option('--group <id>', 'a group to measure (repeatable); default all groups', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--include <regex>', 'only groups matching this pattern')
    .option('--exclude <regex>', 'skip groups matching this pattern')
    .option('--cluster <name>', 'cluster name shown in output', 'kafka')
    .option('--json', 'machine output (offsets as decimal strings)')
    .option('--watch', 'repeat until interrupted; status uses the samples seen so far')
    .option('--interval <seconds>', 'seconds between samples with --watch', '10')
    .option('--worst <n>', 'worst partitions shown per group in the table', '5')
    .option('--samples <n>', 'with --watch, stop after this many samples');
  addConnectionOptions(lag, SINGLE_SIDE).action(async (opts: LagOptions) => {
      const [{ createKafkaClient }, { KafkaLagReader }, { computeLag }, { evaluateStatus, toGroupSample }, { appendSample }, { toLagJson }, { renderLagTable }] =
        await Promise.all([
          import('../../kafka'),
          import('../../lag/kafkaLagReader'),
          import('../../lag/computeLag'),
          import('../../lag/status'),
          import('../../lag/sampleStore'),
          import('../../lag/json'),
          import('../../lag/table'),
        ]);
      const connection = { ...(await resolveConnection(opts, SINGLE_SIDE, process.env)), name: opts.cluster };
      const selection = {
        ...(opts.group.length > 0 ? { groups: opts.group } : {}),
        ...(opts.include !== undefined ? { include: regex(opts.include, '--include') } : {}),
        ...(opts.exclude !== undefined ? { exclude: regex(opts.exclude, '--exclude') } : {}),
      };
      const intervalMs = positiveInt(opts.interval, '--interval') * 1000;
      const worst = positiveInt(opts.worst, '--worst');
      const maxSamples = opts.samples === undefined ? (opts.watch ? Infinity : 1) : positiveInt(opts.samples, '--samples');
      const secrets = await createCliSecretReader([connection], process.env);
      const kafka = await createKafkaClient(connection, { retries: 2, logLevel: cliKafkaLogLevel(process.env), ...(secrets ? { secrets } : {}) });
      // The adapter's admin reports a failed connect as a KBridgeError naming the cluster and mechanism.
      const reader = await KafkaLagReader.connect(kafka, { cluster: opts.cluster });
      const windows = new Map<string, ReturnType<typeof toGroupSample>[]>();
      let stop = false;
      const onSignal = (): void => {
        stop = true;
      };
      process.once('SIGINT', onSignal);
      let anyError = false;
      try {
        for (let n = 0; n < maxSamples && !stop; n++) {
          if (n > 0) await new Promise((r) => setTimeout(r, intervalMs));
          if (stop) break;
          const snapshot = await computeLag(reader, selection);
          const statuses = new Map(
            snapshot.groups.map((g) => {
              const w = appendSample(windows.get(g.groupId) ?? [], toGroupSample(g), 10);
              windows.set(g.groupId, w);
              return [g.groupId, evaluateStatus(w, { minSamples: 3 })] as const;
            }),
          );
          anyError = snapshot.groups.some((g) => g.error !== undefined);
          process.stdout.write(opts.json ? `${JSON.stringify(toLagJson(snapshot, statuses))}\n` : `${renderLagTable(snapshot, statuses, { worst })}\n`);
        }
      } finally {
        process.off('SIGINT', onSignal);
        await reader.close();
      }
      if (anyError) process.exitCode = 1;
    });
}
