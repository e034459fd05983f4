import { z } from 'zod';
import { OffsetTranslationError } from '../errors';

/**
 * The exact source→target offset map.
 *
 * One entry per committed bridge transaction (one source partition batch), written in that same transaction
 * to a compacted topic on the target. Entry keys are distinct (`<bridgeId>/<topic>/<partition>/<firstOffset>`),
 * so compaction never merges them away: the full history stays, as long as the topic's retention allows
 * (it is created with `retention.ms=-1`).
 *
 * Offsets on either side may have gaps: source transaction markers, compacted-away records, dead-lettered
 * records; target transaction markers between batches (and between chunks of one batch if anything else
 * wrote there). An entry therefore stores *runs*: maximal stretches where both source and target offsets
 * advance by one, which maps every replicated source offset exactly and stays tiny for contiguous data.
 *
 * A topic the mapping repartitions by key has no per-record map a consumer offset could go through: one source
 * partition's batch is scattered over several target partitions and each target partition interleaves several
 * source partitions. Its entries carry `repartitioned` (the target partition count and the target offset spans
 * the batch wrote, which `kbridge verify` reads) and no runs; translation reports them as unavailable.
 */

/** Name of the compacted offset-map topic on the target. */
export const DEFAULT_OFFSET_MAP_TOPIC = '__kbridge_offset_map';

/** `length` consecutive source offsets starting at `sourceStart` landed at `targetStart`, `targetStart+1`, … */
export interface OffsetRun {
  sourceStart: bigint;
  targetStart: bigint;
  length: number;
}

/** `length` consecutive target offsets of `partition` from `targetStart` written by one repartitioned batch. */
export interface TargetSpan {
  partition: number;
  targetStart: bigint;
  length: number;
}

/** What a repartitioned batch wrote: no per-record map, only where on the target its records went. */
export interface RepartitionedPlacement {
  /** Target partition count the keys were hashed onto. */
  targetPartitions: number;
  /** Target offsets written, per chunk and partition, in write order. */
  spans: TargetSpan[];
}

export interface DeadLetteredOffset {
  offset: bigint;
  reason: string;
}

export interface OffsetMapEntry {
  bridgeId: string;
  sourceTopic: string;
  sourcePartition: number;
  targetTopic: string;
  /** The target partition (same number as the source), or `null` when the topic is repartitioned by key. */
  targetPartition: number | null;
  /** First source offset this entry accounts for (replicated or dead-lettered). */
  firstSourceOffset: bigint;
  /** Last source offset this entry accounts for. */
  lastSourceOffset: bigint;
  /** Empty when `repartitioned` is set. */
  runs: OffsetRun[];
  deadLettered: DeadLetteredOffset[];
  /** Set when the mapping repartitions this topic by key: translation is unavailable for it. */
  repartitioned?: RepartitionedPlacement;
  /** Epoch ms when the entry was written (informational). */
  writtenAt: number;
}

/** One record's placement, the input of {@link buildRuns}. */
export interface Placement {
  sourceOffset: bigint;
  targetOffset: bigint;
}

/**
 * Compress placements (in source order) into runs.
 *
 * @example
 * ```ts
 * buildRuns([{ sourceOffset: 5n, targetOffset: 10n }, { sourceOffset: 6n, targetOffset: 11n }, { sourceOffset: 8n, targetOffset: 12n }]);
 * // → [{ sourceStart: 5n, targetStart: 10n, length: 2 }, { sourceStart: 8n, targetStart: 12n, length: 1 }]
 * ```
 */
export function buildRuns(placements: readonly Placement[]): OffsetRun[] {
  const runs: OffsetRun[] = [];
  for (const p of placements) {
    const last = runs[runs.length - 1];
    if (
      last !== undefined &&
      p.sourceOffset === last.sourceStart + BigInt(last.length) &&
      p.targetOffset === last.targetStart + BigInt(last.length)
    ) {
      last.length += 1;
    } else {
      runs.push({ sourceStart: p.sourceOffset, targetStart: p.targetOffset, length: 1 });
    }
  }
  return runs;
}

/**
 * The compaction key of an entry; distinct per batch so compaction keeps every entry.
 *
 * @example
 * ```ts
 * offsetMapKey('orders-bridge', 'orders', 3, 1200n); // 'orders-bridge/orders/3/1200'
 * ```
 */
export function offsetMapKey(bridgeId: string, sourceTopic: string, sourcePartition: number, firstSourceOffset: bigint): string {
  return `${bridgeId}/${sourceTopic}/${sourcePartition}/${firstSourceOffset.toString()}`;
}

const Decimal = z.string().regex(/^\d+$/, 'expected a decimal offset string');

const WireEntrySchema = z
  .object({
    v: z.literal(1),
    bridgeId: z.string().min(1),
    source: z.object({ topic: z.string().min(1), partition: z.number().int().nonnegative(), first: Decimal, last: Decimal }).strict(),
    target: z.union([
      z.object({ topic: z.string().min(1), partition: z.number().int().nonnegative() }).strict(),
      z
        .object({
          topic: z.string().min(1),
          repartitioned: z
            .object({
              partitions: z.number().int().positive(),
              spans: z.array(z.tuple([z.number().int().nonnegative(), Decimal, z.number().int().positive()])),
            })
            .strict(),
        })
        .strict(),
    ]),
    runs: z.array(z.tuple([Decimal, Decimal, z.number().int().positive()])),
    deadLettered: z.array(z.object({ offset: Decimal, reason: z.string() }).strict()),
    writtenAt: z.number(),
  })
  .strict();

/**
 * Serialise an entry as compact JSON (offsets as decimal strings).
 *
 * @example
 * ```ts
 * const bytes = encodeOffsetMapEntry(entry);
 * decodeOffsetMapEntry(bytes); // deep-equals entry
 * ```
 */
export function encodeOffsetMapEntry(entry: OffsetMapEntry): Buffer {
  const wire: z.input<typeof WireEntrySchema> = {
    v: 1,
    bridgeId: entry.bridgeId,
    source: {
      topic: entry.sourceTopic,
      partition: entry.sourcePartition,
      first: entry.firstSourceOffset.toString(),
      last: entry.lastSourceOffset.toString(),
    },
    target: entry.repartitioned
      ? {
          topic: entry.targetTopic,
          repartitioned: {
            partitions: entry.repartitioned.targetPartitions,
            spans: entry.repartitioned.spans.map((s) => [s.partition, s.targetStart.toString(), s.length]),
          },
        }
      : { topic: entry.targetTopic, partition: entry.targetPartition ?? entry.sourcePartition },
    runs: entry.runs.map((r) => [r.sourceStart.toString(), r.targetStart.toString(), r.length]),
    deadLettered: entry.deadLettered.map((d) => ({ offset: d.offset.toString(), reason: d.reason })),
    writtenAt: entry.writtenAt,
  };
  return Buffer.from(JSON.stringify(wire), 'utf8');
}

/**
 * Parse an entry written by {@link encodeOffsetMapEntry}. A malformed entry is an {@link OffsetTranslationError}
 * naming what was wrong (someone else wrote to the topic, or a newer format).
 *
 * @example
 * ```ts
 * const entry = decodeOffsetMapEntry(message.value);
 * ```
 */
export function decodeOffsetMapEntry(bytes: Uint8Array): OffsetMapEntry {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new OffsetTranslationError('Offset-map entry is not JSON; expected an entry written by the kbridge bridge');
  }
  const parsed = WireEntrySchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new OffsetTranslationError(
      `Offset-map entry is malformed at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'unknown'}`,
    );
  }
  const w = parsed.data;
  return {
    bridgeId: w.bridgeId,
    sourceTopic: w.source.topic,
    sourcePartition: w.source.partition,
    targetTopic: w.target.topic,
    targetPartition: 'partition' in w.target ? w.target.partition : null,
    firstSourceOffset: BigInt(w.source.first),
    lastSourceOffset: BigInt(w.source.last),
    runs: w.runs.map(([s, t, length]) => ({ sourceStart: BigInt(s), targetStart: BigInt(t), length })),
    deadLettered: w.deadLettered.map((d) => ({ offset: BigInt(d.offset), reason: d.reason })),
    ...('repartitioned' in w.target
      ? {
          repartitioned: {
            targetPartitions: w.target.repartitioned.partitions,
            spans: w.target.repartitioned.spans.map(([partition, start, length]) => ({ partition, targetStart: BigInt(start), length })),
          },
        }
      : {}),
    writtenAt: w.writtenAt,
  };
}

/**
 * The bridge's position for one source partition, stored as the metadata of the bridge group's committed
 * offset (committed in the same transaction). The committed offset itself is the next source offset.
 */
export interface BridgeCheckpoint {
  /** Next source offset to replicate (every offset below it is on the target or dead-lettered). */
  nextSourceOffset: bigint;
  /** Target offset right after the last replicated record, or undefined if nothing was replicated yet. */
  nextTargetOffset: bigint | undefined;
}

/** Encode the checkpoint metadata (the committed offset carries `nextSourceOffset`). Kept far below 4 KiB. */
export function encodeCheckpointMetadata(nextTargetOffset: bigint | undefined): string {
  return JSON.stringify({ v: 1, nextTarget: nextTargetOffset?.toString() ?? null });
}

/** Decode what {@link encodeCheckpointMetadata} wrote; unknown metadata yields `undefined` (not fatal). */
export function decodeCheckpointMetadata(metadata: string | null | undefined): bigint | undefined {
  if (!metadata) return undefined;
  try {
    const parsed = JSON.parse(metadata) as { nextTarget?: unknown };
    return typeof parsed.nextTarget === 'string' && /^\d+$/.test(parsed.nextTarget) ? BigInt(parsed.nextTarget) : undefined;
  } catch {
    return undefined;
  }
}

/** The outcome of a translation. Only `exact` is safe to apply to a consumer group. */
export type Translation =
  | { status: 'exact'; targetOffset: bigint; reason: 'next-replicated-record' | 'caught-up' }
  /** The committed offset lies beyond what the bridge has replicated; `bridgeNextSourceOffset` says how far it got. */
  | { status: 'ahead-of-bridge'; bridgeNextSourceOffset: bigint; targetOffset: bigint | undefined }
  /** The committed offset lies before the first offset the bridge replicated (the bridge started later). */
  | { status: 'not-covered'; firstCoveredSourceOffset: bigint }
  /**
   * Nothing in the map for this partition, or (`reason: 'repartitioned'`) the topic is repartitioned by key,
   * where a source partition's committed offset has no single target position.
   */
  | { status: 'unavailable'; detail: string; reason?: 'repartitioned' };

/**
 * Translate a committed source offset (the *next* record the group would read) to the exact target offset of
 * the same next record: the target offset of the first replicated record whose source offset is ≥ `committed`;
 * or, when the group has consumed everything the bridge replicated, the target offset right after the last
 * replicated record (records replicated later land after it). Dead-lettered records are not on the target and
 * are skipped over. Entries of other partitions/bridges in `entries` are ignored. A topic repartitioned by key
 * is `unavailable` with `reason: 'repartitioned'` for every partition.
 *
 * @example
 * ```ts
 * const entries = [{ ...e, firstSourceOffset: 0n, lastSourceOffset: 9n, runs: [{ sourceStart: 0n, targetStart: 100n, length: 10 }] }];
 * translateOffset(entries, 'orders', 0, 4n); // { status: 'exact', targetOffset: 104n, reason: 'next-replicated-record' }
 * translateOffset(entries, 'orders', 0, 10n); // { status: 'exact', targetOffset: 110n, reason: 'caught-up' }
 * ```
 */
export function translateOffset(
  entries: readonly OffsetMapEntry[],
  sourceTopic: string,
  sourcePartition: number,
  committed: bigint,
): Translation {
  const repartitioned = entries.find((e) => e.sourceTopic === sourceTopic && e.repartitioned !== undefined);
  if (repartitioned?.repartitioned) {
    return {
      status: 'unavailable',
      reason: 'repartitioned',
      detail: `repartitioned by key onto the ${repartitioned.repartitioned.targetPartitions} partition(s) of ${repartitioned.targetTopic}: a source offset has no single target offset`,
    };
  }
  const mine = entries
    .filter((e) => e.sourceTopic === sourceTopic && e.sourcePartition === sourcePartition)
    .sort((a, b) => (a.firstSourceOffset < b.firstSourceOffset ? -1 : a.firstSourceOffset > b.firstSourceOffset ? 1 : 0));
  const first = mine[0];
  if (first === undefined) {
    return { status: 'unavailable', detail: `no offset-map entries for ${sourceTopic}-${sourcePartition}` };
  }
  if (committed < first.firstSourceOffset) {
    return { status: 'not-covered', firstCoveredSourceOffset: first.firstSourceOffset };
  }
  let lastRun: OffsetRun | undefined;
  let bridgeNext = first.firstSourceOffset;
  for (const entry of mine) {
    if (entry.lastSourceOffset + 1n > bridgeNext) bridgeNext = entry.lastSourceOffset + 1n;
    for (const run of entry.runs) {
      const runEnd = run.sourceStart + BigInt(run.length);
      if (committed <= run.sourceStart) {
        return { status: 'exact', targetOffset: run.targetStart, reason: 'next-replicated-record' };
      }
      if (committed < runEnd) {
        return { status: 'exact', targetOffset: run.targetStart + (committed - run.sourceStart), reason: 'next-replicated-record' };
      }
      lastRun = run;
    }
  }
  const nextTarget = lastRun === undefined ? undefined : lastRun.targetStart + BigInt(lastRun.length);
  if (committed > bridgeNext) {
    return { status: 'ahead-of-bridge', bridgeNextSourceOffset: bridgeNext, targetOffset: nextTarget };
  }
  if (nextTarget === undefined) {
    return { status: 'unavailable', detail: `every record of ${sourceTopic}-${sourcePartition} in the map was dead-lettered` };
  }
  return { status: 'exact', targetOffset: nextTarget, reason: 'caught-up' };
}

/**
 * Like {@link translateOffset} but throws an {@link OffsetTranslationError} unless the result is exact.
 *
 * @example
 * ```ts
 * const target = requireExactTranslation(entries, 'orders', 0, 42n); // bigint
 * ```
 */
export function requireExactTranslation(
  entries: readonly OffsetMapEntry[],
  sourceTopic: string,
  sourcePartition: number,
  committed: bigint,
): bigint {
  const t = translateOffset(entries, sourceTopic, sourcePartition, committed);
  if (t.status === 'exact') return t.targetOffset;
  const where = { topic: sourceTopic, partition: sourcePartition, offset: committed.toString() };
  switch (t.status) {
    case 'ahead-of-bridge':
      throw new OffsetTranslationError(
        `Committed offset ${committed} of ${sourceTopic}-${sourcePartition} is beyond what the bridge replicated (next ${t.bridgeNextSourceOffset}); wait for the bridge to catch up`,
        where,
      );
    case 'not-covered':
      throw new OffsetTranslationError(
        `Committed offset ${committed} of ${sourceTopic}-${sourcePartition} is before the first replicated offset ${t.firstCoveredSourceOffset}`,
        where,
      );
    default:
      if (t.reason === 'repartitioned') {
        throw new OffsetTranslationError(`Cannot translate ${sourceTopic}-${sourcePartition}@${committed}: translation unavailable (${t.detail})`, {
          ...where,
          reason: t.reason,
        });
      }
      throw new OffsetTranslationError(`Cannot translate ${sourceTopic}-${sourcePartition}@${committed}: ${t.detail}`, where);
  }
}
