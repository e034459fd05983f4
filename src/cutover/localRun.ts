import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ConfigError, describeError } from '../errors';
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
}

export interface LocalRunOptions {
  deps: CutoverDeps;
  /** Defaults to {@link CUTOVER_DEFINITION_PATH}. */
  definitionPath?: string;
  /** Milliseconds between polls of the waiting steps (replaces the definition's Retry intervals). Default 1000. */
  pollMs?: number;
  onProgress?: (p: CutoverProgress) => void;
  /** Manual approval: resolve true to continue, false to roll back. Default: refuse (→ rollback). */
  approve?: (plan: CutoverDeps['plan']) => Promise<boolean>;
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
  const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  const retryIntervals: Record<string, number> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type !== 'Task') continue;
    const step = state.Parameters?.step ?? state.Parameters?.Payload?.step;
    if (step === undefined) throw new ConfigError(`Task state ${name} has no Parameters.step; the local runner cannot map it`, { field: name });
    retryIntervals[name] = pollMs;
    if (step === 'approval') {
      handlers[name] = async () => {
        report({ state: name, event: 'entered', step, detail: 'waiting for manual approval' });
        const ok = options.approve ? await options.approve(deps.plan) : false;
        if (!ok) throw Object.assign(new Error('The operator did not approve the switch'), { name: 'ApprovalRejected' });
        return { approved: true };
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
  const execution = machine.run({ plan: structuredCloneJson(deps.plan) } as never, {
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
    const output = await execution.result;
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
