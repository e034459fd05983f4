import Table from 'cli-table3';
import type { GroupStatus } from './status';
import type { LagSnapshot } from './types';

const ms = (v: number | null): string => (v === null ? '-' : v < 1000 ? `${v} ms` : v < 120_000 ? `${(v / 1000).toFixed(1)} s` : `${(v / 60_000).toFixed(1)} min`);

/**
 * Render a snapshot as readable tables: groups, then per group its topics and worst partitions.
 *
 * @example
 * ```ts
 * console.log(renderLagTable(snapshot, statuses, { worst: 5 }));
 * ```
 */
export function renderLagTable(snapshot: LagSnapshot, statuses: Map<string, GroupStatus>, options: { worst: number }): string {
  const out: string[] = [`${snapshot.cluster} at ${new Date(snapshot.atMs).toISOString()} (${snapshot.durationMs} ms)`];
  if (snapshot.groups.length === 0) return `${out[0]}\nno groups matched`;
  const groups = new Table({ head: ['group', 'state', 'members', 'status', 'sum lag', 'max lag', 'max time lag', 'no commit'], style: { head: [], border: [] } });
  for (const g of snapshot.groups) {
    const status = statuses.get(g.groupId);
    groups.push([
      g.groupId,
      g.state,
      String(g.members),
      g.error !== undefined ? `ERR: ${g.error}` : `${status?.status ?? 'OK'}${status && status.status !== 'OK' ? ` (${status.reason})` : ''}`,
      g.sumOffsetLag.toString(),
      g.maxOffsetLag.toString(),
      ms(g.maxTimeLagMs),
      String(g.topics.reduce((n, t) => n + t.partitionsWithoutCommit, 0)),
    ]);
  }
  out.push(groups.toString());
  for (const g of snapshot.groups) {
    if (g.error !== undefined || g.partitions.length === 0) continue;
    const topics = new Table({ head: [`${g.groupId}: topic`, 'partitions', 'sum lag', 'max lag', 'max time lag', 'no commit'], style: { head: [], border: [] } });
    for (const t of g.topics) topics.push([t.topic, String(t.partitions), t.sumOffsetLag.toString(), t.maxOffsetLag.toString(), ms(t.maxTimeLagMs), String(t.partitionsWithoutCommit)]);
    out.push(topics.toString());
    const worst = [...g.partitions]
      .filter((p) => p.offsetLag !== 0n || p.flags.length > 0)
      .sort((a, b) => (b.offsetLag ?? -1n) > (a.offsetLag ?? -1n) ? 1 : (b.offsetLag ?? -1n) < (a.offsetLag ?? -1n) ? -1 : 0)
      .slice(0, options.worst);
    if (worst.length === 0) continue;
    const parts = new Table({ head: ['topic', 'partition', 'committed', 'end (LSO)', 'lag', 'time lag', 'consumer', 'flags'], style: { head: [], border: [] } });
    for (const p of worst) {
      parts.push([p.topic, String(p.partition), p.committedOffset?.toString() ?? '-', p.endOffset?.toString() ?? '-', p.offsetLag?.toString() ?? '-', ms(p.timeLagMs), p.consumerId ?? '-', p.flags.join(',')]);
    }
    out.push(parts.toString());
  }
  return out.join('\n');
}
