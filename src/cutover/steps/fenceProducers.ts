import { runStep, type CutoverDeps, type StepResult } from '../context';
import { fenceEntries } from '../fence';

/**
 * Fence the producers on the source: every producer config entry gets `paused: true` (the ProducerFence
 * contract), each change audited before it is written. Already-paused entries are left alone.
 *
 * @example
 * ```ts
 * await fenceProducers(deps);
 * ```
 */
export function fenceProducers(deps: CutoverDeps): Promise<StepResult> {
  return runStep('fenceProducers', deps, async (ctx) => {
    await fenceEntries(ctx, deps.plan.configEntries.filter((e) => e.role === 'producer'), true);
    return {};
  });
}
