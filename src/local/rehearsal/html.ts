import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { LocalEnvironmentError } from '../../errors';
import type { RehearsalReport } from './report';

/** The chart library inlined into the report (uPlot: small, canvas, no dependencies). */
export interface ChartAssets {
  js: string;
  css: string;
}

/**
 * Read uPlot's browser build from node_modules, so the report needs no network.
 *
 * @example
 * ```ts
 * const html = renderReportHtml(report, await loadChartAssets());
 * ```
 */
export async function loadChartAssets(): Promise<ChartAssets> {
  const require = createRequire(import.meta.url);
  try {
    const dir = require.resolve('uplot/package.json').replace(/package\.json$/, '');
    const [js, css] = await Promise.all([readFile(`${dir}dist/uPlot.iife.min.js`, 'utf8'), readFile(`${dir}dist/uPlot.min.css`, 'utf8')]);
    return { js, css };
  } catch (err) {
    throw new LocalEnvironmentError('Cannot read the chart library (uplot) from node_modules; run npm install', { cause: err });
  }
}

/** Text safe inside HTML. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** JSON safe inside a `<script>` element (no `</script>`, no `<!--`). */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function fmtMs(ms: number | null): string {
  if (ms === null) return '—';
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

function fmtInt(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * The self-contained report page: summary, cutover timeline, and charts of lag and throughput with the cutover
 * steps marked. The data is embedded as JSON; the charts are drawn by the inlined uPlot. The page sets
 * `data-render="ok"` on `<body>` once every chart is drawn (or `data-render="error"` with the message), which
 * the e2e test reads from headless Chromium.
 *
 * @example
 * ```ts
 * await writeFile('index.html', renderReportHtml(report, await loadChartAssets()));
 * ```
 */
export function renderReportHtml(report: RehearsalReport, assets: ChartAssets): string {
  const c = report.counts;
  const a = report.availability;
  const t0 = Date.parse(report.startedAt);
  const verdict = report.ok ? 'PASSED' : 'FAILED';
  const card = (label: string, value: string, tone: 'good' | 'bad' | 'plain' = 'plain', hint = '') =>
    `<div class="card ${tone}"><div class="label">${escapeHtml(label)}</div><div class="value">${escapeHtml(value)}</div>${hint ? `<div class="hint">${escapeHtml(hint)}</div>` : ''}</div>`;
  // With --failback both cutovers share one timeline, numbered on: forward 1-10, failback 11-20.
  const fb = report.failback;
  const timeline = [...report.cutover.steps.map((s) => ({ s, move: 'forward' })), ...(fb?.steps ?? []).map((s) => ({ s, move: 'failback' }))];
  const steps = timeline
    .map(({ s, move }, i) => {
      const start = (s.startedAtMs - t0) / 1000;
      const dur = s.endedAtMs === null ? null : s.endedAtMs - s.startedAtMs;
      return `<tr class="${s.status}"><td class="num">${i + 1}</td>${fb ? `<td>${move}</td>` : ''}<td>${escapeHtml(s.step)}</td><td class="num">+${start.toFixed(1)} s</td><td class="num">${fmtMs(dur)}</td><td class="num">${s.attempts}</td><td>${escapeHtml(s.status)}${s.error ? `: ${escapeHtml(s.error)}` : ''}</td></tr>`;
    })
    .join('\n');
  const windows = a.windows && fb
    ? `<h2>Unavailability per move</h2>
<table id="windows">
<thead><tr><th>move</th><th>result</th><th>write unavailable</th><th>producers fenced</th><th>read unavailable</th><th>time to drain</th></tr></thead>
<tbody>
${a.windows.map((w) => `<tr class="${w.status === 'failed' ? 'failed' : ''}"><td>${w.direction}</td><td>${escapeHtml(w.status)}</td><td class="num">${fmtMs(w.writeUnavailableMs)}</td><td class="num">${fmtMs(w.fencedMs)}</td><td class="num">${fmtMs(w.readUnavailableMs)}</td><td class="num">${fmtMs(w.timeToDrainMs)}</td></tr>`).join('\n')}
</tbody>
</table>`
    : '';
  const failures = report.failures.length
    ? `<section class="failures"><h2>Why it failed</h2><ul>${report.failures.map((f) => `<li>${escapeHtml(f)}</li>`).join('')}</ul></section>`
    : '';
  const env = report.environment;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>kbridge rehearsal ${escapeHtml(report.runId)} — ${verdict}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${assets.css}</style>
<style>
:root { --good: #1a7f37; --bad: #cf222e; --muted: #57606a; --line: #d0d7de; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.45 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0; color: #1f2328; background: #fff; }
header { padding: 20px 32px; border-bottom: 1px solid var(--line); display: flex; align-items: baseline; gap: 16px; flex-wrap: wrap; }
header h1 { font-size: 20px; margin: 0; }
.badge { font-weight: 700; padding: 2px 10px; border-radius: 12px; color: #fff; }
.badge.ok { background: var(--good); } .badge.failed { background: var(--bad); }
.meta { color: var(--muted); }
main { padding: 16px 32px 40px; max-width: 1280px; }
h2 { font-size: 16px; margin: 24px 0 8px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; background: var(--bg); }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
.card .value { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .hint { color: var(--muted); font-size: 12px; }
.card.good .value { color: var(--good); } .card.bad .value { color: var(--bad); }
.failures { border: 1px solid var(--bad); border-radius: 8px; padding: 4px 16px; background: #fff5f5; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid var(--line); }
th { color: var(--muted); font-weight: 600; font-size: 12px; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.failed td { color: var(--bad); }
.gantt { position: relative; height: 26px; background: var(--bg); border: 1px solid var(--line); border-radius: 4px; margin: 8px 0 4px; }
.gantt div { position: absolute; top: 3px; bottom: 3px; border-radius: 3px; min-width: 3px; opacity: .85; color: #fff; font-size: 11px; line-height: 20px; text-align: center; overflow: hidden; white-space: nowrap; }
.chart { margin: 8px 0 16px; }
.env td:first-child { color: var(--muted); width: 180px; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; }
</style>
</head>
<body data-render="pending">
<header>
  <h1>Migration rehearsal</h1>
  <span class="badge ${report.ok ? 'ok' : 'failed'}">${verdict}</span>
  <span class="meta">run <code>${escapeHtml(report.runId)}</code> · ${escapeHtml(report.settings.pattern)} · Kafka ${escapeHtml(report.settings.kafkaVersion)} ·
  ${report.settings.topics} topics × ${report.settings.partitions} partitions · ${report.settings.ratePerSecond} records/s · ${escapeHtml(report.startedAt)} · ${fmtMs(report.durationMs)}</span>
</header>
<main>
${failures}
<h2>Records</h2>
<div class="cards">
${card('Produced', fmtInt(c.produced), 'plain', `${fmtInt(c.producedOnSource)} source · ${fmtInt(c.producedOnTarget)} target`)}
${card('Replicated', fmtInt(c.replicated), c.replicationMissing + c.replicatedDuplicates === 0 ? 'plain' : 'bad', 'source → target, read back')}
${c.reverseReplicated === undefined ? '' : card('Reverse-replicated', fmtInt(c.reverseReplicated), (c.reverseReplicationMissing ?? 0) + (c.reverseReplicatedDuplicates ?? 0) === 0 ? 'plain' : 'bad', 'target → source, read back')}
${card('Consumed', fmtInt(c.consumed), 'plain', `${fmtInt(c.consumedOnSource)} source · ${fmtInt(c.consumedOnTarget)} target`)}
${card('Lost', fmtInt(c.lost), c.lost === 0 ? 'good' : 'bad', 'produced, never consumed')}
${card('Duplicated', fmtInt(c.duplicated), c.duplicated === 0 ? 'good' : 'bad', 'extra deliveries')}
${card('Out of order', fmtInt(c.orderViolations), c.orderViolations === 0 ? 'good' : 'bad', 'within a partition')}
</div>
<h2>Availability during the switch${fb ? 'es' : ''}</h2>
<div class="cards">
${card('Write unavailable', fmtMs(a.writeUnavailableMs), 'plain', 'longest pause between acked writes')}
${card('Producers fenced', fmtMs(a.fencedMs), 'plain', 'fence → writing on target')}
${card('Read unavailable', fmtMs(a.readUnavailableMs), 'plain', 'longest pause between consumed records')}
${card('Time to drain', fmtMs(a.timeToDrainMs), 'plain', 'waitDrained step')}
${card('Catch-up', fmtMs(a.catchUpMs), 'plain', 'load stopped → last record consumed')}
${card('Max end-to-end', fmtMs(a.maxEndToEndMs), 'plain', 'produce → consume')}
</div>
${windows}
<h2>Consumer lag (records)</h2>
<div id="lag" class="chart"></div>
<h2>Throughput (records/s)</h2>
<div id="throughput" class="chart"></div>
<h2>${fb ? 'Cutover and failback timeline' : 'Cutover timeline'} <span class="meta">(${fb ? `forward ${escapeHtml(report.cutover.status)}, failback ${escapeHtml(fb.status)}` : escapeHtml(report.cutover.status)}, ${escapeHtml(report.cutover.runner)})</span></h2>
<div class="gantt" id="gantt"></div>
<table id="steps">
<thead><tr><th>#</th>${fb ? '<th>move</th>' : ''}<th>step</th><th>started</th><th>took</th><th>runs</th><th>result</th></tr></thead>
<tbody>
${steps || '<tr><td colspan="6">the cutover did not run</td></tr>'}
</tbody>
</table>
<h2>Producer</h2>
<table>
<thead><tr><th>at</th><th>event</th><th>cluster</th><th>detail</th></tr></thead>
<tbody>
${report.producerEvents.map((e) => `<tr><td>+${((e.atMs - t0) / 1000).toFixed(1)} s</td><td>${escapeHtml(e.kind)}</td><td>${escapeHtml(e.cluster)} <code>${escapeHtml(e.bootstrapServers)}</code></td><td>${escapeHtml(e.detail ?? '')}</td></tr>`).join('\n') || '<tr><td colspan="4">no producer events</td></tr>'}
</tbody>
</table>
<h2>Environment</h2>
<table class="env">
<tr><td>source</td><td><code>${escapeHtml(env.source)}</code></td></tr>
<tr><td>target</td><td><code>${escapeHtml(env.target)}</code></td></tr>
<tr><td>topics</td><td><code>${escapeHtml(env.topics.join(', '))}</code></td></tr>
<tr><td>consumer groups</td><td><code>${escapeHtml(env.consumerGroups.join(', '))}</code></td></tr>
<tr><td>bridge</td><td><code>${escapeHtml(env.bridgeId)}</code> (source groups <code>${escapeHtml(env.bridgeGroups.join(', '))}</code>)</td></tr>
${env.reverseBridge ? `<tr><td>reverse bridge</td><td><code>${escapeHtml(env.reverseBridge.bridgeId)}</code> (target groups <code>${escapeHtml(env.reverseBridge.bridgeGroups.join(', '))}</code>, offset map <code>${escapeHtml(env.reverseBridge.offsetMapTopic)}</code> on the source)</td></tr>` : ''}
<tr><td>config store / audit</td><td><code>${escapeHtml(env.configStore)}</code> · <code>${escapeHtml(env.auditLog)}</code></td></tr>
</table>
</main>
<script type="application/json" id="report-data">${jsonForScript(report)}</script>
<script>${assets.js}</script>
<script>
(function () {
  var body = document.body;
  window.addEventListener('error', function (e) { body.dataset.render = 'error'; body.dataset.renderError = String(e.message); });
  try {
    var report = JSON.parse(document.getElementById('report-data').textContent);
    var t0 = Date.parse(report.startedAt);
    var rel = function (ms) { return (ms - t0) / 1000; };
    var palette = ['#0969da', '#bf3989', '#1a7f37', '#9a6700', '#8250df', '#cf222e', '#1b7c83', '#953800', '#57606a', '#0550ae', '#6639ba'];
    var steps = report.cutover.steps.concat(report.failback ? report.failback.steps : []);
    var markers = steps.map(function (s, i) { return { t: rel(s.startedAtMs), label: String(i + 1), color: palette[i % palette.length] }; });
    // Each move's write pause is shaded (one per cutover with --failback).
    var fences = (report.availability.windows || []).map(function (w) { return w.writeGap; }).filter(Boolean);
    if (fences.length === 0 && report.availability.writeGap) fences = [report.availability.writeGap];
    var x = report.series.map(function (s) { return rel(s.atMs); });
    var num = function (v) { return v === null ? null : Number(v); };
    var width = Math.min(1200, document.querySelector('main').clientWidth - 8);
    function markerPlugin(shades) {
      return { hooks: { draw: [function (u) {
        var ctx = u.ctx, top = u.bbox.top, h = u.bbox.height;
        ctx.save();
        shades.forEach(function (shade) {
          var x0 = u.valToPos(rel(shade.fromMs), 'x', true), x1 = u.valToPos(rel(shade.toMs), 'x', true);
          ctx.fillStyle = 'rgba(207, 34, 46, 0.08)';
          ctx.fillRect(x0, top, Math.max(1, x1 - x0), h);
        });
        ctx.font = (11 * devicePixelRatio) + 'px sans-serif';
        // Steps seconds apart would print their numbers on top of each other: each label takes the first row
        // where it clears the previous label.
        var rowEnds = [];
        markers.forEach(function (m) {
          var px = u.valToPos(m.t, 'x', true);
          ctx.strokeStyle = m.color; ctx.fillStyle = m.color; ctx.lineWidth = devicePixelRatio;
          ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
          ctx.beginPath(); ctx.moveTo(px, top); ctx.lineTo(px, top + h); ctx.stroke();
          var x = px + 3 * devicePixelRatio, w = ctx.measureText(m.label).width + 4 * devicePixelRatio, row = 0;
          while (rowEnds[row] !== undefined && rowEnds[row] > x) row++;
          rowEnds[row] = x + w;
          ctx.fillText(m.label, x, top + (12 + row * 12) * devicePixelRatio);
        });
        ctx.restore();
      }] } };
    }
    // Wide enough for "120,000": uPlot's default axis width cuts long tick labels.
    var axes = [{ label: 'seconds since start' }, { size: 72 }];
    var lagSeries = [{ label: 't (s)' },
        { label: 'source group lag', stroke: '#0969da', width: 2, spanGaps: false },
        { label: 'bridge replication lag', stroke: '#bf3989', width: 2, spanGaps: false },
        { label: 'target group lag', stroke: '#1a7f37', width: 2, spanGaps: false }];
    var lagData = [x, report.series.map(function (s) { return num(s.sourceGroupLag); }), report.series.map(function (s) { return num(s.bridgeLag); }), report.series.map(function (s) { return num(s.targetGroupLag); })];
    if (report.failback) {
      lagSeries.push({ label: 'reverse bridge lag', stroke: '#953800', width: 2, spanGaps: false });
      lagData.push(report.series.map(function (s) { return s.reverseBridgeLag === undefined ? null : num(s.reverseBridgeLag); }));
    }
    new uPlot({
      width: width, height: 300, plugins: [markerPlugin([])], axes: axes,
      scales: { x: { time: false } },
      series: lagSeries,
    }, lagData, document.getElementById('lag'));
    new uPlot({
      width: width, height: 260, plugins: [markerPlugin(fences)], axes: axes,
      scales: { x: { time: false } },
      series: [{ label: 't (s)' },
        { label: 'produced/s', stroke: '#9a6700', width: 2, fill: 'rgba(154,103,0,0.06)' },
        { label: 'consumed/s', stroke: '#8250df', width: 2 }],
    }, [x, report.series.map(function (s) { return s.producedPerSec; }), report.series.map(function (s) { return s.consumedPerSec; })],
    document.getElementById('throughput'));
    var gantt = document.getElementById('gantt');
    var end = Date.parse(report.finishedAt);
    steps.forEach(function (s, i) {
      var d = document.createElement('div');
      var stop = s.endedAtMs === null ? end : s.endedAtMs;
      d.style.left = (100 * (s.startedAtMs - t0) / (end - t0)) + '%';
      d.style.width = (100 * (stop - s.startedAtMs) / (end - t0)) + '%';
      d.style.background = s.status === 'failed' ? '#cf222e' : palette[i % palette.length];
      d.title = (i + 1) + ' ' + (report.failback ? (i < report.cutover.steps.length ? 'forward ' : 'failback ') : '') + s.step + ' (' + ((stop - s.startedAtMs) / 1000).toFixed(1) + ' s)';
      d.textContent = String(i + 1);
      gantt.appendChild(d);
    });
    document.querySelectorAll('#steps tbody tr').forEach(function (tr, i) {
      if (steps[i]) tr.cells[0].style.borderLeft = '4px solid ' + (steps[i].status === 'failed' ? '#cf222e' : palette[i % palette.length]);
    });
    if (body.dataset.render === 'pending') body.dataset.render = 'ok';
  } catch (e) {
    body.dataset.render = 'error';
    body.dataset.renderError = String(e && e.message || e);
  }
})();
</script>
</body>
</html>
`;
}
