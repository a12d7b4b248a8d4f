// Read, then decide: given the last run of this volume, should this boot resume it, start a
// fresh run, or find the work already done? Pure, so `inspect` and the tests can ask too.
import type { ResetMark, RunRecord } from '../store/types.ts';

export type StartPlan =
  | { kind: 'fresh'; reason: string }
  | { kind: 'resume'; run: RunRecord; reason: string }
  | { kind: 'warm'; run: RunRecord; reason: string };

/** What the persisted `snapshot` column holds: XState's snapshot plus what it was booted with. */
export interface StoredSnapshot {
  xstate: unknown;
  /** Digest of the configuration the run was started with (no secret values, only their hashes). */
  configDigest: string;
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
    ? { from: mark.from, at: mark.at }
    : null;
}

/** Decide how this boot starts from the volume's last run. */
export function planStart(latest: RunRecord | null, fingerprint: string, configDigest: string): StartPlan {
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
  if (latest.status === 'completed') {
    if (stored?.configDigest === configDigest) {
      return { kind: 'warm', run: latest, reason: 'already initialised with this configuration' };
    }
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
