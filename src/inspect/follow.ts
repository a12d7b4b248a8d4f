// `inspect --follow`: print a boot's progress as its checkpoints commit (LISTEN
// gigi_boot_progress), until the run ends; then the final report and its exit code.
// Postgres only: PGlite is embedded in one process, so another process's boot is invisible.
import { LockTimeoutError } from '../errors.ts';
import type { Store } from '../store/types.ts';
import type { InspectReport } from './gather.ts';
import { renderFollowRow } from './render.ts';

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

/** Why: a 'running' run whose process died never notifies again; the free boot lock shows it. */
async function bootIsAlive(store: Store, volumeId: string): Promise<boolean> {
  try {
    const lock = await store.acquireBootLock(volumeId, { timeoutMs: 0 });
    await lock.release();
    return false;
  } catch (error) {
    if (error instanceof LockTimeoutError) return true;
    throw error;
  }
}

/** Why: operators and scripts wait on a boot without polling; resolves with the final report. */
export async function followBoot(options: FollowOptions): Promise<InspectReport> {
  const { store, write, json } = options;
  let wake: () => void = () => undefined;
  let pending = true;
  const stop = await store.onProgress(() => {
    pending = true;
    wake();
  });
  const printed = new Map<string, number>();
  let lastStatus = '';
  let waitingShown = false;
  const emit = (event: Record<string, unknown>, text: string) =>
    write(json ? `${JSON.stringify(event)}\n` : `${text}\n`);
  try {
    for (;;) {
      pending = false;
      const volumeId = await options.volumeId();
      const report = await options.gather(volumeId);
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
        if (!woke && run && volumeId && !pending && !(await bootIsAlive(store, volumeId))) {
          // One more read: the boot may have ended between the gather and the lock check.
          const final = await options.gather(volumeId);
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
