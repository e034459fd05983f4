import { NotReadyError } from '../../errors';
import { checkWaitTimeout, runStep, type CutoverDeps, type StepContext, type StepResult } from '../context';
import type { TriggerRef } from '../plan';

/**
 * Disable every source mapping of the plan's groups (Lambda `Enabled=false`: the in-flight batch finishes and
 * commits, the consumer leaves the group) and wait until each is really `Disabled`: NotReadyError while one is
 * still `Disabling` (the state machine retries), WaitTimeoutError past `timeouts.triggerSeconds`.
 *
 * @example
 * ```ts
 * await stopSourceConsumers(deps);
 * ```
 */
export function stopSourceConsumers(deps: CutoverDeps): Promise<StepResult> {
  return runStep('stopSourceConsumers', deps, async (ctx) => {
    const refs = deps.plan.consumerGroups.flatMap((g) => g.sourceTriggers);
    return { detail: await setTriggers(ctx, refs, 'Disabled') };
  });
}

/**
 * Ask each mapping for `want` (auditing each change first), then check they all reached it.
 *
 * @example
 * ```ts
 * await setTriggers(ctx, [{ id: 'orders-0' }], 'Enabled');
 * ```
 */
export async function setTriggers(ctx: StepContext, refs: TriggerRef[], want: 'Enabled' | 'Disabled'): Promise<Record<string, string>> {
  const { triggers } = ctx.deps;
  const states: Record<string, string> = {};
  for (const ref of refs) {
    const status = await triggers.status(ref);
    const moving = want === 'Disabled' ? ['Disabled', 'Disabling'] : ['Enabled', 'Enabling'];
    if (!moving.includes(status.state)) {
      await ctx.change({ kind: 'trigger', target: ref.id, from: status.state === 'Enabling' || status.state === 'Enabled' ? 'Enabled' : 'Disabled', to: want });
      if (!ctx.dryRun) await (want === 'Disabled' ? triggers.disable(ref) : triggers.enable(ref));
    }
  }
  if (ctx.dryRun) return states;
  for (const ref of refs) states[ref.id] = (await triggers.status(ref)).state;
  const pending = Object.entries(states).filter(([, s]) => s !== want);
  if (pending.length > 0) {
    const list = pending.map(([id, s]) => `${id} is ${s}`);
    checkWaitTimeout(ctx, ctx.deps.plan.timeouts.triggerSeconds, `mappings ${want}`, list);
    throw new NotReadyError(`Waiting for mappings to be ${want}: ${list.join(', ')}`, { step: ctx.step });
  }
  return states;
}
