// Read, then decide: given the last run of this volume, should this boot resume it, start a
// fresh run, find the work already done, or redo only the runner-worker image? Pure, so
// `inspect` and the tests can ask too.
import type { BootScope } from '../../machines/boot.ts';
import type { ResetMark, RunRecord } from '../store/types.ts';

export type StartPlan =
  | { kind: 'fresh'; reason: string }
  | { kind: 'resume'; run: RunRecord; reason: string }
  | { kind: 'warm'; run: RunRecord; reason: string }
  /** Gitea is set up with this configuration; only the runner-worker image is missing or stale. */
  | { kind: 'runner'; run: RunRecord; reason: string; attemptsBefore: number };

/**
 * The runner-worker image's standing after a run, kept across restarts so a failing build is
 * retried with backoff (attempts, next due time) instead of on every restart, and not at all
 * once the image is current for this digest.
 */
export interface RunnerRecord {
  /** runnerDigest() of the settings and build context the build ran for. */
  digest: string;
  /** current: built, up to date, or no Docker configured; failed: retry at nextDueAt; pending: not finished. */
  state: 'current' | 'failed' | 'pending';
  /** Restarts in a row whose build failed for this digest (this run included once it failed). */
  attempts: number;
  /** ISO time the build last failed (state failed only): the backoff counts from here. */
  failedAt: string | null;
  /** failedAt + the backoff under the settings of the failed run: shown to the operator. */
  nextDueAt: string | null;
}

/** What the persisted `snapshot` column holds: XState's snapshot plus what it was booted with. */
export interface StoredSnapshot {
  xstate: unknown;
  /** Digest of the configuration the run was started with (no secret values, only their hashes). */
  configDigest: string;
  /** What the run does (absent: written before runner-only runs existed, i.e. 'all'). */
  scope?: BootScope;
  /** The runner-worker image's standing (absent: an older run; treated as unknown). */
  runner?: RunnerRecord;
}

/** The longest wait between two restarts' build attempts. */
export const RUNNER_RETRY_MAX_MS = 6 * 60 * 60 * 1000;

/** Backoff across restarts: base after the first failed restart, doubling, capped at 6 h. */
export function runnerRetryDelayMs(attempts: number, baseMs: number): number {
  return Math.min(RUNNER_RETRY_MAX_MS, baseMs * 2 ** Math.max(0, attempts - 1));
}

export function isStoredSnapshot(value: unknown): value is StoredSnapshot {
  return (
    typeof value === 'object' &&
    value !== null &&
    'xstate' in value &&
    typeof (value as { configDigest?: unknown }).configDigest === 'string'
  );
}

/** The mark `gigi-boot reset --from STEP` left on a run, if any. */
export function resetMarkOf(run: RunRecord): ResetMark | null {
  const mark = (run.snapshot as { resetFrom?: Partial<ResetMark> } | null)?.resetFrom;
  return typeof mark?.from === 'string' && typeof mark.at === 'string'
    ? { from: mark.from, at: mark.at, reason: typeof mark.reason === 'string' ? mark.reason : null }
    : null;
}

/** A finished run whose Gitea work is done for this configuration: warm, or the runner image only. */
function planFinished(latest: RunRecord, stored: StoredSnapshot, runner: RunnerPlanInput): StartPlan {
  const { digest, retryBaseMs, now } = runner;
  const record = stored.runner;
  if (record?.digest === digest && record.state === 'current')
    return { kind: 'warm', run: latest, reason: 'already initialised with this configuration' };
  if (record?.digest === digest && record.state === 'failed') {
    // Counted from the failure under today's GIGI_BOOT_RUNNER_RETRY, so changing it takes effect.
    const failedAt = record.failedAt ? new Date(record.failedAt).getTime() : 0;
    const due = new Date(failedAt + runnerRetryDelayMs(record.attempts, retryBaseMs));
    if (due.getTime() > now.getTime()) {
      return {
        kind: 'warm',
        run: latest,
        reason: `already initialised; the runner-worker image failed to build ${record.attempts} time(s), next try at a restart after ${due.toISOString()}`,
      };
    }
    return {
      kind: 'runner',
      run: latest,
      attemptsBefore: record.attempts,
      reason: `Gitea is initialised; trying the runner-worker image build again (failed ${record.attempts} time(s) before), without touching Gitea`,
    };
  }
  return {
    kind: 'runner',
    run: latest,
    attemptsBefore: 0,
    reason:
      record?.state === 'pending'
        ? 'Gitea is initialised; the runner-worker image build did not finish: building it again, without touching Gitea'
        : "Gitea is initialised; the runner-worker image's build context or Docker settings changed: building it, without touching Gitea",
  };
}

/** What the runner-worker part of the plan needs: the image's digest now, the backoff base, the time. */
export interface RunnerPlanInput {
  digest: string;
  retryBaseMs: number;
  now: Date;
}

/** Decide how this boot starts from the volume's last run. */
export function planStart(
  latest: RunRecord | null,
  fingerprint: string,
  configDigest: string,
  runner: RunnerPlanInput,
): StartPlan {
  if (!latest) return { kind: 'fresh', reason: 'first boot of this volume' };
  const reset = resetMarkOf(latest);
  if (reset) {
    return {
      kind: 'fresh',
      reason: `an operator ran \`gigi-boot reset --from ${reset.from}\` at ${reset.at}; starting a fresh run: the steps before ${reset.from} find their work done, ${reset.from} and every step after it run again`,
    };
  }
  const stored = isStoredSnapshot(latest.snapshot) ? latest.snapshot : null;
  if (latest.fingerprint !== fingerprint) {
    return {
      kind: 'fresh',
      reason: `the last run was written by another machine version (${latest.machineVersion}, fingerprint ${latest.fingerprint.slice(0, 12)}); replaying every step from the start (each is idempotent)`,
    };
  }
  if (latest.status === 'completed' || latest.status === 'degraded') {
    // Degraded comes only from the runner region (the one non-fatal step): Gitea is done.
    if (stored?.configDigest === configDigest) return planFinished(latest, stored, runner);
    return {
      kind: 'fresh',
      reason: 'configuration changed since the last boot; re-running every step (each is idempotent)',
    };
  }
  if (latest.status === 'running' || latest.status === 'interrupted') {
    if (!stored) return { kind: 'fresh', reason: 'the last run has no usable checkpoint; starting over' };
    if (stored.configDigest !== configDigest) {
      return {
        kind: 'fresh',
        reason: 'configuration changed while a boot was unfinished; starting over (each step is idempotent)',
      };
    }
    return { kind: 'resume', run: latest, reason: `resuming the ${latest.status} run ${latest.runId}` };
  }
  return { kind: 'fresh', reason: `the last run ended ${latest.status}; trying again from the start` };
}
