import { NotReadyError, VerificationError } from '../../errors';
import { checkWaitTimeout, fromJsonSafe, runStep, type CutoverDeps, type StepResult } from '../context';
import { endOffsets, measureLag, sumGrowth } from '../kafkaOps';
import { targetTopicOf } from '../plan';

interface VerifyProbe {
  atMs: number;
  newTargetRecords: bigint;
  groups: Record<string, { members: number; lag: bigint | null }>;
}

/**
 * Verify after the switch, one probe per invocation: no new writes on the source since the producers moved
 * (VerificationError at once: a producer ignores its fence), at least `verify.minNewTargetRecords` new records
 * on the target topics, every target group with members and its lag not growing over the last
 * `verify.minSamples` probes. Not yet → NotReadyError; past `timeouts.verifySeconds` → WaitTimeoutError.
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
    if (ctx.dryRun || !started?.detail) return { detail: { wouldCheck: 'no source writes after the switch, new target records, target groups consuming with lag not growing' } };
    const sourceEnds = await endOffsets(deps.kafka.source, plan.topics);
    const sourceWrites = sumGrowth(started.detail.sourceEnds, sourceEnds);
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
    for (const [groupId, g] of Object.entries(probe.groups)) {
      if (g.members === 0) reasons.push(`target group ${groupId} has no members`);
      if (g.lag === null) reasons.push(`target group ${groupId} lag unknown`);
      const first = probes[0]?.groups[groupId]?.lag;
      if (g.lag !== null && g.lag > 0n && first !== undefined && first !== null && g.lag > first) reasons.push(`target group ${groupId} lag grew from ${first} to ${g.lag}`);
    }
    if (reasons.length === 0) return { detail: probe };
    checkWaitTimeout(ctx, plan.timeouts.verifySeconds, 'verification', reasons);
    throw new NotReadyError(`Not verified yet: ${reasons.join('; ')}`, { step: 'verify', reasons });
  });
}
