import { NotReadyError } from '../../errors';
import { isDrained, type DrainSample } from '../../lag/drain';
import { checkWaitTimeout, fromJsonSafe, runStep, type CutoverDeps, type StepResult } from '../context';
import { measureLag } from '../kafkaOps';

/**
 * What "drained" means at each point:
 * - `groups` (stop-drain-switch, after the fence): the source groups have consumed everything, the source end
 *   offsets stopped moving, and the bridge replicated everything (when `drain.requireBridge`);
 * - `bridge` (consumers-first, after the fence): the bridge replicated everything and the groups, already on
 *   the target, consumed it there.
 * - `bridge-to-groups` (consumers-first, after stopping source consumers): the bridge replicated at least up to
 *   each stopped group's committed offset (exact translation needs it); producers keep writing.
 */
export type DrainPhase = 'groups' | 'bridge' | 'bridge-to-groups';

/**
 * One drain probe per invocation: measure, append the sample to the audit log, and decide over the newest
 * samples spanning `drain.minWindowSeconds` (at least `drain.minSamples`) with the lag module's `isDrained`.
 * Not drained → NotReadyError (the state machine retries after its interval); past `timeouts.drainSeconds`
 * → WaitTimeoutError (→ rollback).
 *
 * @example
 * ```ts
 * await waitDrained(deps, 'groups'); // throws NotReadyError until drained
 * ```
 */
export function waitDrained(deps: CutoverDeps, phase: DrainPhase = 'groups'): Promise<StepResult> {
  const step = phase === 'groups' ? 'waitDrained' : `waitDrained:${phase}`;
  return runStep(step, deps, async (ctx) => {
    const { plan } = deps;
    // Phase `bridge`: the groups already consume on the target, but replication lag always compares the
    // *source* log with the bridge's progress, so it is measured from the source side.
    const measured =
      phase === 'bridge'
        ? { groups: (await measureLag(plan, deps.kafka.target, 'target')).groups, replication: (await measureLag({ ...plan, consumerGroups: [] }, deps.kafka.source, 'source', deps.kafka.target)).replication }
        : await measureLag(plan, deps.kafka.source, 'source', deps.kafka.target);
    if (phase === 'bridge-to-groups') {
      const behind = bridgeBehindGroups(measured);
      if (ctx.dryRun) return { detail: { wouldWaitFor: 'the bridge to replicate up to each stopped group offset', behind } };
      await ctx.probe({ behind });
      if (behind.length === 0) return { detail: { caughtUp: true } };
      checkWaitTimeout(ctx, plan.timeouts.drainSeconds, 'bridge caught up with the stopped groups', behind);
      throw new NotReadyError(`Bridge not yet at the stopped groups' offsets: ${behind.slice(0, 5).join('; ')}`, { step });
    }
    const sample: DrainSample = { atMs: ctx.now(), groups: measured.groups, ...(plan.drain.requireBridge && measured.replication ? { replication: measured.replication } : {}) };
    const options = { minSamples: plan.drain.minSamples, minWindowMs: plan.drain.minWindowSeconds * 1000, requireReplication: plan.drain.requireBridge };
    if (ctx.dryRun) {
      const now = isDrained([sample], { ...options, minSamples: 1, minWindowMs: 0 });
      return { detail: { wouldWaitFor: `${options.minSamples} drained samples over ${plan.drain.minWindowSeconds} s`, drainedNow: now.drained, reasons: now.reasons } };
    }
    await ctx.probe(sample);
    const samples = [...ctx.records.filter((r) => r.event === 'probe').map((r) => fromJsonSafe<DrainSample>(r.detail)), sample];
    const window = newestWindow(samples, options.minSamples, options.minWindowMs);
    const result = isDrained(window, options);
    if (result.drained) return { detail: { samples: result.samples, spanMs: result.spanMs } };
    checkWaitTimeout(ctx, plan.timeouts.drainSeconds, 'drained', result.reasons);
    throw new NotReadyError(`Not drained yet: ${result.reasons.slice(0, 5).join('; ')}`, { step, reasons: result.reasons });
  });
}

/** The newest samples that together reach `minSamples` and span `minWindowMs` (all of them if never). */
export function newestWindow(samples: DrainSample[], minSamples: number, minWindowMs: number): DrainSample[] {
  const sorted = [...samples].sort((a, b) => a.atMs - b.atMs);
  const last = sorted[sorted.length - 1];
  if (!last) return [];
  for (let i = sorted.length - 1; i >= 0; i--) {
    const count = sorted.length - i;
    if (count >= minSamples && last.atMs - (sorted[i]?.atMs ?? last.atMs) >= minWindowMs) return sorted.slice(i);
  }
  return sorted;
}

function bridgeBehindGroups(measured: Awaited<ReturnType<typeof measureLag>>): string[] {
  const behind: string[] = [];
  const replicated = new Map((measured.replication?.partitions ?? []).map((p) => [`${p.sourceTopic}:${p.partition}`, p.replicatedOffset]));
  if (measured.replication?.error) behind.push(`bridge: ${measured.replication.error}`);
  for (const g of measured.groups) {
    for (const p of g.partitions) {
      if (p.committedOffset === null) continue;
      const r = replicated.get(`${p.topic}:${p.partition}`);
      if (r === undefined || r === null || r < p.committedOffset) {
        behind.push(`${g.groupId} ${p.topic}[${p.partition}]: committed ${p.committedOffset}, bridge at ${r ?? 'nothing'}`);
      }
    }
  }
  return behind;
}
