import { readFile } from 'node:fs/promises';
import type { CutoverDeps } from '../../cutover/context';
import { CUTOVER_DEFINITION_PATH, runCutoverLocally } from '../../cutover/localRun';
import type { AuditRecord } from '../../ports/auditLog';
import type { CutoverStepTiming } from './report';

/** What the rehearsal needs from a cutover run: run the state machine to its end, say how it ended. */
export interface CutoverRunner {
  /** Shown in the report (how the state machine was executed). */
  name: string;
  run(deps: CutoverDeps, onProgress: (line: string) => void): Promise<{ status: 'succeeded' | 'failed'; error?: string; failedStep?: string }>;
}

/**
 * The per-step timeline of a cutover, read from its audit trail (the one record every runner writes): a step
 * starts when the previous one finished (or at `startedAtMs`) and ends at its `done` record; polling steps count
 * one run per probe. A step still open at the end is `failed` when the cutover failed, else `running`. A step that
 * failed before it wrote any record (preflight, a config switch with nothing to change) is `end.failedStep`, placed
 * where the rollback began.
 *
 * @example
 * ```ts
 * const steps = timelineFromAudit(await audit.list(plan.cutoverId), startedAtMs, { failed: true, error: 'x' });
 * ```
 */
export function timelineFromAudit(
  records: readonly AuditRecord[],
  startedAtMs: number,
  end: { failed: boolean; error?: string; failedStep?: string } = { failed: false },
): CutoverStepTiming[] {
  const steps: CutoverStepTiming[] = [];
  let previousEnd = startedAtMs;
  const open = (name: string): CutoverStepTiming => {
    const current = steps[steps.length - 1];
    if (current && current.step === name && current.endedAtMs === null) return current;
    const step: CutoverStepTiming = { step: name, startedAtMs: previousEnd, endedAtMs: null, attempts: 1, status: 'running' };
    steps.push(step);
    return step;
  };
  for (const r of records) {
    const at = Date.parse(r.at);
    // Rollback's own "failed" record names the failure that started it.
    if (r.step === 'rollback' && r.event === 'failed') {
      const cause = r.detail as { Error?: string; Cause?: string } | undefined;
      const error = [cause?.Error, cause?.Cause].filter(Boolean).join(': ') || 'failed';
      const last = steps[steps.length - 1];
      if (last && last.endedAtMs === null) {
        last.status = 'failed';
        last.endedAtMs = at;
        last.error = error;
        previousEnd = at;
      } else if (end.failedStep && !steps.some((s) => s.step === end.failedStep)) {
        steps.push({ step: end.failedStep, startedAtMs: previousEnd, endedAtMs: at, attempts: 1, status: 'failed', error });
        previousEnd = at;
      }
    }
    const step = open(r.step);
    if (r.event === 'probe') step.attempts = countProbes(records, r.step);
    if (r.event === 'done') {
      step.endedAtMs = at;
      step.status = 'succeeded';
      previousEnd = at;
    }
  }
  const last = steps[steps.length - 1];
  if (last && last.endedAtMs === null && end.failed) {
    last.status = 'failed';
    if (end.error) last.error = end.error;
  }
  return steps;
}

function countProbes(records: readonly AuditRecord[], step: string): number {
  return Math.max(1, records.filter((r) => r.step === step && r.event === 'probe').length);
}

/** The step a running cutover is in, from its audit trail (the newest record's step). */
export function currentStep(records: readonly AuditRecord[]): string | null {
  return records[records.length - 1]?.step ?? null;
}

/**
 * The cutover as the product runs it locally: `infra/cutover.asl.json` executed by aws-local-stepfunctions
 * (`runCutoverLocally` of src/cutover/), with waits and retry intervals shortened to `pollMs`.
 *
 * @example
 * ```ts
 * const result = await stepFunctionsCutoverRunner().run(deps, console.log);
 * ```
 */
export function stepFunctionsCutoverRunner(pollMs = 1000): CutoverRunner {
  return {
    name: 'infra/cutover.asl.json on aws-local-stepfunctions',
    run: async (deps, onProgress) => {
      // A polling step fails with NotReadyError once per poll: say "waiting" once per state, not every second.
      let waitingIn: string | undefined;
      // The first state that really failed (the rollback's cause), for steps that fail before writing any audit record.
      let failedState: string | undefined;
      const result = await runCutoverLocally({
        deps,
        pollMs,
        onProgress: (p) => {
          const notReady = p.event === 'failed' && /^NotReadyError/.test(p.detail ?? '');
          if (notReady) {
            if (waitingIn !== p.state) onProgress(`${p.state} waiting: ${(p.detail ?? '').replace(/^NotReadyError:\s*/, '').slice(0, 160)}`);
            waitingIn = p.state;
            return;
          }
          if (p.event === 'failed') failedState ??= p.state;
          if (p.event === 'entered' || p.event === 'failed' || p.event === 'caught') onProgress(`${p.state} ${p.event}${p.detail ? `: ${p.detail.slice(0, 300)}` : ''}`);
        },
      });
      if (result.status === 'SUCCEEDED') return { status: 'succeeded' };
      const error = `${result.status === 'ROLLED_BACK' ? 'rolled back after ' : ''}${result.error ?? 'Error'}: ${result.cause ?? ''}`;
      const failedStep = failedState === undefined ? undefined : (await stepsByState())[failedState];
      return { status: 'failed', error, ...(failedStep ? { failedStep } : {}) };
    },
  };
}

/** Each Task state of infra/cutover.asl.json → the cutover step it runs (`Parameters.step`, or `Parameters.Payload.step` on AWS). */
async function stepsByState(): Promise<Record<string, string>> {
  const definition = JSON.parse(await readFile(CUTOVER_DEFINITION_PATH, 'utf8')) as { States: Record<string, { Parameters?: { step?: string; Payload?: { step?: string } } }> };
  const steps: Record<string, string> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    const step = state.Parameters?.step ?? state.Parameters?.Payload?.step;
    if (step !== undefined) steps[name] = step;
  }
  return steps;
}
