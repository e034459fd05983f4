import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { createS3AuditLog, DEFAULT_AUDIT_PREFIX } from '../../adapters/aws/audit';
import { resolveAwsClientConfig } from '../../adapters/aws/clientConfig';
import { createJsonlAuditLog } from '../../adapters/local/audit';
import { parseJsonVariable } from '../../config/parse';
import { buildFailbackPlan, forwardFactsFromAudit, reportMskOnly } from '../../cutover/failback';
import { connectionOf, CutoverSteps, parsePlan, type CutoverPlan, type CutoverStepName } from '../../cutover/plan';
import { ConfigError, describeError } from '../../errors';
import type { AuditRecord } from '../../ports/auditLog';
import { createKafkaClient } from '../../kafka';
import { createCliSecretReader } from '../connectionOptions';
import { runPlan, type CutoverOptions } from './cutover';

interface FailbackOptions extends CutoverOptions {
  failAt?: string;
  cutoverId?: string;
  printInput?: boolean;
  auditBucket?: string;
  auditPrefix: string;
}

/**
 * The forward cutover's audit records: from the deployed state machine's S3 bucket (`--audit-bucket`, its
 * CUTOVER_AUDIT_BUCKET; AWS credentials, region and endpoint from the environment), else from the local JSON-lines
 * file (`--audit`). Says on stderr when there are none: the reversed plan then needs every `sourceValue`.
 */
async function forwardAudit(opts: FailbackOptions, cutoverId: string): Promise<AuditRecord[]> {
  let records: AuditRecord[];
  let where: string;
  if (opts.auditBucket !== undefined) {
    where = `s3://${opts.auditBucket}/${opts.auditPrefix}${cutoverId}/`;
    const audit = createS3AuditLog(resolveAwsClientConfig(process.env), { bucket: opts.auditBucket, prefix: opts.auditPrefix });
    try {
      records = await audit.list(cutoverId);
    } finally {
      audit.close();
    }
  } else {
    where = opts.audit;
    records = await createJsonlAuditLog(opts.audit).list(cutoverId);
  }
  if (records.length === 0) process.stderr.write(`warning: no audit records of cutover ${cutoverId} in ${where}\n`);
  return records;
}

async function loadPlan(path: string | undefined): Promise<CutoverPlan> {
  if (!path) throw new ConfigError('--plan <file> is required (the forward cutover plan)', { field: 'plan' });
  return parsePlan(parseJsonVariable(path, await readFile(path, 'utf8')), path);
}

function fail(err: unknown): void {
  process.stderr.write(`${describeError(err)}\n`);
  process.exitCode = err instanceof ConfigError || (err as NodeJS.ErrnoException).code === 'ENOENT' ? 2 : 3;
}

/**
 * `kbridge cutover failback --plan plan.json` (the *forward* plan): build the reversed plan (src/cutover/failback.ts;
 * source values and created mappings from the forward run's audit), report what exists only on MSK, and run it
 * through the same definition; `--print-input` prints the Step Functions input instead. `kbridge cutover
 * decommission --plan plan.json` disables the reverse bridge (execution input `{"plan", "action": "decommission"}`).
 */
export function registerFailback(cutover: Command): void {
  cutover
    .command('failback')
    .description('Move consumers and producers back from the target (MSK) to the source with the reversed plan, through the same state machine')
    .option('--fail-at <step>', `inject a failure after this failback step to rehearse its rollback (${CutoverSteps.join(', ')})`)
    .option('--cutover-id <id>', 'id of the failback run (default <cutoverId>-failback)')
    .option('--print-input', 'print the Step Functions execution input ({"plan": <reversed plan>}) and exit')
    .option('--audit-bucket <bucket>', "read the forward cutover's audit from this S3 bucket (the deployed state machine's CUTOVER_AUDIT_BUCKET) instead of --audit")
    .option('--audit-prefix <prefix>', 'key prefix of the audit in --audit-bucket (CUTOVER_AUDIT_PREFIX)', DEFAULT_AUDIT_PREFIX)
    .action(async (_local: FailbackOptions, cmd: Command) => {
      const opts = cmd.optsWithGlobals<FailbackOptions>();
      try {
        const forward = await loadPlan(opts.plan);
        if (opts.failAt !== undefined && !(CutoverSteps as readonly string[]).includes(opts.failAt)) {
          throw new ConfigError(`--fail-at ${opts.failAt}: expected one of ${CutoverSteps.join(', ')}`, { field: 'failAt' });
        }
        const facts = forwardFactsFromAudit(await forwardAudit(opts, forward.cutoverId));
        const plan = parsePlan(
          buildFailbackPlan(forward, { facts, ...(opts.cutoverId ? { cutoverId: opts.cutoverId } : {}), ...(opts.failAt ? { failAt: opts.failAt as CutoverStepName } : {}) }),
          'failback plan',
        );
        if (opts.printInput) {
          process.stdout.write(`${JSON.stringify({ plan }, null, 2)}\n`);
          return;
        }
        const secrets = await createCliSecretReader([connectionOf(plan, 'source')], process.env);
        const msk = await createKafkaClient(connectionOf(plan, 'source'), secrets ? { secrets } : {});
        const mskOnly = await reportMskOnly(msk, plan);
        const out = opts.json ? process.stderr : process.stdout;
        for (const g of mskOnly.groups) out.write(`warning: group ${g.groupId} consumes ${g.topics.join(', ')} on ${plan.source.name} and is not in the plan: it stays there\n`);
        for (const t of mskOnly.topics) out.write(`warning: topic ${t.topic} (consumed by ${t.groups.join(', ')}) exists only on ${plan.source.name} / is not in the plan: it is not failed back\n`);
        await runPlan(plan, opts);
      } catch (err) {
        fail(err);
      }
    });

  cutover
    .command('decommission')
    .description('Disable the reverse bridge of a completed cutover (the team declared the migration done)')
    .action(async (_local: CutoverOptions, cmd: Command) => {
      const opts = cmd.optsWithGlobals<CutoverOptions>();
      try {
        await runPlan(await loadPlan(opts.plan), opts, 'decommission');
      } catch (err) {
        fail(err);
      }
    });
}
