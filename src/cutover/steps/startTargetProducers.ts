import { runStep, type CutoverDeps, type StepResult } from '../context';
import { fenceEntries } from '../fence';
import { endOffsets } from '../kafkaOps';
import { targetTopicOf } from '../plan';

/**
 * Lift the fence on the (already switched) producer entries, so producers write to the target. Records the end
 * offsets of both clusters at that moment: verify compares against them.
 *
 * @example
 * ```ts
 * await startTargetProducers(deps);
 * ```
 */
export function startTargetProducers(deps: CutoverDeps): Promise<StepResult> {
  return runStep('startTargetProducers', deps, async (ctx) => {
    const { plan } = deps;
    const sourceEnds = await endOffsets(deps.kafka.source, plan.topics);
    const targetEnds = await endOffsets(deps.kafka.target, plan.topics.map((t) => targetTopicOf(plan, t)));
    await fenceEntries(ctx, plan.configEntries.filter((e) => e.role === 'producer'), false);
    return { detail: { sourceEnds, targetEnds, atMs: ctx.now() } };
  });
}
