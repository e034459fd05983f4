import { invertTopicRecord } from '../bridge/inverseMapping';
import { requireExactTranslation, type OffsetMapEntry } from '../bridge/offsetMap';
import { readOffsetMap } from '../bridge/offsetMapStore';
import { originOf } from '../bridge/origin';
import { ConfigError, OffsetTranslationError } from '../errors';
import { withKafkaAdmin, type KafkaClient } from '../kafka';
import type { AuditRecord } from '../ports/auditLog';
import { describeEntry } from '../ports/clientConfigStore';
import { computeReplicationLag } from '../lag/replication';
import { KafkaLagReader } from '../lag/kafkaLagReader';
import { runStep, type CutoverDeps, type StepContext, type StepResult } from './context';
import { ClientConfigValueSchema, targetTopicOf, type ClientConfigValue, type CutoverPlan, type CutoverPlanInput, type CutoverStepName, type ReverseBridgePlan, type TriggerRef } from './plan';
import { setTriggers } from './steps/stopSourceConsumers';

/**
 * Failback (issue 14): move consumers and producers from MSK back to the old cluster with the same state
 * machine definition, by reversing the plan. In the reversed plan `source` is MSK, `target` the old cluster,
 * `bridge` the reverse bridge (its offset map lives on the old cluster) and `failbackOf.forwardBridge` the
 * forward bridge (its offset map lives on MSK): a group's MSK offsets are translated through both.
 */

/** What the forward cutover's audit says, for values the plan does not carry. */
export interface ForwardCutoverFacts {
  /** Config entry (`store:id`) → the value the forward switch replaced (the source value, unfenced). */
  switchedFrom: Record<string, ClientConfigValue>;
  /** `groupId:functionName:topic` → id of a target mapping the forward cutover created. */
  createdTriggers: Record<string, string>;
}

/**
 * Collect {@link ForwardCutoverFacts} from the forward cutover's audit records.
 *
 * @example
 * ```ts
 * const facts = forwardFactsFromAudit(await audit.list(plan.cutoverId));
 * ```
 */
export function forwardFactsFromAudit(records: readonly AuditRecord[]): ForwardCutoverFacts {
  const facts: ForwardCutoverFacts = { switchedFrom: {}, createdTriggers: {} };
  for (const r of records) {
    const c = r.change;
    if (r.event !== 'change' || !c) continue;
    if (c.kind === 'config' && (r.step === 'switchConsumerConfig' || r.step === 'switchProducerConfig')) {
      const from = ClientConfigValueSchema.safeParse(c.from);
      if (from.success && facts.switchedFrom[c.target] === undefined) {
        const { paused: _paused, ...value } = from.data;
        facts.switchedFrom[c.target] = value;
      }
    }
    if (c.kind === 'trigger-created' && typeof c.to === 'string') {
      const key = (c.from as { key?: unknown } | undefined)?.key;
      if (typeof key === 'string') facts.createdTriggers[key] = c.to;
    }
  }
  return facts;
}

export interface FailbackPlanOptions {
  /** Default `<cutoverId>-failback`. */
  cutoverId?: string;
  failAt?: CutoverStepName;
  facts?: ForwardCutoverFacts;
}

/**
 * The reversed plan: source ↔ target, the topic mapping inverted (topics named as on MSK), the reverse bridge as
 * the plan's bridge, each group's target mappings as its source mappings and vice versa, and each config entry
 * switched to its source value (`sourceValue`, else the value the forward switch replaced). Refuses (ConfigError
 * naming what is missing) a plan without `reverseBridge`, a config entry whose source value is unknown, and a
 * target mapping the forward cutover created whose id is unknown. The reverse bridge's trigger groups
 * (`consumerGroupId` of its triggers) go to `failbackOf.reverseBridgeGroups`, for {@link reportMskOnly}.
 *
 * @example
 * ```ts
 * const failback = parsePlan(buildFailbackPlan(plan, { facts: forwardFactsFromAudit(records) }));
 * ```
 */
export function buildFailbackPlan(plan: CutoverPlan, options: FailbackPlanOptions = {}): CutoverPlanInput {
  const reverse = plan.reverseBridge;
  if (!reverse) {
    throw new ConfigError('The plan has no "reverseBridge": failback needs the reverse bridge that kept the source current (its bridgeId and trigger); see docs/failback.md', {
      field: 'reverseBridge',
    });
  }
  if (plan.failbackOf) {
    throw new ConfigError(`Plan ${plan.cutoverId} is already a failback plan; give the forward plan`, { field: 'failbackOf' });
  }
  const facts = options.facts ?? { switchedFrom: {}, createdTriggers: {} };
  const reverseGroups = [...reverseTriggerGroups(reverse)];
  const inverse = invertTopicRecord(Object.fromEntries(plan.topics.map((t) => [t, targetTopicOf(plan, t)])), 'bridge.topicMapping');
  const renamed = Object.entries(inverse).filter(([to, from]) => to !== from);
  const missingValues: string[] = [];
  const configEntries = plan.configEntries.map((e) => {
    const { sourceValue, targetValue, ...rest } = e;
    const back = sourceValue ?? facts.switchedFrom[describeEntry(e)];
    if (!back) missingValues.push(`${e.name} (${describeEntry(e)})`);
    return { ...rest, targetValue: back ?? targetValue, sourceValue: targetValue };
  });
  if (missingValues.length > 0) {
    throw new ConfigError(
      `No source value for config entr${missingValues.length === 1 ? 'y' : 'ies'} ${missingValues.join(', ')}: give "sourceValue" in the plan, or keep the forward cutover's audit log (its switch steps recorded the value they replaced)`,
      { field: 'configEntries.sourceValue' },
    );
  }
  const consumerGroups = plan.consumerGroups.map((g) => ({
    groupId: g.groupId,
    sourceTriggers: g.targetTriggers.map((t): TriggerRef => {
      if ('id' in t) return t;
      const key = `${g.groupId}:${t.create.functionName}:${t.create.topic}`;
      const id = facts.createdTriggers[key];
      if (id === undefined) {
        throw new ConfigError(`Group ${g.groupId}: the forward cutover created its mapping ${key}, and its id is not in the audit; give it as {"id": …} in targetTriggers`, {
          field: 'consumerGroups.targetTriggers',
        });
      }
      return { id };
    }),
    targetTriggers: g.sourceTriggers,
  }));
  return {
    cutoverId: options.cutoverId ?? `${plan.cutoverId}-failback`,
    pattern: plan.pattern,
    approval: plan.approval,
    source: plan.target,
    target: plan.source,
    bridge: {
      bridgeId: reverse.bridgeId,
      ...(reverse.offsetMapTopic ? { offsetMapTopic: reverse.offsetMapTopic } : {}),
      ...(renamed.length > 0 ? { topicMapping: Object.fromEntries(renamed) } : {}),
    },
    failbackOf: {
      cutoverId: plan.cutoverId,
      forwardBridge: { bridgeId: plan.bridge.bridgeId, ...(plan.bridge.offsetMapTopic ? { offsetMapTopic: plan.bridge.offsetMapTopic } : {}) },
      ...(reverseGroups.length > 0 ? { reverseBridgeGroups: reverseGroups } : {}),
    },
    topics: plan.topics.map((t) => targetTopicOf(plan, t)),
    consumerGroups,
    configEntries,
    timeouts: plan.timeouts,
    drain: plan.drain,
    verify: plan.verify,
    ...(options.failAt ? { failAt: options.failAt } : {}),
  };
}

/** How one partition's MSK offset was translated back. */
export interface FailbackTranslation {
  offset: bigint;
  /** `reverse`: the group consumed records written on MSK (reverse bridge's map); `forward`: only records the forward bridge wrote. */
  via: 'reverse' | 'forward';
}

/** `length` records at `msk`… on one side and their twins at `old`… on the other, from one run of either map. */
interface Twins {
  msk: bigint;
  old: bigint;
  length: number;
  via: 'forward' | 'reverse';
}

/**
 * The old-cluster offset a group resumes from, given `committed`, the next MSK offset it would read on
 * `mskTopic`/`partition`. Every record of an MSK partition has a twin on the old cluster, in the same order:
 * either the forward bridge copied it from there (forward map: old → MSK) or the reverse bridge copied it there
 * (reverse map: MSK → old; records producers wrote on MSK after the switch). The group resumes at the twin of
 * the first record it has not consumed, or right after the last twin when it consumed all of them. Throws an
 * OffsetTranslationError naming the partition and offset when the reverse bridge has not yet processed up to
 * `committed`, when the forward bridge repartitioned the topic, when the two maps disagree on the order of the
 * records, or when neither map covers the partition.
 *
 * The roles are symmetric, so any pair of peer bridges works: "forward" is the bridge that copied from the cluster
 * we translate *to* into the cluster of `committed`, "reverse" the one that copied the other way (the rollback of a
 * failback translates old-cluster offsets back to MSK with the reverse bridge as "forward").
 *
 * @example
 * ```ts
 * // forward: old 0-9 → MSK 0-9 (marker at 10); reverse: MSK 11-12 → old 10-11
 * translateFailbackOffset({ forward, reverse, oldTopic: 'orders', mskTopic: 'orders', partition: 0, committed: 5n }); // { offset: 5n, via: 'forward' }
 * translateFailbackOffset({ forward, reverse, oldTopic: 'orders', mskTopic: 'orders', partition: 0, committed: 13n }); // { offset: 12n, via: 'reverse' }
 * ```
 */
export function translateFailbackOffset(input: {
  forward: readonly OffsetMapEntry[];
  reverse: readonly OffsetMapEntry[];
  oldTopic: string;
  mskTopic: string;
  partition: number;
  committed: bigint;
}): FailbackTranslation {
  const { oldTopic, mskTopic, partition, committed } = input;
  const where = { topic: mskTopic, partition, offset: committed.toString() };
  const forward = input.forward.filter((e) => e.sourceTopic === oldTopic && e.targetTopic === mskTopic && (e.targetPartition === partition || e.repartitioned !== undefined));
  if (forward.some((e) => e.repartitioned !== undefined)) {
    throw new OffsetTranslationError(`Cannot fail back ${mskTopic}-${partition}: the forward bridge repartitioned ${oldTopic} by key, so an MSK offset has no single old-cluster offset (docs/failback.md)`, {
      ...where,
      reason: 'repartitioned',
    });
  }
  const reverse = input.reverse.filter((e) => e.sourceTopic === mskTopic && e.sourcePartition === partition);
  const twins: Twins[] = [
    ...forward.flatMap((e) => e.runs.map((r): Twins => ({ msk: r.targetStart, old: r.sourceStart, length: r.length, via: 'forward' }))),
    ...reverse.flatMap((e) => e.runs.map((r): Twins => ({ msk: r.sourceStart, old: r.targetStart, length: r.length, via: 'reverse' }))),
  ].sort((a, b) => (a.msk < b.msk ? -1 : a.msk > b.msk ? 1 : 0));
  twins.forEach((t, i) => {
    const prev = twins[i - 1];
    // Both bridges keep the order, and the cutover drains one before producers write on the other side: a twin out
    // of order means records were written on both clusters at once (or a bridge copied back what its peer wrote).
    if (prev && (t.msk < prev.msk + BigInt(prev.length) || t.old < prev.old + BigInt(prev.length))) {
      throw new OffsetTranslationError(
        `Cannot translate ${mskTopic}-${partition}@${committed}: the records are not in the same order on both clusters (${prev.via} ${prev.msk}→${prev.old} ×${prev.length}, then ${t.via} ${t.msk}→${t.old}); producers wrote to both while a bridge was behind`,
        { ...where, reason: 'order' },
      );
    }
  });
  const via = twins.some((t) => t.via === 'reverse' && t.msk < committed) ? 'reverse' : 'forward';
  const next = twins.find((t) => t.msk + BigInt(t.length) > committed);
  if (next) return { offset: next.old + (committed > next.msk ? committed - next.msk : 0n), via };
  const forwardEnd = twins.filter((t) => t.via === 'forward').reduce<bigint | undefined>((n, t) => (n === undefined || t.msk + BigInt(t.length) > n ? t.msk + BigInt(t.length) : n), undefined);
  const reverseNext = reverse.reduce<bigint | undefined>((n, e) => (n === undefined || e.lastSourceOffset + 1n > n ? e.lastSourceOffset + 1n : n), undefined);
  // One transaction marker may follow the last forwarded record; past it, only records written on MSK follow,
  // and the reverse bridge must have seen them (else they would be re-read, or lost, on the old cluster).
  if (committed > (forwardEnd ?? 0n) + 1n && (reverseNext === undefined || committed > reverseNext)) {
    throw new OffsetTranslationError(
      `Committed offset ${committed} of ${mskTopic}-${partition} is beyond what the reverse bridge has processed (next ${reverseNext ?? 'nothing yet'}); wait until it has drained`,
      where,
    );
  }
  const last = twins[twins.length - 1];
  if (last) return { offset: last.old + BigInt(last.length), via };
  throw new OffsetTranslationError(`Cannot fail back ${mskTopic}-${partition}@${committed}: neither the forward nor the reverse bridge's offset map covers this partition`, where);
}

/**
 * Whether a plan is a failback plan, and then its forward bridge (for readOffsetMap on the plan's source).
 *
 * @example
 * ```ts
 * const fwd = forwardBridgeOf(plan); // { bridgeId: 'orders' } on a failback plan, undefined otherwise
 * ```
 */
export function forwardBridgeOf(plan: CutoverPlan): { bridgeId: string; offsetMapTopic?: string } | undefined {
  return plan.failbackOf?.forwardBridge;
}

/**
 * The plan's peer bridge: the one that copies from the plan's target back into its source (the reverse bridge on
 * a forward plan, the forward bridge on a failback plan), or `undefined`. Its offset map and checkpoints live on
 * the plan's source.
 *
 * @example
 * ```ts
 * peerBridgeOf(plan); // { bridgeId: 'orders-reverse' } on a forward plan with reverseBridge
 * ```
 */
export function peerBridgeOf(plan: CutoverPlan): { bridgeId: string; offsetMapTopic?: string } | undefined {
  const peer = plan.failbackOf?.forwardBridge ?? plan.reverseBridge;
  return peer ? { bridgeId: peer.bridgeId, ...(peer.offsetMapTopic ? { offsetMapTopic: peer.offsetMapTopic } : {}) } : undefined;
}

/**
 * The partitions of the plan's target topics the peer bridge ({@link peerBridgeOf}) has not yet copied back to
 * the source (its replication lag not 0), one line each; empty when it has caught up or there is no peer. The
 * rollback waits on it before producers write to the source again, so both clusters keep the records in the
 * same order and the offset maps cover what the target groups consumed.
 *
 * @example
 * ```ts
 * await peerBridgeBehind(deps); // ['orders[0]: copied up to 40, end 52']
 * ```
 */
export async function peerBridgeBehind(deps: CutoverDeps): Promise<string[]> {
  const { plan } = deps;
  const peer = peerBridgeOf(plan);
  if (!peer) return [];
  const topics = plan.topics.map((t) => targetTopicOf(plan, t));
  const reader = await KafkaLagReader.connect(deps.kafka.target, { cluster: plan.target.name });
  try {
    const progress = await KafkaLagReader.connect(deps.kafka.source, { cluster: plan.source.name });
    try {
      const lag = await computeReplicationLag(
        { source: reader, progress },
        { bridgeId: peer.bridgeId, sourceTopics: topics, topicMapping: Object.fromEntries(plan.topics.map((t) => [targetTopicOf(plan, t), t])), ...(peer.offsetMapTopic ? { offsetMapTopic: peer.offsetMapTopic } : {}) },
      );
      if (lag.error) return [`peer bridge ${peer.bridgeId}: ${lag.error}`];
      return lag.partitions
        // An empty partition the peer never saw has no checkpoint and nothing to copy.
        .filter((p) => p.offsetLag !== 0n && !(p.offsetLag === null && p.replicatedOffset === null && p.sourceEndOffset === 0n))
        .map((p) => `${peer.bridgeId} ${p.sourceTopic}[${p.partition}]: copied up to ${p.replicatedOffset ?? 'nothing'}, end ${p.sourceEndOffset ?? '?'}`);
    } finally {
      await progress.close();
    }
  } finally {
    await reader.close();
  }
}

/**
 * The offset translation translateAndSeedOffsets applies, per partition: through the bridge's map (`entries`, read
 * on the plan's target) alone while the peer bridge ({@link peerBridgeOf}: the reverse bridge, or on a failback
 * plan the forward bridge; `peerEntries`, its map on the plan's source) has copied nothing into that partition;
 * otherwise through both maps ({@link translateFailbackOffset}), since the source partition then holds the peer's
 * copies between the records the bridge copied. A failback plan always does; so does a forward cutover run again
 * after a rolled-back one or a failback, whose groups may still be reading the reverse bridge's copies.
 *
 * @example
 * ```ts
 * const translate = offsetTranslator(plan, entries, peerEntries);
 * translate('orders', 0, 42n); // bigint on the target
 * ```
 */
export function offsetTranslator(plan: CutoverPlan, entries: readonly OffsetMapEntry[], peerEntries: readonly OffsetMapEntry[]): (topic: string, partition: number, committed: bigint) => bigint {
  return (topic, partition, committed) => {
    const copied = peerEntries.some((e) => e.targetTopic === topic && e.targetPartition === partition && e.runs.length > 0);
    if (!copied) return requireExactTranslation(entries, topic, partition, committed);
    return translateFailbackOffset({ forward: peerEntries, reverse: entries, oldTopic: targetTopicOf(plan, topic), mskTopic: topic, partition, committed }).offset;
  };
}

/**
 * {@link offsetTranslator} with the peer bridge's map read from the plan's source.
 *
 * @example
 * ```ts
 * const translate = await offsetTranslatorFor(deps, entries);
 * ```
 */
export async function offsetTranslatorFor(deps: CutoverDeps, entries: readonly OffsetMapEntry[]): Promise<(topic: string, partition: number, committed: bigint) => bigint> {
  const peer = peerBridgeOf(deps.plan);
  const peerEntries = peer
    ? await withKafkaAdmin(deps.kafka.source, (admin) => readOffsetMap(deps.kafka.source, admin, { bridgeId: peer.bridgeId, ...(peer.offsetMapTopic ? { topic: peer.offsetMapTopic } : {}) }))
    : [];
  return offsetTranslator(deps.plan, entries, peerEntries);
}

/**
 * At the switch (inside switchProducerConfig, before any producer writes to the target): enable every mapping of
 * the reverse bridge, each audited as a `trigger` change (the rollback disables them again). Does not wait for
 * `Enabled`: a mapping starts from its own committed offsets (or TRIM_HORIZON), so nothing written in the
 * meantime is missed.
 *
 * @example
 * ```ts
 * await enableReverseBridge(ctx); // no-op without plan.reverseBridge
 * ```
 */
export async function enableReverseBridge(ctx: StepContext): Promise<void> {
  const reverse = ctx.deps.plan.reverseBridge;
  if (!reverse) return;
  for (const trigger of reverse.triggers) {
    const status = await ctx.deps.triggers.status(trigger);
    if (status.state === 'Enabled' || status.state === 'Enabling') continue;
    await ctx.change({ kind: 'trigger', target: trigger.id, from: 'Disabled', to: 'Enabled' });
    if (!ctx.dryRun) await ctx.deps.triggers.enable(trigger);
  }
}

/**
 * Decommission (`kbridge cutover decommission`, state machine input `{"action": "decommission"}`): disable every
 * mapping of the reverse bridge once the team declares the migration done, audited under the plan's cutover id.
 * NotReadyError until all of them are `Disabled`. ConfigError for a plan without `reverseBridge`.
 *
 * @example
 * ```ts
 * await decommissionReverseBridge(deps);
 * ```
 */
export function decommissionReverseBridge(deps: CutoverDeps): Promise<StepResult> {
  return runStep('decommissionReverseBridge', deps, async (ctx) => {
    const reverse = deps.plan.reverseBridge;
    if (!reverse) throw new ConfigError('The plan has no "reverseBridge": there is no reverse bridge to decommission', { field: 'reverseBridge' });
    return { detail: { bridgeId: reverse.bridgeId, mappings: await setTriggers(ctx, reverse.triggers, 'Disabled') } };
  });
}

/**
 * Records written to `topics` of `kafka` between two end-offset snapshots (`topic:partition` → offset) that carry
 * no origin header, i.e. written by a producer and not by a bridge. verify uses it on the source when a peer
 * bridge (the reverse bridge; on a failback plan the forward bridge) legitimately writes there after the switch.
 *
 * @example
 * ```ts
 * await countDirectWrites(deps.kafka.source, started.sourceEnds, await endOffsets(deps.kafka.source, topics)); // 0n
 * ```
 */
export async function countDirectWrites(kafka: KafkaClient, before: Record<string, string>, after: Record<string, string>): Promise<bigint> {
  const byTopic = new Map<string, Map<number, { from: bigint; to: bigint }>>();
  for (const [key, end] of Object.entries(after)) {
    const at = key.lastIndexOf(':');
    const topic = key.slice(0, at);
    const from = BigInt(before[key] ?? '0');
    if (BigInt(end) <= from) continue;
    const ranges = byTopic.get(topic) ?? new Map<number, { from: bigint; to: bigint }>();
    ranges.set(Number(key.slice(at + 1)), { from, to: BigInt(end) });
    byTopic.set(topic, ranges);
  }
  let direct = 0n;
  for (const [topic, ranges] of byTopic) {
    await kafka.readRanges(topic, ranges, (r) => {
      if (originOf(r) === undefined) direct += 1n;
    });
  }
  return direct;
}

/**
 * Whether a peer bridge writes into the plan's source after the switch (so source growth alone is no fence breach).
 *
 * @example
 * ```ts
 * peerBridgeWritesSource(plan); // true with reverseBridge or on a failback plan
 * ```
 */
export function peerBridgeWritesSource(plan: CutoverPlan): boolean {
  return plan.reverseBridge !== undefined || plan.failbackOf !== undefined;
}

/** What exists only on MSK and a failback plan would leave behind: reported before the failback runs. */
export interface MskOnlyReport {
  /** Groups with committed offsets on the plan's topics that are not in the plan. */
  groups: Array<{ groupId: string; topics: string[] }>;
  /** Topics a plan group consumes on MSK that are not in the plan (created on MSK after the cutover, or left out). */
  topics: Array<{ topic: string; groups: string[] }>;
}

/** The consumer groups of the reverse bridge's mappings (`triggers[].consumerGroupId`), each once. */
function reverseTriggerGroups(reverse: ReverseBridgePlan | undefined): Set<string> {
  return new Set((reverse?.triggers ?? []).flatMap((t) => (t.consumerGroupId ? [t.consumerGroupId] : [])));
}

/**
 * The consumer groups the bridges themselves use on MSK, which are no application's: the reverse bridge's trigger
 * groups (`reverseBridge.triggers[].consumerGroupId` on a forward plan, `failbackOf.reverseBridgeGroups` on a
 * failback plan). The bridges' checkpoint groups (`kbridge-bridge-<id>`) are recognised by their prefix.
 *
 * @example
 * ```ts
 * bridgeGroupsOnMsk(failbackPlan); // Set { 'kafka-msk-bridge-reverse' }
 * ```
 */
export function bridgeGroupsOnMsk(plan: CutoverPlan): Set<string> {
  return new Set([...reverseTriggerGroups(plan.reverseBridge), ...(plan.failbackOf?.reverseBridgeGroups ?? [])]);
}

/**
 * List what exists only on MSK (the failback plan's source): consumer groups on the plan's topics that the plan
 * does not move back, and topics the plan's groups consume that the plan does not cover. The bridges' own groups
 * are left out: `kbridge-…` (their checkpoint groups) and the reverse bridge's trigger
 * groups the plan names ({@link bridgeGroupsOnMsk}).
 *
 * @example
 * ```ts
 * const report = await reportMskOnly(deps.kafka.source, failbackPlan); // { groups: [{ groupId: 'audit', topics: ['dr.orders'] }], topics: [] }
 * ```
 */
export async function reportMskOnly(msk: KafkaClient, plan: CutoverPlan): Promise<MskOnlyReport> {
  const planTopics = new Set(plan.topics);
  const planGroups = new Set(plan.consumerGroups.map((g) => g.groupId));
  const bridgeGroups = bridgeGroupsOnMsk(plan);
  return withKafkaAdmin(msk, async (admin) => {
    const ids = (await admin.listGroups()).map((g) => g.groupId).filter((g) => !g.startsWith('kbridge-') && !bridgeGroups.has(g));
    const committed = ids.length > 0 ? await admin.fetchGroupsCommittedOffsets(ids) : new Map<string, never>();
    const groups: MskOnlyReport['groups'] = [];
    const extraTopics = new Map<string, string[]>();
    for (const [groupId, offsets] of committed) {
      if (offsets instanceof Error) continue;
      const topics = [...new Set(offsets.filter((o) => o.offset !== null).map((o) => o.topic))];
      if (planGroups.has(groupId)) {
        for (const t of topics.filter((x) => !planTopics.has(x))) extraTopics.set(t, [...(extraTopics.get(t) ?? []), groupId]);
      } else if (topics.some((t) => planTopics.has(t))) {
        groups.push({ groupId, topics: topics.filter((t) => planTopics.has(t)) });
      }
    }
    return { groups, topics: [...extraTopics].map(([topic, g]) => ({ topic, groups: g })) };
  });
}
