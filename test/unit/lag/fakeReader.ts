import type { LagReader, NextRecordRequest } from '../../../src/lag/port';
import type { CommittedOffset, GroupDescription, NextRecord, PartitionOffsets } from '../../../src/lag/types';

/** A LagReader over plain data, recording what was asked, for pure tests of the lag rules. */
export function fakeReader(data: {
  groups?: { groupId: string; protocolType: string }[];
  descriptions?: GroupDescription[];
  committed?: Record<string, CommittedOffset[] | Error>;
  offsets?: PartitionOffsets[];
  /** key `topic:partition` → records (offset, timestamp) that are consumable; anything else is a marker. */
  records?: Record<string, { offset: bigint; timestampMs: number }[]>;
}): LagReader & { nextRequests: NextRecordRequest[][] } {
  const nextRequests: NextRecordRequest[][] = [];
  return {
    cluster: 'test',
    nextRequests,
    listGroups: async () => data.groups ?? [],
    describeGroups: async (ids) =>
      ids.map((id) => data.descriptions?.find((d) => d.groupId === id) ?? { groupId: id, state: 'Empty', protocolType: 'consumer', members: [] }),
    fetchCommittedOffsets: async (ids) => new Map(ids.map((id) => [id, data.committed?.[id] ?? []])),
    fetchPartitionOffsets: async (topics) => {
      const all = data.offsets ?? [];
      return {
        partitions: all.filter((o) => topics.includes(o.topic)),
        missingTopics: topics.filter((t) => !all.some((o) => o.topic === t)),
      };
    },
    fetchNextRecords: async (positions): Promise<NextRecord[]> => {
      nextRequests.push(positions);
      return positions.map((p) => {
        const rec = (data.records?.[`${p.topic}:${p.partition}`] ?? []).find((r) => r.offset >= p.offset && r.offset < p.endOffset);
        return rec
          ? { topic: p.topic, partition: p.partition, fromOffset: p.offset, recordOffset: rec.offset, timestampMs: rec.timestampMs }
          : { topic: p.topic, partition: p.partition, fromOffset: p.offset, recordOffset: null };
      });
    },
  };
}

export function offsets(topic: string, partition: number, logStart: bigint, hwm: bigint, lso: bigint = hwm): PartitionOffsets {
  return { topic, partition, logStartOffset: logStart, highWatermark: hwm, lastStableOffset: lso };
}

/** Consumable records at every offset in [from, to), written 1 ms apart starting at `t0`. */
export function records(from: bigint, to: bigint, t0: number): { offset: bigint; timestampMs: number }[] {
  const out: { offset: bigint; timestampMs: number }[] = [];
  for (let o = from; o < to; o++) out.push({ offset: o, timestampMs: t0 + Number(o - from) });
  return out;
}
