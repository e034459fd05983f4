import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { resolveAwsClientConfig } from '../../adapters/aws/clientConfig';
import { buildLocalCutoverDeps } from '../../cutover/awsDeps';
import { runCutoverLocally, type CutoverProgress } from '../../cutover/localRun';
import { parsePlan } from '../../cutover/plan';
import { parseJsonVariable } from '../../config/parse';
import { ConfigError, describeError, KBridgeError } from '../../errors';

interface CutoverOptions {
  plan: string;
  dryRun?: boolean;
  json?: boolean;
  configStore: string;
  audit: string;
  pollMs: string;
  approve?: boolean;
}

function line(p: CutoverProgress): string | undefined {
  const t = new Date(p.atMs).toISOString().slice(11, 23);
  if (p.event === 'succeeded' && p.result) {
    const changes = p.result.changes.map((c) => `${c.kind} ${c.target}: ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`);
    return `${t} ✓ ${p.state} (${p.result.status})${changes.length ? `\n      ${changes.join('\n      ')}` : ''}`;
  }
  if (p.event === 'entered') return `${t} → ${p.state}${p.detail ? ` (${p.detail})` : ''}`;
  if (p.event === 'failed') return `${t} ✗ ${p.state}: ${p.detail ?? ''}`;
  if (p.event === 'caught') return `${t} ↩ ${p.state}: caught → Rollback`;
  return undefined;
}

/**
 * `kbridge cutover --plan plan.json [--dry-run] [--json]`: run infra/cutover.asl.json locally against the
 * plan's clusters, the local config store and the emulator's control API. Exit 0 succeeded, 1 rolled back or
 * failed, 2 bad plan, 3 runtime error.
 */
export function register(program: Command): void {
  program
    .command('cutover')
    .description('Run the cutover state machine (infra/cutover.asl.json) locally: fence, drain, translate offsets, switch, verify; rollback on failure')
    .requiredOption('--plan <file>', 'cutover plan JSON (see examples/cutover-plan.json)')
    .option('--dry-run', 'print what each step would change, change nothing')
    .option('--json', 'machine output: the run result as JSON')
    .option('--config-store <file>', 'local client-config store (JSON file)', '/tmp/kbridge-local/client-config.json')
    .option('--audit <file>', 'audit log (JSON lines)', '/tmp/kbridge-local/cutover-audit.jsonl')
    .option('--poll-ms <ms>', 'poll interval of the waiting steps (replaces the definition’s retry intervals)', '1000')
    .option('--approve', 'approve the manual approval step (plans with approval: manual)')
    .action(async (opts: CutoverOptions) => {
      let plan;
      try {
        plan = parsePlan(parseJsonVariable(opts.plan, await readFile(opts.plan, 'utf8')), opts.plan);
      } catch (err) {
        process.stderr.write(`${describeError(err)}\n`);
        process.exitCode = err instanceof ConfigError || (err as NodeJS.ErrnoException).code === 'ENOENT' ? 2 : 3;
        return;
      }
      try {
        const deps = await buildLocalCutoverDeps(plan, {
          configStorePath: opts.configStore,
          auditPath: opts.audit,
          dryRun: opts.dryRun === true,
          ...(plan.configEntries.some((e) => e.store !== 'local') ? { aws: resolveAwsClientConfig(process.env) } : {}),
        });
        const result = await runCutoverLocally({
          deps,
          pollMs: Number(opts.pollMs),
          approve: async () => opts.approve === true || opts.dryRun === true,
          onProgress: (p) => {
            if (opts.json) return;
            const text = line(p);
            if (text) process.stdout.write(`${text}\n`);
          },
        });
        if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        else process.stdout.write(`${result.status}${result.error ? `: ${result.error}: ${result.cause}` : ''} in ${result.durationMs} ms\n`);
        process.exitCode = result.status === 'SUCCEEDED' ? 0 : 1;
      } catch (err) {
        process.stderr.write(`${describeError(err)}\n`);
        process.exitCode = err instanceof KBridgeError && err.name === 'ConfigError' ? 2 : 3;
      }
    });
}
