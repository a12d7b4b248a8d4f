// `inspect --follow`: print a boot's progress as its checkpoints commit (LISTEN
// gigi_boot_progress), until the run ends; then the final report and its exit code.
// Postgres only: PGlite is embedded in one process, so another process's boot is invisible.
import { setTimeout as sleep } from 'node:timers/promises';
import { isBootError, isErrorIn } from '../errors.ts';
import type { Store } from '../store/types.ts';
import type { InspectReport, JournalRow, RunView } from './gather.ts';
import { renderFollowRow, retryLines } from './render.ts';

export interface FollowOptions {
  store: Store;
  /** Re-read until the first boot of a fresh volume has written its id. */
  volumeId: () => Promise<string | null>;
  /** The current report of that volume, secrets redacted (they appear while the boot runs). */
  gather: (volumeId: string | null) => Promise<InspectReport>;
  json: boolean;
  write: (text: string) => void;
  /** How often to check, between notifications, that a 'running' run still has a live boot. */
  livenessIntervalMs?: number;
  signal?: AbortSignal;
}

/**
 * The lines of `inspect --follow --json`, one JSON object each (docs/operations.md), typed so a
 * line the documentation does not name cannot be printed. Each command's JSON stream has names
 * of its own: these are not log events (src/log/events.ts).
 */
export type FollowLine =
  | { event: 'waiting'; volumeId: string | null }
  | ({ event: 'step'; runId: string } & JournalRow)
  | { event: 'status'; runId: string; status: RunView['status']; currentStep: string | null }
  | { event: 'retry'; runId: string; retrying: InspectReport['retrying'] }
  | { event: 'stalled'; runId: string }
  | { event: 'timeout'; timeoutMs: number; report: InspectReport }
  | { event: 'end'; report: InspectReport };

/** Why: a 'running' run whose process died never notifies again; the free boot lock shows it. */
async function bootIsAlive(store: Store, volumeId: string): Promise<boolean> {
  try {
    const lock = await store.acquireBootLock(volumeId, { timeoutMs: 0 });
    await lock.release();
    return false;
  } catch (error) {
    if (isErrorIn(error, 'lock')) return true;
    throw error;
  }
}

/** How long follow rides out a database that went away (a restart) before giving up. */
const RECONNECT_WINDOW_MS = 60_000;

/**
 * Why: Postgres restarting under a follow must not end it: a transient store failure is
 * retried (backing off) until the database answers again or the window is spent.
 */
async function whileReachable<T>(operation: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  const deadline = Date.now() + RECONNECT_WINDOW_MS;
  for (let delay = 250; ; delay = Math.min(2_000, delay * 2)) {
    try {
      return await operation();
    } catch (error) {
      if (!isBootError(error) || !error.transient || Date.now() + delay > deadline || signal?.aborted)
        throw error;
      await sleep(delay);
    }
  }
}

/** Why: operators and scripts wait on a boot without polling; resolves with the final report. */
export async function followBoot(options: FollowOptions): Promise<InspectReport> {
  const { store, write, json } = options;
  let wake: () => void = () => undefined;
  let pending = true;
  // Set when the LISTEN session ended (Postgres restarted): listen again, then read everything.
  let listenLost = false;
  const listen = () =>
    store.onProgress(
      () => {
        pending = true;
        wake();
      },
      () => {
        listenLost = true;
        pending = true;
        wake();
      },
    );
  let stop = await listen();
  const printed = new Map<string, number>();
  let lastStatus = '';
  let lastRetrying = '[]';
  let waitingShown = false;
  const emit = (event: FollowLine, text: string) => write(json ? `${JSON.stringify(event)}\n` : `${text}\n`);
  try {
    for (;;) {
      if (listenLost) {
        listenLost = false;
        await stop();
        stop = await whileReachable(listen, options.signal);
      }
      pending = false;
      const volumeId = await whileReachable(options.volumeId, options.signal);
      const report = await whileReachable(() => options.gather(volumeId), options.signal);
      const run = report.run;
      if (!run) {
        if (!waitingShown)
          emit({ event: 'waiting', volumeId }, 'waiting for a boot of this volume to start…');
        waitingShown = true;
      } else {
        const seen = printed.get(run.runId);
        if (seen === undefined) {
          // Rows of a run already under way when follow started: show them too, once.
          printed.set(run.runId, 0);
        }
        for (const row of report.journal.slice(printed.get(run.runId))) {
          emit({ event: 'step', runId: run.runId, ...row }, renderFollowRow(row));
        }
        printed.set(run.runId, report.journal.length);
        const status = `${run.runId} ${run.status} ${run.currentStep ?? '-'}`;
        if (status !== lastStatus) {
          lastStatus = status;
          emit(
            { event: 'status', runId: run.runId, status: run.status, currentStep: run.currentStep },
            `── ${run.status}${run.currentStep && run.status === 'running' ? `: ${run.currentStep}` : ''}   (run ${run.runId})`,
          );
        }
        // A step held in a retry: its attempt, last error and when the next attempt is due.
        const retrying = JSON.stringify(report.retrying);
        if (retrying !== lastRetrying) {
          lastRetrying = retrying;
          if (report.retrying.length > 0)
            emit(
              { event: 'retry', runId: run.runId, retrying: report.retrying },
              retryLines(report).join('\n'),
            );
        }
        if (run.status !== 'running') return report;
      }
      if (options.signal?.aborted) return report;
      // Sleep until a checkpoint notifies, or check that the boot is still alive.
      if (!pending) {
        const woke = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), options.livenessIntervalMs ?? 5_000);
          wake = () => {
            clearTimeout(timer);
            resolve(true);
          };
          options.signal?.addEventListener('abort', () => wake(), { once: true });
        });
        wake = () => undefined;
        if (
          !woke &&
          run &&
          volumeId &&
          !pending &&
          !(await whileReachable(() => bootIsAlive(store, volumeId), options.signal))
        ) {
          // One more read: the boot may have ended between the gather and the lock check.
          const final = await whileReachable(() => options.gather(volumeId), options.signal);
          if (final.run?.status === 'running') {
            emit(
              { event: 'stalled', runId: final.run.runId },
              'no gigi-boot process holds this volume’s boot lock: the boot died without a final checkpoint; the next `gigi-boot run` resumes it',
            );
            return final;
          }
          pending = true;
        }
      }
    }
  } finally {
    await stop();
  }
}
