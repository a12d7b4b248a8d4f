// The self-contained page: the laid-out SVG, a header saying how the boot stands, a legend, and
// a side panel with the journal rows of the step under the pointer (or clicked). Everything is
// inline — styles, script, data, system fonts only — so the file works offline and from file://.
// With `live`, the script follows the server's event stream and swaps in each new view.
import { formatMs, STATUS_STYLE } from './dot.ts';
import type { Overlay, StateStatus } from './overlay.ts';

/** One rendering of the boot: what the page shows and what the live server streams. */
export interface View {
  svg: string;
  header: string;
  overlay: Overlay;
  /** The run's timeline (Gantt) as inline SVG, critical path outlined (gantt.ts). */
  timeline: string;
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** JSON inside <script>: `</script>` and U+2028/9 in a value must not end or break the script. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const BADGE: Record<string, StateStatus> = {
  completed: 'done',
  degraded: 'degraded',
  failed: 'failed',
  running: 'current',
  interrupted: 'current',
};

/** Why: the first thing an operator reads — status, where it stopped, and what to do. */
export function renderHeader(overlay: Overlay): string {
  const run = overlay.run;
  const out: string[] = [];
  if (!run) {
    out.push(
      `<h1>gigi-boot <span class="badge pending" id="run-status" data-status="none">no boot recorded</span></h1>`,
    );
    out.push(`<p>Volume ${escapeHtml(overlay.volumeId ?? '(never booted)')}: nothing has booted it yet.</p>`);
    return out.join('\n');
  }
  const badge = BADGE[run.status] ?? 'pending';
  out.push(
    `<h1>gigi-boot <span class="badge ${badge}" id="run-status" data-status="${escapeHtml(run.status)}">${escapeHtml(run.status)}</span></h1>`,
  );
  const facts = [
    `run ${escapeHtml(run.runId)}`,
    `volume ${escapeHtml(overlay.volumeId ?? '-')}`,
    `machine v${escapeHtml(run.machineVersion)}`,
    `started ${escapeHtml(run.startedAt)}`,
    run.finishedAt
      ? `finished ${escapeHtml(run.finishedAt)}`
      : `last checkpoint ${escapeHtml(run.updatedAt)}`,
    `wall ${formatMs(run.wallMs)}`,
  ];
  out.push(`<p class="facts">${facts.join(' · ')}</p>`);
  if (run.currentStep && run.status !== 'completed') {
    out.push(`<p>Step: <b id="current-step">${escapeHtml(run.currentStep)}</b></p>`);
  }
  if (run.status === 'failed' && run.failure) {
    out.push(
      `<div class="banner failed" id="failure"><b>Failed at ${escapeHtml(run.failure.step)}</b>: ${escapeHtml(run.failure.message)}${run.failure.hint ? `<br/>→ ${escapeHtml(run.failure.hint)}` : ''}</div>`,
    );
  } else if (run.error) {
    out.push(`<div class="banner failed" id="failure">${escapeHtml(run.error)}</div>`);
  }
  if (run.degraded.length > 0) {
    out.push(
      `<div class="banner degraded">Degraded: ${run.degraded.map((d) => escapeHtml(d)).join('; ')}</div>`,
    );
  }
  if (overlay.versionNote) out.push(`<p class="note">${escapeHtml(overlay.versionNote)}</p>`);
  return out.join('\n');
}

function statusCss(): string {
  return (Object.entries(STATUS_STYLE) as Array<[StateStatus, (typeof STATUS_STYLE)[StateStatus]]>)
    .map(
      ([status, s]) =>
        `.badge.${status},.legend .${status}{background:${s.fill};border-color:${s.border};color:${s.text}}`,
    )
    .join('\n');
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#263238;background:#fafafa}
header{padding:12px 20px;background:#fff;border-bottom:1px solid #e0e0e0}
h1{font-size:20px;margin:0 0 4px}
.facts{color:#546e7a;margin:2px 0;font-size:12px}
.badge{display:inline-block;padding:1px 10px;border:2px solid;border-radius:12px;font-size:14px;vertical-align:middle}
.banner{margin:8px 0 2px;padding:8px 12px;border-radius:6px;border:2px solid}
.banner.failed{background:#ffebee;border-color:#c62828;color:#b71c1c}
.banner.degraded{background:#fff3e0;border-color:#e65100;color:#bf360c}
.note{color:#6d4c00}
main{display:flex;align-items:flex-start;gap:16px;padding:16px 20px}
#graph{flex:1 1 auto;overflow:auto;background:#fff;border:1px solid #e0e0e0;border-radius:6px}
#graph svg{display:block;width:100%;height:auto}
aside{flex:0 0 380px;position:sticky;top:16px;background:#fff;border:1px solid #e0e0e0;border-radius:6px;padding:12px;max-height:calc(100vh - 32px);overflow:auto}
aside h2{font-size:16px;margin:0 0 6px}
.legend{display:flex;flex-wrap:wrap;gap:6px;margin-bottom:10px}
.legend span{border:2px solid;border-radius:4px;padding:0 6px;font-size:12px}
table{border-collapse:collapse;width:100%;font-size:12px}
th,td{border-bottom:1px solid #eceff1;text-align:left;padding:3px 4px;vertical-align:top}
td.err{color:#b71c1c;word-break:break-word}
pre{white-space:pre-wrap;word-break:break-word;margin:0;font-size:11px}
g.state.step,g.state.run,g.state.backoff{cursor:pointer}
#timeline{margin:0 20px 20px;background:#fff;border:1px solid #e0e0e0;border-radius:6px;padding:8px 12px;overflow:auto}
#timeline h2{font-size:16px;margin:0 0 6px}
g.state.selected>path,g.state.selected>polygon{stroke-width:4px}
`;

/** The page's script: hover/click shows a step's journal rows; live mode follows /events. */
const SCRIPT = String.raw`
(function () {
  var data = JSON.parse(document.getElementById('overlay-data').textContent);
  var selected = null;
  function esc(t) { return String(t).replace(/[&<>"']/g, function (c) { return '&#' + c.charCodeAt(0) + ';'; }); }
  function ms(n) { return n >= 1000 ? (n / 1000).toFixed(1) + ' s' : Math.round(n) + ' ms'; }
  function stepOf(el) {
    var g = el && el.closest ? el.closest('g.state') : null;
    if (!g) return null;
    var view = data.states[g.id.slice('state:'.length)];
    return view && view.step ? view.step : null;
  }
  function show(step) {
    var panel = document.getElementById('details');
    var v = step && data.steps[step];
    if (!v) { panel.innerHTML = '<p>Hover or click a step to see its journal rows.</p>'; return; }
    var h = '<h2 id="details-step">' + esc(step) + '</h2><p><b class="status">' + esc(v.status) + '</b>' +
      (v.retrying ? ' (waiting to retry)' : '') + ' &middot; ' + v.attempts + ' attempt' + (v.attempts === 1 ? '' : 's') +
      ' &middot; ' + ms(v.durationMs) + (v.outcome ? ' &middot; last outcome ' + esc(v.outcome) : '') + '</p>';
    if (v.lastError) h += '<p class="err">Last error: ' + esc(v.lastError) + '</p>';
    if (v.rows.length === 0) h += '<p>No journal rows for this step in this run.</p>';
    else {
      h += '<table id="journal-rows"><tr><th>#</th><th>started</th><th>took</th><th>outcome</th><th>error / detail</th></tr>';
      v.rows.forEach(function (r) {
        h += '<tr class="journal-row"><td>' + r.attempt + '</td><td>' + esc(r.startedAt.slice(11, 23)) + '</td><td>' +
          ms(r.durationMs) + '</td><td>' + esc(r.outcome) + '</td><td class="err">' + esc(r.error || '') +
          (r.detail ? '<pre>' + esc(JSON.stringify(r.detail)) + '</pre>' : '') + '</td></tr>';
      });
      h += '</table>';
    }
    panel.innerHTML = h;
  }
  function mark() {
    var all = document.querySelectorAll('g.state.selected');
    for (var i = 0; i < all.length; i++) all[i].classList.remove('selected');
    if (!selected) return;
    var steps = document.querySelectorAll('g.state.step');
    for (var j = 0; j < steps.length; j++) if (stepOf(steps[j]) === selected) steps[j].classList.add('selected');
  }
  function initialSelection() {
    var keys = Object.keys(data.steps);
    var pick = keys.filter(function (k) { return data.steps[k].status === 'failed'; })[0] ||
      keys.filter(function (k) { return data.steps[k].status === 'current'; })[0] || null;
    return pick;
  }
  var graph = document.getElementById('graph');
  graph.addEventListener('mouseover', function (e) { var s = stepOf(e.target); if (s) show(s); });
  graph.addEventListener('mouseleave', function () { show(selected); });
  graph.addEventListener('click', function (e) { var s = stepOf(e.target); selected = s; mark(); show(s); });
  selected = initialSelection(); mark(); show(selected);
  if (document.body.dataset.live === 'true' && window.EventSource) {
    var updates = 0;
    var source = new EventSource('events');
    source.onmessage = function (e) {
      var view = JSON.parse(e.data);
      data = view.overlay;
      graph.innerHTML = view.svg;
      document.getElementById('header').innerHTML = view.header;
      document.getElementById('timeline-chart').innerHTML = view.timeline;
      if (!selected || !data.steps[selected]) selected = initialSelection();
      mark(); show(selected);
      updates += 1;
      document.body.dataset.updates = String(updates);
      document.body.dataset.connected = 'true';
    };
    source.onerror = function () { document.body.dataset.connected = 'false'; };
  }
})();
`;

/** Why: one file an operator can open anywhere, copy off the box, or attach to an issue. */
export function renderHtml(view: View, { live = false }: { live?: boolean } = {}): string {
  const legend = (['done', 'current', 'failed', 'degraded', 'skipped', 'pending'] as const)
    .map((s) => `<span class="${s}">${s}</span>`)
    .join('');
  const title = view.overlay.run ? `gigi-boot: ${view.overlay.run.status}` : 'gigi-boot: no boot';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)}</title>
<style>${STYLE}
${statusCss()}</style>
</head>
<body data-live="${live ? 'true' : 'false'}">
<header id="header">
${view.header}
</header>
<main>
<div id="graph">
${view.svg}
</div>
<aside>
<div class="legend">${legend}</div>
<div id="details"></div>
</aside>
</main>
<section id="timeline">
<h2>Timeline</h2>
<div id="timeline-chart">
${view.timeline}
</div>
</section>
<script type="application/json" id="overlay-data">${scriptJson(view.overlay)}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

/** A standalone SVG file (for --out FILE.svg): the XML prolog the inline form leaves out. */
export function renderSvgFile(view: View): string {
  return `<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n${view.svg}`;
}
