import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, LocalEnvironmentError } from '../errors';

/**
 * Manual approval of a local cutover, the local twin of Step Functions' task token: the run writes
 * `approval-pending.json` (cutover id, state, token) into its run directory and waits; an operator answers with
 * `kbridge cutover approve` ({@link sendApprovalDecision}), which writes `approval-decision.json` — like
 * SendTaskSuccess / SendTaskFailure. A rejection fails the approval state, whose Catch starts the rollback.
 */

/** What the operator sent: success (continue to the switch) or failure (error name and cause → rollback). */
export type ApprovalDecision = { approved: true } | { approved: false; error: string; cause: string };

/** What a waiting run publishes in its run directory. */
export interface PendingApproval {
  cutoverId: string;
  state: string;
  taskToken: string;
  requestedAt: string;
}

const PENDING = 'approval-pending.json';
const DECISION = 'approval-decision.json';

/** A fresh opaque task token (Step Functions' tokens are opaque too). */
export function newTaskToken(cutoverId: string): string {
  return `${cutoverId}:${randomUUID()}`;
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new LocalEnvironmentError(`Cannot read ${path}`, { cause: err });
  }
}

async function writeJsonAtomically(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`);
  await rename(tmp, path);
}

/**
 * Publish a pending approval in `runDir` and wait for the decision carrying its token (polling every `pollMs`).
 * Resolves with the decision; the files are removed once it is read. `signal` aborts the wait.
 *
 * @example
 * ```ts
 * const decision = await awaitApprovalDecision('/tmp/kbridge-local/cutover/orders', { cutoverId, state: 'AwaitApproval', taskToken, requestedAt });
 * ```
 */
export async function awaitApprovalDecision(runDir: string, pending: PendingApproval, options: { pollMs?: number; signal?: AbortSignal } = {}): Promise<ApprovalDecision> {
  await mkdir(runDir, { recursive: true });
  await rm(join(runDir, DECISION), { force: true });
  await writeJsonAtomically(join(runDir, PENDING), pending);
  try {
    for (;;) {
      const got = await readJson<ApprovalDecision & { taskToken: string }>(join(runDir, DECISION));
      // A decision for an older token (a previous run) is ignored, as Step Functions rejects a stale token.
      if (got && got.taskToken === pending.taskToken) {
        return got.approved ? { approved: true } : { approved: false, error: got.error, cause: got.cause };
      }
      if (options.signal?.aborted) throw options.signal.reason;
      await new Promise((r) => setTimeout(r, options.pollMs ?? 250));
    }
  } finally {
    await rm(join(runDir, PENDING), { force: true });
    await rm(join(runDir, DECISION), { force: true });
  }
}

/**
 * The approval a run in `runDir` waits for, if any.
 *
 * @example
 * ```ts
 * const pending = await readPendingApproval(runDir); // { cutoverId, state, taskToken, requestedAt } | undefined
 * ```
 */
export function readPendingApproval(runDir: string): Promise<PendingApproval | undefined> {
  return readJson<PendingApproval>(join(runDir, PENDING));
}

/**
 * The run directory under `root` (one level down) whose pending approval carries `taskToken`.
 *
 * @example
 * ```ts
 * const runDir = await findRunDirByToken('/tmp/kbridge-local/cutover', token);
 * ```
 */
export async function findRunDirByToken(root: string, taskToken: string): Promise<string | undefined> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return undefined;
  }
  for (const name of names) {
    const pending = await readPendingApproval(join(root, name)).catch(() => undefined);
    if (pending?.taskToken === taskToken) return join(root, name);
  }
  return undefined;
}

/**
 * Answer the approval pending in `runDir` (SendTaskSuccess / SendTaskFailure). With `taskToken`, it must match
 * the pending one. Throws a ConfigError when nothing waits there or the token is another one.
 *
 * @example
 * ```ts
 * await sendApprovalDecision(runDir, { approved: false, error: 'ApprovalRejected', cause: 'change freeze' });
 * ```
 */
export async function sendApprovalDecision(runDir: string, decision: ApprovalDecision, taskToken?: string): Promise<PendingApproval> {
  const pending = await readPendingApproval(runDir);
  if (!pending) throw new ConfigError(`No cutover waits for approval in ${runDir}; expected a run paused at its approval state`, { field: 'runDir' });
  if (taskToken !== undefined && taskToken !== pending.taskToken) {
    throw new ConfigError(`Task token does not match the approval pending in ${runDir} (cutover ${pending.cutoverId}); expected the token the run printed`, { field: 'token' });
  }
  await writeJsonAtomically(join(runDir, DECISION), { ...decision, taskToken: pending.taskToken });
  return pending;
}
