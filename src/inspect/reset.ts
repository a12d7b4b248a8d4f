// `gigi-boot reset --from STEP`: make the next boot run STEP (and every step after it) again,
// for an operator who fixed or undid something by hand (deleted the org, rotated a token).
//
// Design: the machine cannot start mid-way except from a restored snapshot, and a snapshot
// positioned at STEP would need every earlier step's in-memory effects (the temporary Gitea
// process, the context) recreated by hand. Instead reset marks the volume's latest run
// (`resetFrom` in its snapshot, status and timestamps untouched) and journals a 'reset' row;
// the next boot's planStart sees the mark and starts a fresh run. Every step is check-then-create,
// so the steps before STEP find their work done and are quick; STEP and the ones after it do
// their work again. The reset holds the boot lock, so it never races a running boot.
import { BOOT_STEPS, isBootStep, type BootStep } from '../../machines/boot.ts';
import type { ResetMark, RunRecord, Store } from '../store/types.ts';

export interface ResetResult {
  run: RunRecord;
  mark: ResetMark;
}

/** Why: a bad STEP must be refused before anything is written; the message lists the valid ones. */
export function parseResetStep(value: string | boolean | undefined): BootStep | { problem: string } {
  if (typeof value !== 'string' || value === '') {
    return { problem: `--from STEP is required; STEP is one of: ${BOOT_STEPS.join(', ')}` };
  }
  if (!isBootStep(value)) {
    return { problem: `--from "${value}" is not a boot step; expected one of: ${BOOT_STEPS.join(', ')}` };
  }
  return value;
}

/**
 * Why: record the operator's request on the latest run so the next boot takes the fresh path.
 * Returns null when the volume has no run to reset. The caller holds the boot lock.
 */
export async function resetFrom(
  store: Store,
  volumeId: string,
  step: BootStep,
  now: Date = new Date(),
): Promise<ResetResult | null> {
  const run = await store.latestRun(volumeId);
  if (!run) return null;
  const mark: ResetMark = { from: step, at: now.toISOString() };
  await store.markReset(run.runId, mark, {
    runId: run.runId,
    step,
    attempt: 1,
    startedAt: now,
    finishedAt: now,
    durationMs: 0,
    outcome: 'reset',
    error: null,
    detail: { by: 'gigi-boot reset', from: step, runStatus: run.status },
  });
  return { run, mark };
}
