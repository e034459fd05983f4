import { runStep, type CutoverDeps, type StepResult } from '../context';
import { enableReverseBridge } from '../failback';
import { rewriteEntries } from '../fence';

/**
 * Point the consumers' config entries at the target (`targetValue`). The old value is in the audit record.
 *
 * @example
 * ```ts
 * await switchConsumerConfig(deps);
 * ```
 */
export function switchConsumerConfig(deps: CutoverDeps): Promise<StepResult> {
  return runStep('switchConsumerConfig', deps, async (ctx) => {
    await rewriteEntries(ctx, deps.plan.configEntries.filter((e) => e.role === 'consumer'), (_current, entry) => ({ ...entry.targetValue }));
    return {};
  });
}

/**
 * Point the producers' config entries at the target, still fenced (`paused: true`): they start writing there
 * only at startTargetProducers, after the target consumers run.
 *
 * @example
 * ```ts
 * await switchProducerConfig(deps);
 * ```
 */
export function switchProducerConfig(deps: CutoverDeps): Promise<StepResult> {
  return runStep('switchProducerConfig', deps, async (ctx) => {
    await rewriteEntries(ctx, deps.plan.configEntries.filter((e) => e.role === 'producer'), (_current, entry) => ({ ...entry.targetValue, paused: true }));
    // plan.reverseBridge: running before the first producer writes to the target (docs/failback.md).
    await enableReverseBridge(ctx);
    return {};
  });
}
