import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { resolveAwsClientConfig } from '../../adapters/aws/clientConfig';
import { findRunDirByToken, sendApprovalDecision } from '../../cutover/approval';
import { buildLocalCutoverDeps } from '../../cutover/awsDeps';
import { runCutoverLocally, type CutoverProgress } from '../../cutover/localRun';
import { connectionOf, parsePlan, type CutoverPlan } from '../../cutover/plan';
import { parseJsonVariable } from '../../config/parse';
import { ConfigError, describeError, KBridgeError } from '../../errors';
import { createJsonLineLogger } from '../../kafka/logging';
import { createCliSecretReader } from '../connectionOptions';
import { registerFailback } from './failback';

/** Where local runs keep their run directories (log file, pending approval): `<root>/<cutoverId>`. */
export const CUTOVER_RUNS_ROOT = '/tmp/kbridge-local/cutover';

export interface CutoverOptions {
  plan: string;
  dryRun?: boolean;
  json?: boolean;
  configStore: string;
  audit: string;
  pollMs: string;
  approve?: boolean;
  runDir?: string;
  verbose?: boolean;
}

interface ApproveOptions {
  runDir?: string;
  token?: string;
  reject?: boolean;
  error: string;
  cause?: string;
  json?: boolean;
}

function line(p: CutoverProgress): string | undefined {
  const t = new Date(p.atMs).toISOString().slice(11, 23);
  if (p.event === 'succeeded' && p.result) {
    const dry = p.result.status === 'dry-run';
    const changes = p.result.changes.map((c) => `${dry ? 'would change ' : ''}${c.kind} ${c.target}: ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`);
    const would = dry && p.result.detail !== undefined && changes.length === 0 ? [`would: ${JSON.stringify(p.result.detail)}`] : [];
    const all = [...changes, ...would];
    return `${t} ✓ ${p.state} (${p.result.status})${all.length ? `\n      ${all.join('\n      ')}` : dry ? '\n      no change' : ''}`;
  }
  if (p.event === 'entered') return `${t} → ${p.state}${p.detail ? ` (${p.detail})` : ''}`;
  if (p.event === 'failed') return `${t} ✗ ${p.state}: ${p.detail ?? ''}`;
  if (p.event === 'caught') return `${t} ↩ ${p.state}: caught → Rollback`;
  return undefined;
}

function approvalHint(runDir: string, token: string): string {
  return (
    `      waiting for manual approval; task token ${token}\n` +
    `      approve: kbridge cutover approve --run-dir ${runDir}\n` +
    `      reject (→ rollback): kbridge cutover approve --run-dir ${runDir} --reject --cause "<why>"\n`
  );
}

/**
 * Run a parsed plan locally (the body of `kbridge cutover`, also used by `failback` and `decommission`): progress
 * on stdout (or the `--json` result), exit code 0 succeeded, 1 rolled back or failed, 2 config, 3 runtime error.
 */
export async function runPlan(plan: CutoverPlan, opts: CutoverOptions, action?: 'decommission'): Promise<void> {
  const dryRun = opts.dryRun === true;
  if (dryRun && plan.failAt !== undefined) {
    process.stderr.write(`note: plan.failAt (${plan.failAt}) is ignored in --dry-run: nothing is changed, so there is nothing to roll back\n`);
  }
  const runDir = opts.runDir ?? join(CUTOVER_RUNS_ROOT, plan.cutoverId);
  let logFile: WriteStream | undefined;
  try {
    mkdirSync(runDir, { recursive: true });
    if (!opts.verbose) logFile = createWriteStream(join(runDir, 'cutover.log'), { flags: 'a' });
    const file = logFile;
    const logger = createJsonLineLogger({ service: 'kbridge-cutover', cutoverId: plan.cutoverId }, file ? (l) => file.write(`${l}\n`) : undefined);
    // Clusters whose auth names a secret (SASL, mTLS, root CA): read it from Secrets Manager (AWS_* settings).
    const secrets = await createCliSecretReader([connectionOf(plan, 'source'), connectionOf(plan, 'target')], process.env);
    const deps = await buildLocalCutoverDeps(plan, {
      configStorePath: opts.configStore,
      auditPath: opts.audit,
      dryRun,
      kafkaDeps: { logger, ...(secrets ? { secrets } : {}) },
      ...(plan.configEntries.some((e) => e.store !== 'local') ? { aws: resolveAwsClientConfig(process.env) } : {}),
    });
    const autoApprove = opts.approve === true || dryRun;
    const result = await runCutoverLocally({
      deps,
      ...(action ? { action } : {}),
      pollMs: Number(opts.pollMs),
      runDir,
      ...(autoApprove ? { approve: async () => true } : {}),
      onProgress: (p) => {
        if (p.taskToken && !autoApprove) process[opts.json ? 'stderr' : 'stdout'].write(approvalHint(runDir, p.taskToken));
        if (opts.json) return;
        const text = line(p);
        if (text) process.stdout.write(`${text}\n`);
      },
    });
    if (opts.json) process.stdout.write(`${JSON.stringify({ ...result, runDir }, null, 2)}\n`);
    else process.stdout.write(`${result.status}${result.error ? `: ${result.error}: ${result.cause}` : ''} in ${result.durationMs} ms${logFile ? ` (log: ${join(runDir, 'cutover.log')})` : ''}\n`);
    process.exitCode = result.status === 'SUCCEEDED' ? 0 : 1;
  } catch (err) {
    process.stderr.write(`${describeError(err)}\n`);
    process.exitCode = err instanceof KBridgeError && err.name === 'ConfigError' ? 2 : 3;
  } finally {
    logFile?.end();
  }
}

/**
 * `kbridge cutover --plan plan.json [--dry-run] [--json]`: run infra/cutover.asl.json locally against the
 * plan's clusters, the local config store and the emulator's control API. Exit 0 succeeded, 1 rolled back or
 * failed, 2 bad plan, 3 runtime error. `kbridge cutover approve` answers a paused run's manual approval.
 * stdout carries only progress (or the `--json` result); library logs go to `<run-dir>/cutover.log`
 * (stderr with `--verbose`).
 */
export function register(program: Command): void {
  const cutover = program
    .command('cutover')
    .description('Run the cutover state machine (infra/cutover.asl.json) locally: fence, drain, translate offsets, switch, verify; rollback on failure')
    .option('--plan <file>', 'cutover plan JSON (see examples/cutover-plan.json); required unless a subcommand is given')
    .option('--dry-run', 'print what each step would change, change nothing (plan.failAt is ignored)')
    .option('--json', 'machine output: the run result as JSON')
    .option('--config-store <file>', 'local client-config store (JSON file)', '/tmp/kbridge-local/client-config.json')
    .option('--audit <file>', 'audit log (JSON lines)', '/tmp/kbridge-local/cutover-audit.jsonl')
    .option('--poll-ms <ms>', 'poll interval of the waiting steps (replaces the definition’s retry intervals)', '1000')
    .option('--approve', 'approve the manual approval step at once (plans with approval: manual), non-interactive')
    .option('--run-dir <dir>', `run directory: cutover.log and the pending approval (default ${CUTOVER_RUNS_ROOT}/<cutoverId>)`)
    .option('--verbose', 'Kafka client library logs on stderr instead of <run-dir>/cutover.log')
    .action(async (opts: CutoverOptions) => {
      if (!opts.plan) {
        process.stderr.write('error: --plan <file> is required (or use a subcommand: kbridge cutover approve)\n');
        process.exitCode = 2;
        return;
      }
      let plan;
      try {
        plan = parsePlan(parseJsonVariable(opts.plan, await readFile(opts.plan, 'utf8')), opts.plan);
      } catch (err) {
        process.stderr.write(`${describeError(err)}\n`);
        process.exitCode = err instanceof ConfigError || (err as NodeJS.ErrnoException).code === 'ENOENT' ? 2 : 3;
        return;
      }
      await runPlan(plan, opts);
    });

  registerFailback(cutover);

  cutover
    .command('approve')
    .description('Answer the manual approval a local cutover run waits for (like SendTaskSuccess / SendTaskFailure)')
    .option('--run-dir <dir>', 'run directory of the waiting run (printed by kbridge cutover)')
    .option('--token <token>', 'task token of the waiting approval (printed by kbridge cutover); finds its run under the default root')
    .option('--reject', 'send failure instead: the run rolls back')
    .option('--error <name>', 'error name sent with --reject', 'ApprovalRejected')
    .option('--cause <text>', 'cause sent with --reject')
    .option('--json', 'machine output')
    .action(async (_local: ApproveOptions, cmd: Command) => {
      // `cutover` declares --run-dir and --json too and commander lets the parent take them: read both levels.
      const opts = cmd.optsWithGlobals<ApproveOptions>();
      try {
        if (!opts.runDir && !opts.token) throw new ConfigError('Give --run-dir <dir> or --token <token> of the waiting cutover', { field: 'runDir' });
        const runDir = opts.runDir ?? (await findRunDirByToken(CUTOVER_RUNS_ROOT, opts.token as string));
        if (!runDir) throw new ConfigError(`No cutover under ${CUTOVER_RUNS_ROOT} waits for approval with that task token; expected the token a paused run printed`, { field: 'token' });
        const decision = opts.reject
          ? { approved: false as const, error: opts.error, cause: opts.cause ?? 'Rejected by the operator (kbridge cutover approve --reject)' }
          : { approved: true as const };
        const pending = await sendApprovalDecision(runDir, decision, opts.token);
        if (opts.json) process.stdout.write(`${JSON.stringify({ cutoverId: pending.cutoverId, state: pending.state, runDir, ...decision })}\n`);
        else process.stdout.write(`${decision.approved ? 'approved' : 'rejected'}: cutover ${pending.cutoverId} (${pending.state})\n`);
      } catch (err) {
        process.stderr.write(`${describeError(err)}\n`);
        process.exitCode = err instanceof ConfigError ? 2 : 3;
      }
    });
}
