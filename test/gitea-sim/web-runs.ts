// How each `gitea web` run of the simulator ended, so tests can assert that the temporary Gitea
// was stopped gracefully (SIGTERM handled, server closed) and not killed: one JSON line per
// event in `<[database] PATH>.web-runs.jsonl`. A run with no `stopped` line was killed (SIGKILL
// leaves no chance to write one) or crashed.
import { appendFileSync, readFileSync } from 'node:fs';

export interface WebRunEvent {
  pid: number;
  event: 'started' | 'stopped';
  /** For `stopped`: the signal whose graceful shutdown completed. */
  signal?: string;
  at: string;
}

export interface WebRun {
  pid: number;
  /** The signal it shut down on gracefully; null when it never finished a graceful stop. */
  stoppedBy: string | null;
}

export function webRunsPath(dbPath: string): string {
  return `${dbPath}.web-runs.jsonl`;
}

/** Append one event (O_APPEND: whole lines, even from two processes). */
export function recordWebRun(dbPath: string, event: Omit<WebRunEvent, 'at'>): void {
  try {
    appendFileSync(webRunsPath(dbPath), `${JSON.stringify({ ...event, at: new Date().toISOString() })}\n`);
  } catch {
    // The record is for tests; a read-only data dir must not change how the simulator behaves.
  }
}

/** Every run, in start order, with how it ended. */
export function readWebRuns(dbPath: string): WebRun[] {
  let text = '';
  try {
    text = readFileSync(webRunsPath(dbPath), 'utf8');
  } catch {
    return [];
  }
  const runs: WebRun[] = [];
  for (const line of text.split('\n').filter(Boolean)) {
    const event = JSON.parse(line) as WebRunEvent;
    if (event.event === 'started') runs.push({ pid: event.pid, stoppedBy: null });
    else {
      const run = runs.findLast((r) => r.pid === event.pid);
      if (run) run.stoppedBy = event.signal ?? 'unknown';
    }
  }
  return runs;
}
