import type { GroupStatus } from './status';
import type { LagSnapshot } from './types';

/** The `kbridge lag --json` shape: offsets as decimal strings, time in milliseconds. */
export interface LagJson {
  cluster: string;
  at: string;
  durationMs: number;
  groups: {
    groupId: string;
    state: string;
    members: number;
    status: string;
    statusReason: string;
    sumOffsetLag: string;
    maxOffsetLag: string;
    maxTimeLagMs: number | null;
    error?: string;
    partitions: {
      topic: string;
      partition: number;
      committedOffset: string | null;
      logStartOffset: string | null;
      highWatermark: string | null;
      endOffset: string | null;
      offsetLag: string | null;
      timeLagMs: number | null;
      consumerId: string | null;
      flags: string[];
    }[];
  }[];
}

const str = (v: bigint | null): string | null => (v === null ? null : v.toString());

/**
 * Turn a snapshot and its statuses into the CLI's JSON (no bigint, offsets as decimal strings).
 *
 * @example
 * ```ts
 * process.stdout.write(JSON.stringify(toLagJson(snapshot, statuses)));
 * ```
 */
export function toLagJson(snapshot: LagSnapshot, statuses: Map<string, GroupStatus>): LagJson {
  return {
    cluster: snapshot.cluster,
    at: new Date(snapshot.atMs).toISOString(),
    durationMs: snapshot.durationMs,
    groups: snapshot.groups.map((g) => {
      const status = statuses.get(g.groupId);
      return {
        groupId: g.groupId,
        state: g.state,
        members: g.members,
        status: status?.status ?? (g.error !== undefined ? 'ERR' : 'OK'),
        statusReason: status?.reason ?? '',
        sumOffsetLag: g.sumOffsetLag.toString(),
        maxOffsetLag: g.maxOffsetLag.toString(),
        maxTimeLagMs: g.maxTimeLagMs,
        ...(g.error !== undefined ? { error: g.error } : {}),
        partitions: g.partitions.map((p) => ({
          topic: p.topic,
          partition: p.partition,
          committedOffset: str(p.committedOffset),
          logStartOffset: str(p.logStartOffset),
          highWatermark: str(p.highWatermark),
          endOffset: str(p.endOffset),
          offsetLag: str(p.offsetLag),
          timeLagMs: p.timeLagMs,
          consumerId: p.consumerId,
          flags: [...p.flags],
        })),
      };
    }),
  };
}
