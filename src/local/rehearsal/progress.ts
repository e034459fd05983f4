import { resolve } from 'node:path';
import Table from 'cli-table3';
import type { RehearsalEvent, RehearsalResult } from './rehearse';
import type { RehearsalReport } from './report';

export interface ProgressPrinter {
  event(event: RehearsalEvent): void;
  result(report: RehearsalReport, outDir: string, kept: RehearsalResult['kept']): void;
}

/**
 * Terminal progress of a rehearsal. Human: phase banners, one status line per sample (rewritten in place on a
 * TTY), cutover steps as they start, and a summary table at the end. `json`: every event as one JSON object per
 * line, then `{"type":"result", ...}` with the verdict, counts, availability, timeline and where the report is.
 *
 * @example
 * ```ts
 * const printer = createProgressPrinter({ json: false, tty: process.stdout.isTTY, write: (s) => process.stdout.write(s) });
 * ```
 */
export function createProgressPrinter(options: { json: boolean; tty: boolean; write: (text: string) => void }): ProgressPrinter {
  const { write } = options;
  let t0: number | undefined;
  let statusShown = false;
  const clearStatus = (): void => {
    if (options.tty && statusShown) write('\r\u001b[2K');
    statusShown = false;
  };
  const stamp = (atMs: number): string => {
    t0 ??= atMs;
    return `[${((atMs - t0) / 1000).toFixed(1).padStart(6)} s]`;
  };
  if (options.json) {
    return {
      event: (e) => write(`${JSON.stringify(e)}\n`),
      result: (report, outDir, kept) => {
        write(
          `${JSON.stringify({
            type: 'result',
            ok: report.ok,
            failures: report.failures,
            runId: report.runId,
            counts: report.counts,
            availability: report.availability,
            cutover: { status: report.cutover.status, error: report.cutover.error, steps: report.cutover.steps },
            ...(report.failback ? { failback: { status: report.failback.status, error: report.failback.error, steps: report.failback.steps } } : {}),
            reportDir: resolve(outDir),
            ...(kept ? { kept } : {}),
          })}\n`,
        );
      },
    };
  }
  return {
    event: (e) => {
      switch (e.type) {
        case 'phase':
          clearStatus();
          write(`${stamp(e.atMs)} ── ${e.phase} ──\n`);
          return;
        case 'info':
          clearStatus();
          write(`${stamp(e.atMs)}    ${e.message}\n`);
          return;
        case 'cutover-step':
          clearStatus();
          write(`${stamp(e.atMs)}    ▶ ${e.direction === 'failback' ? 'failback' : 'cutover'} step ${e.step}\n`);
          return;
        case 'sample': {
          const s = e.sample;
          const line =
            `${stamp(s.atMs)}    ${s.phase.padEnd(18)} produced ${String(e.produced).padStart(7)} (${String(s.producedPerSec).padStart(5)}/s)` +
            `  consumed ${String(e.consumed).padStart(7)} (${String(s.consumedPerSec).padStart(5)}/s)` +
            `  lag src ${s.sourceGroupLag ?? '—'} · bridge ${s.bridgeLag ?? '—'} · tgt ${s.targetGroupLag ?? '—'}` +
            `  producer→${e.producerCluster ?? '—'}${e.buffered > 0 ? ` (${e.buffered} held)` : ''}${s.cutoverStep ? `  step ${s.cutoverStep}` : ''}`;
          if (options.tty) {
            write(`\r\u001b[2K${line}`);
            statusShown = true;
          } else write(`${line}\n`);
          return;
        }
      }
    },
    result: (report, outDir, kept) => {
      clearStatus();
      const c = report.counts;
      const a = report.availability;
      const ms = (v: number | null): string => (v === null ? '—' : `${v} ms`);
      const table = new Table({ head: ['', 'value'], style: { head: [], border: [] } });
      table.push(
        ['produced', `${c.produced} (${c.producedOnSource} on source, ${c.producedOnTarget} on target)`],
        ['replicated (read back on target)', `${c.replicated}${c.replicationMissing ? `, ${c.replicationMissing} missing` : ''}${c.replicatedDuplicates ? `, ${c.replicatedDuplicates} twice` : ''}`],
        ['consumed', `${c.consumed} (${c.consumedOnSource} on source, ${c.consumedOnTarget} on target)`],
        ['lost', String(c.lost)],
        ['duplicated', String(c.duplicated)],
        ['out of order', String(c.orderViolations)],
        ['write unavailable (longest pause)', ms(a.writeUnavailableMs)],
        ['read unavailable (longest pause)', ms(a.readUnavailableMs)],
        ['time to drain', ms(a.timeToDrainMs)],
        ['catch-up after load stopped', ms(a.catchUpMs)],
        ['cutover', `${report.cutover.status}${report.cutover.error ? `: ${report.cutover.error.slice(0, 120)}` : ''}`],
      );
      if (report.failback) {
        if (c.reverseReplicated !== undefined) {
          table.splice(2, 0, [
            'reverse-replicated (read back on source)',
            `${c.reverseReplicated}${c.reverseReplicationMissing ? `, ${c.reverseReplicationMissing} missing` : ''}${c.reverseReplicatedDuplicates ? `, ${c.reverseReplicatedDuplicates} twice` : ''}`,
          ]);
        }
        for (const w of a.windows ?? []) {
          table.push([`${w.direction}: write / read unavailable`, `${ms(w.writeUnavailableMs)} / ${ms(w.readUnavailableMs)} (fenced ${ms(w.fencedMs)}, drain ${ms(w.timeToDrainMs)})`]);
        }
        table.push(['failback', `${report.failback.status}${report.failback.error ? `: ${report.failback.error.slice(0, 120)}` : ''}`]);
      }
      const both = report.failback !== undefined;
      const steps = new Table({ head: ['#', ...(both ? ['move'] : []), 'cutover step', 'start', 'took', 'runs', 'result'], style: { head: [], border: [] } });
      const start = Date.parse(report.startedAt);
      [...report.cutover.steps.map((s) => ({ s, direction: 'forward' })), ...(report.failback?.steps ?? []).map((s) => ({ s, direction: 'failback' }))].forEach(({ s, direction }, i) =>
        steps.push([
          i + 1,
          ...(both ? [direction] : []),
          s.step,
          `+${((s.startedAtMs - start) / 1000).toFixed(1)} s`,
          s.endedAtMs === null ? '—' : `${s.endedAtMs - s.startedAtMs} ms`,
          s.attempts,
          `${s.status}${s.error ? `: ${s.error.slice(0, 80)}` : ''}`,
        ]),
      );
      write(`\n${table.toString()}\n${steps.toString()}\n`);
      write(report.ok ? `\nREHEARSAL PASSED: nothing lost, nothing duplicated.\n` : `\nREHEARSAL FAILED:\n${report.failures.map((f) => `  - ${f}`).join('\n')}\n`);
      write(`report: ${resolve(outDir, 'index.html')} (data: report.json, log: rehearsal.log)\n`);
      if (kept) {
        write(
          `kept: source ${kept.source} · target ${kept.target}\n  topics ${kept.topics.join(', ')}\n  consumer groups ${kept.groups.join(', ')}\n  bridge groups (source) ${kept.bridgeGroups.join(', ')}\n  offset map (target) ${kept.offsetMapTopic}\n` +
            (kept.reverseBridgeGroups ? `  reverse bridge groups (target) ${kept.reverseBridgeGroups.join(', ')}\n  reverse offset map (source) ${kept.reverseOffsetMapTopic ?? ''}\n` : ''),
        );
      }
    },
  };
}
