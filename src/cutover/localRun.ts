import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ConfigError, describeError } from '../errors';
import { awaitApprovalDecision, newTaskToken, type ApprovalDecision, type PendingApproval } from './approval';
import type { CutoverDeps, StepResult } from './context';
import { cutoverSteps, type CutoverStepKey, type StepInput } from './steps';

/** The committed definition, next to the package root. */
export const CUTOVER_DEFINITION_PATH = fileURLToPath(new URL('../../infra/cutover.asl.json', import.meta.url));

/** One progress line of a local run. */
export interface CutoverProgress {
  atMs: number;
  state: string;
  event: 'entered' | 'succeeded' | 'retry' | 'caught' | 'failed';
  step?: string;
  detail?: string;
  result?: StepResult;
  /** The approval state's task token, on its `entered` line. */
  taskToken?: string;
}

export interface LocalRunOptions {
  deps: CutoverDeps;
  /** Defaults to {@link CUTOVER_DEFINITION_PATH}. */
  definitionPath?: string;
  /** Milliseconds between polls of the waiting steps (replaces the definition's Retry intervals). Default 1000. */
  pollMs?: number;
  onProgress?: (p: CutoverProgress) => void;
  /**
   * Manual approval (SendTaskSuccess / SendTaskFailure): resolve true or `{approved: true}` to continue, false or
   * `{approved: false, error, cause}` to roll back. `request` carries the task token of this wait. Default: the
   * file channel in `runDir` ({@link awaitApprovalDecision}, answered by `kbridge cutover approve`); without a
   * `runDir`, refuse (→ rollback). The definition's `TimeoutSecondsPath` bounds the wait (States.Timeout → rollback).
   */
  approve?: (plan: CutoverDeps['plan'], request: PendingApproval) => Promise<boolean | ApprovalDecision>;
  /** Where a local run publishes its pending approval (and the CLI its log). */
  runDir?: string;
  /** Execution input `action`: `decommission` disables the reverse bridge instead of cutting over. */
  action?: 'decommission';
}

export interface LocalRunResult {
  status: 'SUCCEEDED' | 'ROLLED_BACK' | 'FAILED';
  error?: string;
  cause?: string;
  output?: unknown;
  durationMs: number;
  progress: CutoverProgress[];
}

async function loadStepFunctions(): Promise<typeof import('aws-local-stepfunctions')> {
  // aws-local-stepfunctions 3.x calls Promise.withResolvers (Node 22+); Node 20 lacks it.
  const P = Promise as unknown as { withResolvers?: <T>() => { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } };
  if (typeof P.withResolvers !== 'function') {
    P.withResolvers = <T>() => {
      let resolve!: (v: T) => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    };
  }
  return import('aws-local-stepfunctions');
}

interface TaskState {
  Type: string;
  Parameters?: { step?: string; Payload?: { step?: string }; phase?: string };
  Retry?: Array<{ ErrorEquals: string[] }>;
}

/**
 * Run infra/cutover.asl.json — the same definition AWS runs — with aws-local-stepfunctions: every Task is
 * mapped by its `Parameters.step` to the core step over `deps` (local adapters, real clusters), waits and
 * retry intervals shortened to `pollMs`. Resolves with the outcome; never throws for a failed cutover.
 *
 * @example
 * ```ts
 * const result = await runCutoverLocally({ deps, onProgress: (p) => console.log(p.state, p.event) });
 * ```
 */
export async function runCutoverLocally(options: LocalRunOptions): Promise<LocalRunResult> {
  const { deps } = options;
  const started = Date.now();
  const definition = JSON.parse(await readFile(options.definitionPath ?? CUTOVER_DEFINITION_PATH, 'utf8')) as { States: Record<string, TaskState> };
  const { StateMachine, ExecutionError } = await loadStepFunctions();
  const progress: CutoverProgress[] = [];
  const report = (p: Omit<CutoverProgress, 'atMs'>): void => {
    const line = { atMs: Date.now(), ...p };
    progress.push(line);
    options.onProgress?.(line);
  };
  const pollMs = options.pollMs ?? 1000;
  const waits = new AbortController();
  const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  const retryIntervals: Record<string, number> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type !== 'Task') continue;
    const step = state.Parameters?.step ?? state.Parameters?.Payload?.step;
    if (step === undefined) throw new ConfigError(`Task state ${name} has no Parameters.step; the local runner cannot map it`, { field: name });
    retryIntervals[name] = pollMs;
    if (step === 'approval') {
      // aws-local-stepfunctions resolves TimeoutSecondsPath against the Parameters output, AWS against the state
      // input; the local run takes the same value from the parsed plan.
      const approvalState = state as TaskState & { TimeoutSecondsPath?: string; TimeoutSeconds?: number };
      delete approvalState.TimeoutSecondsPath;
      approvalState.TimeoutSeconds = deps.plan.timeouts.approvalSeconds;
      handlers[name] = async () => {
        const { plan } = deps;
        const pending: PendingApproval = { cutoverId: plan.cutoverId, state: name, taskToken: newTaskToken(plan.cutoverId), requestedAt: new Date().toISOString() };
        const audit = (detail: unknown): Promise<void> =>
          deps.dryRun ? Promise.resolve() : deps.audit.append({ cutoverId: plan.cutoverId, step: 'approval', event: 'probe', at: new Date().toISOString(), detail });
        await audit({ pending: true, state: name, taskToken: pending.taskToken });
        report({ state: name, event: 'entered', step, detail: 'waiting for manual approval', taskToken: pending.taskToken });
        // The engine fails the state with States.Timeout at approvalSeconds and moves on: stop waiting then too,
        // and settle quietly (nobody awaits this promise any more).
        const stop = new AbortController();
        const timer = setTimeout(() => stop.abort(new Error('approval timed out')), plan.timeouts.approvalSeconds * 1000);
        const onEnd = (): void => stop.abort(new Error('execution ended'));
        waits.signal.addEventListener('abort', onEnd);
        try {
          let answer: boolean | ApprovalDecision;
          try {
            answer = options.approve
              ? await options.approve(plan, pending)
              : options.runDir
                ? await awaitApprovalDecision(options.runDir, pending, { signal: stop.signal })
                : false;
          } catch (err) {
            if (!stop.signal.aborted) throw err;
            await audit({ pending: false, state: name, taskToken: pending.taskToken, approved: false, error: 'States.Timeout', cause: String((stop.signal.reason as Error).message) });
            return { approved: false };
          }
          const decision: ApprovalDecision =
            typeof answer === 'boolean' ? (answer ? { approved: true } : { approved: false, error: 'ApprovalRejected', cause: 'The operator did not approve the switch' }) : answer;
          await audit({ pending: false, state: name, taskToken: pending.taskToken, ...decision });
          if (!decision.approved) throw Object.assign(new Error(decision.cause), { name: decision.error });
          return { approved: true };
        } finally {
          clearTimeout(timer);
          waits.signal.removeEventListener('abort', onEnd);
        }
      };
      continue;
    }
    if (!(step in cutoverSteps)) throw new ConfigError(`Task state ${name} names unknown step "${step}"`, { field: name });
    handlers[name] = async (input: unknown) => {
      const stepInput = input as StepInput;
      const result = await cutoverSteps[step as CutoverStepKey](deps, stepInput);
      report({ state: name, event: 'succeeded', step, result });
      return result as unknown;
    };
  }
  const machine = new StateMachine(definition as never, { validationOptions: { checkArn: false, checkPaths: true } });
  const execution = machine.run({ plan: structuredCloneJson(deps.plan), ...(options.action ? { action: options.action } : {}) } as never, {
    overrides: { taskResourceLocalHandlers: handlers as never, retryIntervalOverrides: retryIntervals },
    context: { Execution: { Id: `local:${deps.plan.cutoverId}`, Name: deps.plan.cutoverId }, Task: { Token: `local-${deps.plan.cutoverId}` } } as never,
  });
  const logs = (async () => {
    for await (const e of execution.eventLogs) {
      const ev = e as { type: string; state?: { name: string }; Error?: string; Cause?: string };
      if (!ev.state) continue;
      if (ev.type === 'StateEntered') report({ state: ev.state.name, event: 'entered' });
      else if (ev.type === 'StateRetried') report({ state: ev.state.name, event: 'retry' });
      else if (ev.type === 'StateCaught') report({ state: ev.state.name, event: 'caught' });
      else if (ev.type === 'StateFailed') report({ state: ev.state.name, event: 'failed', detail: `${ev.Error ?? ''}: ${ev.Cause ?? ''}` });
    }
  })().catch(() => undefined);
  try {
    const output = await execution.result.finally(() => waits.abort(new Error('execution ended')));
    await logs;
    return { status: 'SUCCEEDED', output, durationMs: Date.now() - started, progress };
  } catch (err) {
    await logs;
    const e = err as { name?: string; message?: string; cause?: { name?: string; message?: string } };
    const inner = err instanceof ExecutionError ? (e.cause ?? e) : e;
    const rolledBack = progress.some((p) => p.step === 'rollback' && p.event === 'succeeded');
    return {
      status: rolledBack ? 'ROLLED_BACK' : 'FAILED',
      error: inner.name ?? 'Error',
      cause: inner.message ?? describeError(err),
      durationMs: Date.now() - started,
      progress,
    };
  }
}

function structuredCloneJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}
