import { ConfigError } from '../../errors';
import { runStep, type CutoverDeps, type StepResult } from '../context';
import type { TriggerRef } from '../plan';
import { setTriggers } from './stopSourceConsumers';

/**
 * Enable the target mappings (same consumer group id, seeded offsets: Lambda resumes there instead of its
 * starting position) or create the ones given as `create` specs (once: a re-run finds the audit record), then
 * wait until each is `Enabled`.
 *
 * @example
 * ```ts
 * await startTargetConsumers(deps);
 * ```
 */
export function startTargetConsumers(deps: CutoverDeps): Promise<StepResult> {
  return runStep('startTargetConsumers', deps, async (ctx) => {
    const refs: TriggerRef[] = [];
    for (const g of deps.plan.consumerGroups) {
      for (const t of g.targetTriggers) {
        if ('id' in t) {
          refs.push(t);
          continue;
        }
        const key = `${g.groupId}:${t.create.functionName}:${t.create.topic}`;
        const created = ctx.records.find((r) => r.event === 'change' && r.change?.kind === 'trigger-created' && (r.change.from as { key?: string })?.key === key);
        if (created) {
          refs.push({ id: String(created.change?.to) });
          continue;
        }
        if (ctx.dryRun) {
          await ctx.change({ kind: 'trigger-created', target: key, from: { key }, to: '(new mapping)' });
          continue;
        }
        const status = await deps.triggers.create(t.create, g.groupId);
        await ctx.change({ kind: 'trigger-created', target: status.id, from: { key }, to: status.id });
        refs.push({ id: status.id });
        if (status.consumerGroupId !== undefined && status.consumerGroupId !== g.groupId) {
          throw new ConfigError(`Mapping ${status.id} reports group ${status.consumerGroupId}, expected ${g.groupId}`, { group: g.groupId });
        }
      }
    }
    return { detail: await setTriggers(ctx, refs, 'Enabled') };
  });
}
