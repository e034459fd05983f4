import { ConfigError, NotReadyError } from '../../errors';
import type { AuditChange } from '../../ports/auditLog';
import { describeEntry } from '../../ports/clientConfigStore';
import { checkWaitTimeout, runStep, type CutoverDeps, type StepContext, type StepResult } from '../context';
import { peerBridgeBehind } from '../failback';
import { endOffsets, measureLag } from '../kafkaOps';
import { ClientConfigValueSchema, targetTopicOf, type TriggerRef } from '../plan';
import { reseedSourceFromTarget } from '../reverseOffsets';

/** What started the rollback, as Step Functions' Catch hands it over (`{Error, Cause}`). */
export interface RollbackCause {
  Error?: string;
  Cause?: string;
}

/**
 * Return every changed thing to the source, from the audit trail, newest change first: producers are fenced
 * again (the revert of "unfenced on the target"), the target groups consume what producers wrote on the target
 * (NotReadyError until their lag is 0: nothing is stranded there), target mappings are disabled, config entries
 * get their old values back, source mappings are re-enabled (waiting until `Enabled`), and finally the producer
 * entries return to the source unfenced. Seeded target offsets are kept (harmless; the next attempt re-seeds);
 * when the target consumers ran, the source group is moved forward past what they processed
 * ({@link reseedSourceFromTarget}), so the source consumer neither repeats nor skips. With a peer bridge (the
 * reverse bridge, or the forward bridge when a failback rolls back) and producers that wrote on the target, the
 * rollback waits until the peer has copied those records to the source before stopping it or reseeding: the
 * source group then resumes after their copies through the peer's offset map.
 * Resumable: each reverted change is audited (`rolled-back`) and skipped by a re-run.
 *
 * @example
 * ```ts
 * await rollback(deps, { Error: 'WaitTimeoutError', Cause: 'not drained within 600 s' });
 * ```
 */
export function rollback(deps: CutoverDeps, cause: RollbackCause = {}): Promise<StepResult> {
  return runStep('rollback', deps, async (ctx) => {
    const { plan, audit, triggers } = deps;
    const all = ctx.all;
    if (!ctx.dryRun && !all.some((r) => r.step === 'rollback' && r.event === 'failed')) {
      await audit.append({ cutoverId: plan.cutoverId, step: 'rollback', event: 'failed', at: new Date(ctx.now()).toISOString(), detail: cause });
    }
    const changes = all
      .map((r, index) => ({ r, index }))
      .filter(({ r }) => r.event === 'change' && r.change && r.step !== 'rollback');
    const reverted = new Set(all.filter((r) => r.step === 'rollback' && r.event === 'rolled-back').map((r) => (r.detail as { index: number }).index));
    const reverseTriggers: TriggerRef[] = plan.reverseBridge?.triggers ?? [];
    let peerDrained = false;
    const targetIds = new Set(plan.consumerGroups.flatMap((g) => g.targetTriggers.flatMap((t) => ('id' in t ? [t.id] : []))));
    const producersStarted = changes.some(({ r }) => r.step === 'startTargetProducers');
    const targetConsumersRan = changes.some(({ r }) => r.step === 'startTargetConsumers');
    const reseeded = new Set<string>();
    let targetEnds = all.map((r) => (r.step === 'rollback' && r.event === 'probe' ? (r.detail as { targetEndsAtRollback?: Record<string, string> }).targetEndsAtRollback : undefined)).find((e) => e !== undefined);
    const actions: string[] = [];
    for (const { r, index } of [...changes].reverse()) {
      if (reverted.has(index)) continue;
      const change = r.change as AuditChange;
      let action: string;
      switch (change.kind) {
        case 'config':
        case 'fence': {
          const entry = plan.configEntries.find((e) => describeEntry(e) === change.target);
          if (!entry) throw new ConfigError(`Audit names config entry ${change.target}, which is not in the plan`, { field: 'configEntries' });
          const from = ClientConfigValueSchema.parse(change.from);
          if (!ctx.dryRun) await deps.configStore.write(entry, from);
          action = `${entry.name}: restored the value from before ${r.step}`;
          break;
        }
        case 'trigger':
        case 'trigger-created': {
          const id = change.kind === 'trigger-created' ? String(change.to) : change.target;
          const want = change.kind === 'trigger-created' ? 'Disabled' : String(change.from);
          const ref: TriggerRef = [...plan.consumerGroups.flatMap((g) => [...g.sourceTriggers, ...g.targetTriggers.filter((t): t is TriggerRef => 'id' in t)]), ...reverseTriggers].find((t) => t.id === id) ?? { id };
          if (ctx.dryRun) {
            action = `mapping ${id}: would set ${want}`;
            break;
          }
          if (want === 'Disabled' && producersStarted && !peerDrained && reverseTriggers.some((t) => t.id === id)) {
            // Producers wrote to the target: the reverse bridge copies those records to the source before any of
            // its mappings stops (once: the first of them waits for all).
            await waitPeerDrained(ctx);
            peerDrained = true;
          }
          if (want === 'Disabled' && producersStarted && (targetIds.has(id) || change.kind === 'trigger-created')) {
            // Producers wrote to the target: let the target consumers finish those records before stopping them.
            const { groups } = await measureLag(plan, deps.kafka.target, 'target');
            let lagging = groups.filter((g) => g.error !== undefined || g.sumOffsetLag > 0n).map((g) => `${g.groupId}: lag ${g.error ?? g.sumOffsetLag}`);
            if (plan.pattern === 'consumers-first') {
              // The producers already write to the source again and the bridge keeps feeding the target, so the
              // lag need not reach 0: what must be consumed here is what was on the target when the rollback began
              // (the producers' direct writes); bridged records are handed back by reseedSourceFromTarget.
              targetEnds ??= await snapshotTargetEnds(ctx);
              const ends = targetEnds;
              lagging = groups.flatMap((g) =>
                g.error !== undefined
                  ? [`${g.groupId}: ${g.error}`]
                  : g.partitions
                      .filter((p) => p.offsetLag !== 0n && (p.committedOffset ?? -1n) < BigInt(ends[`${p.topic}:${p.partition}`] ?? '0'))
                      .map((p) => `${g.groupId} ${p.topic}[${p.partition}]: at ${p.committedOffset ?? 'nothing'}, need ${ends[`${p.topic}:${p.partition}`]}`),
              );
            }
            if (lagging.length > 0) {
              checkWaitTimeout(ctx, plan.timeouts.drainSeconds, 'target groups drained before stopping them', lagging);
              await ctx.probe({ waitingFor: lagging });
              throw new NotReadyError(`Rollback waits for the target groups to consume what was produced there: ${lagging.join(', ')}`);
            }
          }
          const status = await triggers.status(ref);
          if (status.state !== want) {
            if (!(want === 'Disabled' ? ['Disabling'] : ['Enabling']).includes(status.state)) await (want === 'Disabled' ? triggers.disable(ref) : triggers.enable(ref));
            const now = await triggers.status(ref);
            if (now.state !== want) {
              await ctx.probe({ mapping: id, state: now.state, want });
              checkWaitTimeout(ctx, plan.timeouts.triggerSeconds, `mapping ${id} ${want}`);
              throw new NotReadyError(`Rollback waits for mapping ${id} to be ${want} (now ${now.state})`);
            }
          }
          action = `mapping ${id}: ${want}`;
          break;
        }
        case 'offsets': {
          const groupId = change.target.slice(0, change.target.lastIndexOf('@'));
          if (!targetConsumersRan || reseeded.has(groupId)) {
            action = `${change.target}: seeded target offsets kept (the source group's own offsets were never touched)`;
            break;
          }
          // The target consumers ran on replicated records (the mappings are Disabled by now: reverted first);
          // the source group resumes right after the last of them.
          // With a peer bridge, what producers wrote on the target reached the source through it: both offset maps
          // must cover what the group consumed (and both clusters hold the same order) before producers return.
          if (producersStarted) await waitPeerDrained(ctx);
          reseeded.add(groupId);
          const moved = await reseedSourceFromTarget(deps, groupId, { dryRun: ctx.dryRun });
          action = moved.length
            ? `${groupId}: source offsets moved past what the target consumers processed: ${moved.map((m) => `${m.topic}[${m.partition}] ${m.from} → ${m.to}`).join(', ')}`
            : `${groupId}: source offsets kept (the target consumers processed nothing new)`;
          break;
        }
        default:
          action = `unknown change kind ${String((change as { kind: unknown }).kind)}: left as is`;
      }
      actions.push(action);
      if (!ctx.dryRun) await audit.append({ cutoverId: plan.cutoverId, step: 'rollback', event: 'rolled-back', at: new Date(ctx.now()).toISOString(), detail: { index, action, change } });
    }
    const earlier = all.filter((r) => r.step === 'rollback' && r.event === 'rolled-back').map((r) => (r.detail as { action: string }).action);
    return { detail: { cause, actions: [...earlier, ...actions] } };
  });
}

/** NotReadyError until the peer bridge (reverse bridge, or the forward bridge on a failback plan) has copied the target back. */
async function waitPeerDrained(ctx: StepContext): Promise<void> {
  if (ctx.dryRun) return;
  const behind = await peerBridgeBehind(ctx.deps);
  if (behind.length === 0) return;
  checkWaitTimeout(ctx, ctx.deps.plan.timeouts.drainSeconds, 'peer bridge caught up with the target', behind);
  await ctx.probe({ waitingForPeerBridge: behind });
  throw new NotReadyError(`Rollback waits for the peer bridge to copy what producers wrote on the target back to the source: ${behind.slice(0, 5).join(', ')}`);
}

/** Target end offsets when the rollback first waits for the target groups (audited: a re-run uses the same). */
async function snapshotTargetEnds(ctx: StepContext): Promise<Record<string, string>> {
  const { plan } = ctx.deps;
  const ends = await endOffsets(ctx.deps.kafka.target, plan.topics.map((t) => targetTopicOf(plan, t)));
  await ctx.probe({ targetEndsAtRollback: ends });
  return ends;
}
