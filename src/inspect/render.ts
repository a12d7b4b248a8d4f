// The human view of an InspectReport: status, current step, a timeline table, the last error
// with the operator's next action, and the config keys.
import type { InspectReport } from './gather.ts';

function pad(text: string, width: number): string {
  return text.length >= width ? `${text} ` : text.padEnd(width);
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms} ms`;
}

/** Plain text, no colours: readable in `docker logs` and in a terminal alike. */
export function renderReport(report: InspectReport): string {
  const out: string[] = [];
  out.push(`Volume:  ${report.volumeId ?? '(never booted)'}   store: ${report.store}`);
  const run = report.run;
  if (!run) {
    out.push('Status:  no boot recorded for this volume');
  } else {
    out.push(`Status:  ${run.status}   run ${run.runId}   machine v${run.machineVersion}`);
    out.push(`Step:    ${run.currentStep ?? '-'}`);
    out.push(
      `Started: ${run.startedAt}   ${run.finishedAt ? `finished ${run.finishedAt}` : `last checkpoint ${run.updatedAt}`}   wall ${formatMs(run.wallMs)}`,
    );
    if (run.degraded.length > 0) out.push(`Degraded: ${run.degraded.join('; ')}`);
  }
  if (report.steps.length > 0) {
    out.push(
      '',
      `${pad('STEP', 20)}${pad('ATTEMPTS', 10)}${pad('STARTED', 26)}${pad('DURATION', 11)}OUTCOME`,
    );
    for (const s of report.steps) {
      out.push(
        `${pad(s.step, 20)}${pad(String(s.attempts), 10)}${pad(s.firstStartedAt, 26)}${pad(formatMs(s.durationMs), 11)}${s.outcome}`,
      );
    }
  }
  const failure = run?.failure;
  const lastError = failure
    ? `${failure.step}: ${failure.message}`
    : (run?.error ?? [...report.steps].reverse().find((s) => s.lastError)?.lastError ?? null);
  if (lastError) {
    out.push('', `Last error: ${lastError}`);
    if (failure?.hint) out.push(`  → ${failure.hint}`);
  }
  const keys = Object.keys(report.config);
  if (keys.length > 0) {
    out.push(
      '',
      `Config (${report.revealed ? 'values revealed' : 'secrets redacted; --reveal shows them'}):`,
    );
    for (const key of keys) out.push(`  ${pad(key, 22)}${report.config[key]}`);
  }
  return `${out.join('\n')}\n`;
}
