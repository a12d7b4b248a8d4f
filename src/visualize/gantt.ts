// The run's timeline (Gantt), drawn as inline SVG under the machine: one row per step, one bar
// per attempt at its real start and length, so the Gitea region and the runner-worker build show
// as bars side by side in time; the steps of the critical path are outlined. Pure: data in,
// markup out (escaped), no script needed to read it.
import type { CriticalLink } from '../inspect/critical-path.ts';
import type { JournalRow } from '../inspect/gather.ts';
import { formatMs } from './dot.ts';
import { escapeHtml } from './html.ts';

export interface TimelineInput {
  run: { startedAt: string; updatedAt: string; finishedAt: string | null } | null;
  journal: JournalRow[];
  criticalPath?: CriticalLink[];
}

const ROW = 22;
const LABEL = 170;
const WIDTH = 900;
const OUTCOME_FILL: Record<string, string> = {
  ok: '#66bb6a',
  error: '#ef5350',
  interrupted: '#ffa726',
  skipped: '#b0bec5',
};

/** Why: where the time went, with parallel work visible as parallel bars. */
export function renderTimeline(input: TimelineInput): string {
  const attempts = input.journal.filter((r) => r.outcome !== 'reset');
  if (!input.run || attempts.length === 0) {
    return '<p id="timeline-empty">No timeline: no step of a run is recorded.</p>';
  }
  const origin = Date.parse(input.run.startedAt);
  const end = Math.max(
    Date.parse(input.run.finishedAt ?? input.run.updatedAt),
    ...attempts.map((r) => Date.parse(r.finishedAt)),
  );
  const total = Math.max(1, end - origin);
  const scale = (WIDTH - LABEL - 10) / total;
  const steps = [...new Set(attempts.map((r) => r.step))];
  const critical = new Set((input.criticalPath ?? []).map((l) => l.step));
  const height = steps.length * ROW + 30;
  const out: string[] = [
    `<svg id="timeline-svg" xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui,sans-serif" font-size="12">`,
  ];
  steps.forEach((step, i) => {
    const y = i * ROW + 4;
    const isCritical = critical.has(step);
    out.push(
      `<g class="gantt-row${isCritical ? ' critical' : ''}" id="gantt:${escapeHtml(step)}" data-step="${escapeHtml(step)}">`,
      `<text x="4" y="${y + 14}"${isCritical ? ' font-weight="bold"' : ''}>${escapeHtml(step)}</text>`,
    );
    for (const row of attempts.filter((r) => r.step === step)) {
      const x = LABEL + (Date.parse(row.startedAt) - origin) * scale;
      const w = Math.max(2, row.durationMs * scale);
      out.push(
        `<rect class="gantt-bar" data-attempt="${row.attempt}" data-outcome="${escapeHtml(row.outcome)}" x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${ROW - 6}" rx="3" fill="${OUTCOME_FILL[row.outcome] ?? '#90a4ae'}"${isCritical ? ' stroke="#1a237e" stroke-width="2"' : ''}><title>${escapeHtml(`${step} #${row.attempt}: ${row.outcome}, ${formatMs(row.durationMs)}`)}</title></rect>`,
      );
    }
    out.push('</g>');
  });
  const axisY = steps.length * ROW + 18;
  out.push(
    `<line x1="${LABEL}" y1="${axisY - 8}" x2="${WIDTH - 10}" y2="${axisY - 8}" stroke="#90a4ae"/>`,
    `<text x="${LABEL}" y="${axisY + 6}">0</text>`,
    `<text x="${WIDTH - 10}" y="${axisY + 6}" text-anchor="end">${escapeHtml(formatMs(total))}</text>`,
    '</svg>',
  );
  const chain = (input.criticalPath ?? []).map((l) => escapeHtml(l.step)).join(' → ');
  return `${out.join('\n')}\n<p id="critical-path">Critical path (outlined): ${chain || '-'}</p>`;
}
