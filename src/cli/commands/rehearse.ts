import type { Command } from 'commander';
import { z } from 'zod';
import { parseConfig } from '../../config/parse';
import { CutoverSteps } from '../../cutover/plan';
import { ConfigError } from '../../errors';

/** Seconds on the target between the cutover and the failback (`--failback`), and on the source after it. */
const DEFAULT_DWELL_SECONDS = 20;

const OptionsSchema = z
  .object({
    rate: z.coerce.number({ invalid_type_error: 'expected records per second' }).int('expected a whole number').min(1).max(20_000),
    duration: z.coerce.number({ invalid_type_error: 'expected seconds' }).int('expected whole seconds').min(5).max(3600),
    topics: z.coerce.number({ invalid_type_error: 'expected a count' }).int().min(1).max(20),
    partitions: z.coerce.number({ invalid_type_error: 'expected a count' }).int().min(1).max(64),
    pattern: z.enum(['stop-drain-switch', 'consumers-first']),
    kafkaVersion: z.string().regex(/^[34]\.\d+\.\d+$/, 'expected an Apache Kafka release such as "3.9.2" or "4.1.1"').optional(),
    keep: z.boolean().default(false),
    json: z.boolean().default(false),
    out: z.string().min(1),
    failAt: z.enum(CutoverSteps).optional(),
    failback: z.boolean().default(false),
    dwell: z.coerce.number({ invalid_type_error: 'expected seconds' }).int('expected whole seconds').min(5).max(3600).optional(),
  })
  .strict();

/**
 * `kbridge rehearse`: a whole migration rehearsed on this machine (what `npm start` runs). Progress on the
 * terminal (or one JSON object per line with `--json`), the report in `--out`; exit 1 when anything was lost or
 * duplicated or a cutover step failed. `--failback` rehearses the way back too: forward cutover with the reverse
 * bridge, `--dwell` seconds on the target, then the reversed plan through the same state machine; `--fail-at` then
 * names a step of the failback.
 */
export function register(program: Command): void {
  program
    .command('rehearse')
    .description('Rehearse a whole migration locally under load: clusters, producer and consumers, bridge, lag, cutover, verification, report')
    .option('--rate <n>', 'records per second produced (over all topics)', '100')
    .option('--duration <s>', 'seconds of load (extended until the cutover finished + 5 s)', '60')
    .option('--topics <n>', 'number of topics', '3')
    .option('--partitions <n>', 'partitions per topic', '3')
    .option('--pattern <p>', 'cutover pattern: stop-drain-switch | consumers-first', 'stop-drain-switch')
    .option('--kafka-version <v>', 'Apache Kafka version of the local clusters (default: the local default, 3.9.2)')
    .option('--keep', 'leave the clusters and topics in place and print their addresses and names')
    .option('--json', 'progress as JSON lines on stdout, ending with a {"type":"result"} line')
    .option('--out <dir>', 'report directory', 'rehearsal-report')
    .option('--fail-at <step>', `rehearse a failure: this cutover step fails after acting, the rollback runs; with --failback, the step of the failback (the forward cutover runs clean) (${CutoverSteps.join(' | ')})`)
    .option('--failback', 'rehearse the way back too: forward cutover with the reverse bridge, --dwell seconds on the target, then fail back to the source with the reversed plan and run there again')
    .option('--dwell <s>', `with --failback: seconds on the target between the cutover and the failback, and on the source after it (default: ${DEFAULT_DWELL_SECONDS})`)
    .action(async (raw: Record<string, unknown>) => {
      const opts = parseConfig(OptionsSchema, raw, 'kbridge rehearse options');
      if (opts.dwell !== undefined && !opts.failback) throw new ConfigError('--dwell applies to a failback rehearsal only; add --failback or leave --dwell out', { field: 'dwell' });
      const [{ runRehearsal }, { stepFunctionsCutoverRunner }, { createProgressPrinter }] = await Promise.all([
        import('../../local/rehearsal/rehearse'),
        import('../../local/rehearsal/cutover'),
        import('../../local/rehearsal/progress'),
      ]);
      const printer = createProgressPrinter({ json: opts.json, tty: process.stdout.isTTY === true, write: (s) => process.stdout.write(s) });
      // First Ctrl-C: stop the load, finish up and write the report; a second one quits at once.
      const controller = new AbortController();
      const onSignal = (): void => {
        if (controller.signal.aborted) process.exit(130);
        process.stderr.write('\nkbridge rehearse: interrupted; stopping the load and writing the report (Ctrl-C again to quit now)\n');
        controller.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const result = await runRehearsal(
        {
          ratePerSecond: opts.rate,
          durationSeconds: opts.duration,
          topics: opts.topics,
          partitions: opts.partitions,
          pattern: opts.pattern,
          ...(opts.kafkaVersion ? { kafkaVersion: opts.kafkaVersion } : {}),
          keep: opts.keep,
          outDir: opts.out,
          ...(opts.failAt ? { failAt: opts.failAt } : {}),
          ...(opts.failback ? { failback: { dwellSeconds: opts.dwell ?? DEFAULT_DWELL_SECONDS } } : {}),
        },
        { env: process.env, runner: stepFunctionsCutoverRunner(), onEvent: printer.event, signal: controller.signal },
      ).finally(() => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      });
      printer.result(result.report, opts.out, result.kept);
      process.exitCode = result.report.ok ? 0 : 1;
    });
}
