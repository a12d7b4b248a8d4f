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

/** Longest --reason kept: a sentence or two, not a log. */
export const MAX_REASON_LENGTH = 500;

/** Why: the reason is shown in inspect --history; one printable line, bounded, or refused (exit 2). */
export function parseResetReason(value: string | boolean | undefined): string | null | { problem: string } {
  if (value === undefined) return null;
  if (typeof value !== 'string' || value.trim() === '')
    return { problem: '--reason TEXT: expected a short text saying why (quote it), not an empty one' };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value))
    return { problem: '--reason TEXT: expected one line of text, without newlines or control characters' };
  if (value.length > MAX_REASON_LENGTH)
    return {
      problem: `--reason TEXT: expected at most ${MAX_REASON_LENGTH} characters, got ${value.length}`,
    };
  return value.trim();
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
  reason: string | null = null,
): Promise<ResetResult | null> {
  const run = await store.latestRun(volumeId);
  if (!run) return null;
  const mark: ResetMark = { from: step, at: now.toISOString(), reason };
  await store.markReset(run.runId, mark, {
    runId: run.runId,
    step,
    attempt: 1,
    startedAt: now,
    finishedAt: now,
    durationMs: 0,
    outcome: 'reset',
    error: null,
    detail: { by: 'gigi-boot reset', from: step, runStatus: run.status, ...(reason ? { reason } : {}) },
  });
  return { run, mark };
}
