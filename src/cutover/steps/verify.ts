import { NotReadyError, VerificationError } from '../../errors';
import { checkWaitTimeout, fromJsonSafe, runStep, type CutoverDeps, type StepResult } from '../context';
import { countDirectWrites, peerBridgeWritesSource } from '../failback';
import { endOffsets, measureLag, sumGrowth } from '../kafkaOps';
import { targetTopicOf } from '../plan';

export interface VerifyProbe {
  atMs: number;
  newTargetRecords: bigint;
  groups: Record<string, { members: number; lag: bigint | null }>;
}

/**
 * Verify after the switch, one probe per invocation: no new writes on the source since the producers moved
 * (VerificationError at once: a producer ignores its fence), at least `verify.minNewTargetRecords` new records
 * on the target topics, every target group with members and its lag falling (or at 0) over the last
 * `verify.minSamples` probes ({@link targetLagReasons}). Not yet → NotReadyError (polled again); still not past
 * `timeouts.verifySeconds` → WaitTimeoutError (→ rollback).
 *
 * @example
 * ```ts
 * await verify(deps);
 * ```
 */
export function verify(deps: CutoverDeps): Promise<StepResult> {
  return runStep('verify', deps, async (ctx) => {
    const { plan } = deps;
    const started = ctx.all.find((r) => r.step === 'startTargetProducers' && r.event === 'done')?.result as
      | { detail?: { sourceEnds: Record<string, string>; targetEnds: Record<string, string> } }
      | undefined;
    if (ctx.dryRun || !started?.detail) return { detail: { wouldCheck: 'no source writes after the switch, new target records, target groups consuming with lag falling or at 0' } };
    const sourceEnds = await endOffsets(deps.kafka.source, plan.topics);
    // A peer bridge (reverse bridge, or the forward bridge on a failback plan) writes to the source by design:
    // only records without an origin header come from a producer.
    const sourceWrites = peerBridgeWritesSource(plan) ? await countDirectWrites(deps.kafka.source, started.detail.sourceEnds, sourceEnds) : sumGrowth(started.detail.sourceEnds, sourceEnds);
    if (sourceWrites > 0n) {
      throw new VerificationError(`${sourceWrites} record(s) were written to the source after the producers moved to the target; a producer ignores its fence`, {
        sourceWrites: sourceWrites.toString(),
      });
    }
    const targetEnds = await endOffsets(deps.kafka.target, plan.topics.map((t) => targetTopicOf(plan, t)));
    const { groups } = await measureLag(plan, deps.kafka.target, 'target');
    const probe: VerifyProbe = {
      atMs: ctx.now(),
      newTargetRecords: sumGrowth(started.detail.targetEnds, targetEnds),
      groups: Object.fromEntries(groups.map((g) => [g.groupId, { members: g.members, lag: g.error ? null : g.sumOffsetLag }])),
    };
    await ctx.probe(probe);
    const probes = [...ctx.records.filter((r) => r.event === 'probe').map((r) => fromJsonSafe<VerifyProbe>(r.detail)), probe].slice(-plan.verify.minSamples);
    const reasons: string[] = [];
    if (probe.newTargetRecords < BigInt(plan.verify.minNewTargetRecords)) reasons.push(`${probe.newTargetRecords} new target records, need ${plan.verify.minNewTargetRecords}`);
    if (probes.length < plan.verify.minSamples) reasons.push(`${probes.length} of ${plan.verify.minSamples} probes`);
    reasons.push(...targetLagReasons(probes));
    if (reasons.length === 0) return { detail: probe };
    checkWaitTimeout(ctx, plan.timeouts.verifySeconds, 'verification', reasons);
    throw new NotReadyError(`Not verified yet: ${reasons.join('; ')}`, { step: 'verify', reasons });
  });
}

/**
 * Why the target groups do not (yet) show they consume, over a window of probes (oldest first): each group needs
 * members, a known lag, and its lag at 0 in the newest probe or falling across the window (never rising from one
 * probe to the next, and lower at the end than at the start). A steady non-zero lag is not falling: the group may
 * be stuck. Empty when verified.
 *
 * @example
 * ```ts
 * targetLagReasons([{ atMs: 0, newTargetRecords: 5n, groups: { app: { members: 1, lag: 9n } } }, { atMs: 1000, newTargetRecords: 9n, groups: { app: { members: 1, lag: 2n } } }]); // []
 * ```
 */
export function targetLagReasons(window: readonly VerifyProbe[]): string[] {
  const last = window[window.length - 1];
  if (!last) return ['no probe yet'];
  const reasons: string[] = [];
  for (const [groupId, g] of Object.entries(last.groups)) {
    if (g.members === 0) reasons.push(`target group ${groupId} has no members`);
    if (g.lag === null) {
      reasons.push(`target group ${groupId} lag unknown`);
      continue;
    }
    if (g.lag === 0n) continue;
    const lags = window.map((p) => p.groups[groupId]?.lag ?? null);
    const first = lags[0];
    const rose = lags.some((l, i) => i > 0 && (l === null || lags[i - 1] === null || (l as bigint) > (lags[i - 1] as bigint)));
    if (window.length < 2 || first === null || first === undefined || rose || g.lag >= first) {
      reasons.push(`target group ${groupId} lag not falling (${lags.map((l) => l ?? '?').join(' → ')})`);
    }
  }
  return reasons;
}
