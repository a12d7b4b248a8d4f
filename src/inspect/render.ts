// The human views of inspect: the report (status, current step, a timeline table, the last
// error with the operator's next action, the config keys), --blame, --history, and the lines
// --follow prints as a boot progresses. Plain text, no colours: readable in `docker logs` too.
import { blameOrder, type HistoryReport, type InspectReport, type JournalRow } from './gather.ts';

function pad(text: string, width: number): string {
  return text.length >= width ? `${text} ` : text.padEnd(width);
}

/** 850 ms, 1.2 s, 2 min 03 s. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')} s`;
}

/** Offset from the run's start: +0.0 s, +12.3 s. */
function offset(at: string, from: string): string {
  const ms = Math.max(0, Date.parse(at) - Date.parse(from));
  return `+${(ms / 1000).toFixed(1)} s`;
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)) + 2);
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : pad(c, widths[i]!)))
      .join('')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

function statusLines(report: InspectReport): string[] {
  const out = [`Volume:  ${report.volumeId ?? '(never booted)'}   store: ${report.store}`];
  const run = report.run;
  if (!run) {
    out.push('Status:  no boot recorded for this volume');
    return out;
  }
  out.push(`Status:  ${run.status}   run ${run.runId}   machine v${run.machineVersion}`);
  if (report.adoption) out.push(`Adopted: ${report.adoption}`);
  out.push(`Step:    ${run.currentStep ?? '-'}`);
  out.push(
    `Started: ${run.startedAt}   ${run.finishedAt ? `finished ${run.finishedAt}` : `last checkpoint ${run.updatedAt}`}   wall ${formatMs(run.wallMs)}`,
  );
  if (run.degraded.length > 0) out.push(`Degraded: ${run.degraded.join('; ')}`);
  if (run.resetFrom)
    out.push(
      `Reset:   --from ${run.resetFrom.from} at ${run.resetFrom.at}${run.resetFrom.reason ? ` (reason: ${run.resetFrom.reason})` : ''}`,
    );
  return out;
}

function timeline(report: InspectReport): string[] {
  const run = report.run;
  if (!run || (report.steps.length === 0 && run.activeSteps.length === 0)) return [];
  const rows = report.steps.map((s) => [
    s.step,
    String(s.attempts),
    `${s.firstStartedAt.slice(11, 23)} ${offset(s.firstStartedAt, run.startedAt)}`,
    formatMs(s.durationMs),
    s.outcome,
  ]);
  for (const step of run.activeSteps) {
    const done = report.steps.find((s) => s.step === step);
    if (!done)
      rows.push([
        step,
        '-',
        `${run.updatedAt.slice(11, 23)} ${offset(run.updatedAt, run.startedAt)}`,
        '-',
        'running',
      ]);
    else if (done.outcome !== 'ok') done.outcome = `${done.outcome}, retrying`;
  }
  return ['', ...table(['STEP', 'ATTEMPTS', 'START (UTC)', 'DURATION', 'OUTCOME'], rows)];
}

/** The output tail journaled with the failed step's last attempt (Gitea's log, a build's output). */
function failedStepTail(report: InspectReport): string[] {
  const step = report.run?.failure?.step;
  const row = [...report.journal].reverse().find((r) => r.outcome === 'error' && (!step || r.step === step));
  const tail = row?.detail?.outputTail;
  return Array.isArray(tail) ? tail.filter((l): l is string => typeof l === 'string') : [];
}

/** Why: a step held in a retry is what an operator looks at first, before it gives up. */
export function retryLines(report: InspectReport): string[] {
  return report.retrying.map((r) => {
    const of = r.maxAttempts ? ` of ${r.maxAttempts}` : '';
    const when =
      r.phase === 'waiting'
        ? `attempt ${r.attempt}${of} failed; attempt ${r.attempt + 1} due ${r.nextAttemptAt ?? '(unknown)'}`
        : `attempt ${r.attempt}${of} running`;
    return `Retrying: ${r.step}: ${when}${r.lastError ? ` — last error: ${r.lastError}` : ''}`;
  });
}

function errorLines(report: InspectReport): string[] {
  const out: string[] = [];
  const retrying = retryLines(report);
  if (retrying.length > 0) out.push('', ...retrying);
  if (report.lastError) out.push('', `Last error: ${report.lastError}`);
  const tail = report.lastError ? failedStepTail(report) : [];
  if (tail.length > 0) out.push('Output tail:', ...tail.map((l) => `  ${l}`));
  if (report.nextAction) out.push(`${report.lastError ? '' : '\n'}Next: ${report.nextAction}`);
  return out;
}

function configLines(report: InspectReport): string[] {
  const keys = Object.keys(report.config);
  if (keys.length === 0) return [];
  const width = Math.max(...keys.map((k) => k.length)) + 2;
  return [
    '',
    `Config (${report.revealed ? 'values revealed' : 'secrets redacted; --reveal shows them'}):`,
    ...keys.map((key) => `  ${pad(key, width)}${report.config[key]}`),
  ];
}

/** Why: the default view an operator reads first. */
export function renderReport(report: InspectReport): string {
  return `${[...statusLines(report), ...timeline(report), ...errorLines(report), ...configLines(report)].join('\n')}\n`;
}

/** Why: where did the boot's time go — slowest steps first, like `systemd-analyze blame`. */
export function renderBlame(report: InspectReport): string {
  const out = statusLines(report);
  const steps = blameOrder(report.steps);
  if (steps.length > 0) {
    const total = steps.reduce((sum, s) => sum + s.durationMs, 0);
    out.push('');
    for (const s of steps) {
      const share = total > 0 ? `${Math.round((100 * s.durationMs) / total)}%` : '-';
      out.push(
        `${formatMs(s.durationMs).padStart(12)}  ${share.padStart(4)}  ${s.step}${s.attempts > 1 ? ` (${s.attempts} attempts)` : ''}${s.outcome === 'ok' ? '' : ` [${s.outcome}]`}`,
      );
    }
    out.push(
      `${formatMs(total).padStart(12)}        total step time (wall ${formatMs(report.run?.wallMs ?? 0)})`,
    );
  }
  out.push(...criticalPathLines(report));
  return `${out.join('\n')}\n`;
}

/**
 * Why: step times overlap (the Gitea region and the build run side by side), so their sum is not
 * the wall time; this chain is (like `systemd-analyze critical-chain`): @ start offset, + span.
 */
export function criticalPathLines(report: InspectReport): string[] {
  if (report.criticalPath.length === 0) return [];
  const out = ['', 'Critical path (the chain of steps that set the wall time):'];
  report.criticalPath.forEach((link, i) => {
    const indent = i === 0 ? '  ' : `${'  '.repeat(i)}└─`;
    out.push(`${indent}${link.step} @${formatMs(link.atMs)} +${formatMs(link.spanMs)}`);
  });
  return out;
}

/** What a boot that waited for the lock then did, by its start plan. */
const THEN: Record<string, string> = {
  warm: 'warm start',
  resume: 'resumed the run',
  fresh: 'fresh boot',
  runner: 'runner-worker build',
};

/** Why: earlier boots of this volume (after a reset, a config change, a failure), newest first. */
export function renderHistory(history: HistoryReport): string {
  const out = [`Volume:  ${history.volumeId ?? '(never booted)'}   store: ${history.store}`];
  if (history.runs.length === 0) {
    out.push('No boot recorded for this volume.');
    return `${out.join('\n')}\n`;
  }
  const rows = history.runs.map((r) => [
    r.startedAt,
    r.status,
    formatMs(r.wallMs),
    `v${r.machineVersion}`,
    r.runId,
    [
      r.resetFrom
        ? `reset --from ${r.resetFrom.from} at ${r.resetFrom.at}${r.resetFrom.reason ? ` (reason: ${r.resetFrom.reason})` : ''}`
        : '',
      r.error ?? '',
      ...r.waits.map(
        (w) =>
          `waited: host ${w.host} pid ${w.pid} for ${formatMs(w.waitedMs)}, then ${THEN[w.then] ?? w.then}`,
      ),
    ]
      .filter(Boolean)
      .join('; '),
  ]);
  out.push('', ...table(['STARTED', 'STATUS', 'WALL', 'MACHINE', 'RUN', 'NOTE'], rows));
  return `${out.join('\n')}\n`;
}

/** One --follow line per journal row as it is committed. */
export function renderFollowRow(row: JournalRow): string {
  const mark = { ok: '✓', error: '✗', interrupted: '!', skipped: '-', reset: '↺' }[row.outcome] ?? '?';
  const detail =
    row.error ??
    (row.detail
      ? Object.values(row.detail)
          .filter((v) => typeof v === 'string')
          .join(', ')
      : '');
  return `${row.finishedAt.slice(11, 23)} ${mark} ${pad(row.step, 20)}${pad(`#${row.attempt}`, 4)}${pad(formatMs(row.durationMs), 10)}${detail}`.trimEnd();
}
