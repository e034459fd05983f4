import { OffsetTranslationError } from '../errors';
import type { KafkaAdmin, KafkaClient } from '../kafka/port';
import { translateOffset, type OffsetMapEntry, type Translation } from './offsetMap';
import { readOffsetMap } from './offsetMapStore';

export interface TranslatedOffset {
  sourceTopic: string;
  partition: number;
  /** The group's committed offset on the source (next record to read), decimal. */
  sourceOffset: string;
  targetTopic?: string;
  /** Exact target offset, decimal; absent unless `status` is `exact`. */
  targetOffset?: string;
  status: Translation['status'];
  detail?: string;
}

/**
 * Translate every committed offset of a source consumer group through the bridge's offset map.
 * A committed offset beyond what the bridge replicated is still exact when the source has no record in
 * between (only transaction markers, or nothing yet): the source is read to check that.
 *
 * @example
 * ```ts
 * const rows = await translateGroupOffsets({ source, sourceAdmin, target, targetAdmin, groupId: 'billing', bridgeId: 'dr' });
 * ```
 */
export async function translateGroupOffsets(options: {
  source: KafkaClient;
  sourceAdmin: KafkaAdmin;
  target: KafkaClient;
  targetAdmin: KafkaAdmin;
  groupId: string;
  bridgeId?: string;
  offsetMapTopic?: string;
  entries?: OffsetMapEntry[];
}): Promise<TranslatedOffset[]> {
  const entries = options.entries ?? (await readOffsetMap(options.target, options.targetAdmin, { bridgeId: options.bridgeId, topic: options.offsetMapTopic }));
  const bridges = new Set(entries.map((e) => e.bridgeId));
  if (bridges.size > 1) {
    throw new OffsetTranslationError(`The offset map holds entries of several bridges (${[...bridges].join(', ')}); pass --bridge-id`, { group: options.groupId });
  }
  const committed = await options.sourceAdmin.fetchCommittedOffsets(options.groupId);
  const targetTopicOf = new Map<string, string>();
  for (const e of entries) if (!targetTopicOf.has(e.sourceTopic)) targetTopicOf.set(e.sourceTopic, e.targetTopic);
  const rows: TranslatedOffset[] = [];
  for (const p of committed) {
    if (p.offset === null) continue;
    const sourceOffset = BigInt(p.offset);
    let result = translateOffset(entries, p.topic, p.partition, sourceOffset);
    const targetTopic = targetTopicOf.get(p.topic);
    if (result.status === 'ahead-of-bridge' && result.targetOffset !== undefined) {
      // Exact if no record lies in [bridge next, committed): only markers or nothing.
      let anyRecord = false;
      await options.source.readRanges(p.topic, new Map([[p.partition, { from: result.bridgeNextSourceOffset, to: sourceOffset }]]), () => {
        anyRecord = true;
      });
      if (!anyRecord) result = { status: 'exact', targetOffset: result.targetOffset, reason: 'caught-up' };
    }
    rows.push({
      sourceTopic: p.topic,
      partition: p.partition,
      sourceOffset: p.offset,
      ...(targetTopic ? { targetTopic } : {}),
      status: result.status,
      ...(result.status === 'exact' ? { targetOffset: result.targetOffset.toString() } : {}),
      ...(result.status === 'ahead-of-bridge' ? { detail: `bridge has replicated up to source offset ${result.bridgeNextSourceOffset}` } : {}),
      ...(result.status === 'not-covered' ? { detail: `the map starts at source offset ${result.firstCoveredSourceOffset}` } : {}),
      ...(result.status === 'unavailable' ? { detail: result.detail } : {}),
    });
  }
  return rows;
}

/**
 * Write translated offsets to the same group on the target, all topics in one OffsetCommit
 * (`KafkaAdmin.commitGroupOffsets`). Refuses with {@link OffsetTranslationError} when any row is not exact, and with
 * `GroupNotEmptyError` when the target group has members (offsets of an active group cannot be set);
 * nothing is written then. Applying the same rows again is harmless.
 *
 * @example
 * ```ts
 * await applyTranslatedOffsets(targetAdmin, 'billing', rows);
 * ```
 */
export async function applyTranslatedOffsets(targetAdmin: KafkaAdmin, groupId: string, rows: readonly TranslatedOffset[]): Promise<void> {
  const inexact = rows.filter((r) => r.status !== 'exact');
  if (inexact.length > 0) {
    const first = inexact[0] as TranslatedOffset;
    throw new OffsetTranslationError(
      `${inexact.length} partition(s) cannot be translated exactly (first: ${first.sourceTopic}-${first.partition}@${first.sourceOffset}: ${first.status}${first.detail ? `, ${first.detail}` : ''}); nothing was written`,
      { group: groupId, topic: first.sourceTopic, partition: first.partition, offset: first.sourceOffset },
    );
  }
  const byTopic = new Map<string, Array<{ partition: number; offset: string }>>();
  for (const r of rows) {
    const topic = r.targetTopic ?? r.sourceTopic;
    const partition = { partition: r.partition, offset: r.targetOffset as string };
    const list = byTopic.get(topic);
    if (list) list.push(partition);
    else byTopic.set(topic, [partition]);
  }
  await targetAdmin.commitGroupOffsets(groupId, [...byTopic].map(([topic, partitions]) => ({ topic, partitions })));
}
