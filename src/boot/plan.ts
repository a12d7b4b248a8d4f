// Read, then decide: given the last run of this volume, should this boot resume it, start a
// fresh run, or find the work already done? Pure, so `inspect` and the tests can ask too.
import type { RunRecord } from '../store/types.ts';

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

/** Decide how this boot starts from the volume's last run. */
export function planStart(latest: RunRecord | null, fingerprint: string, configDigest: string): StartPlan {
  if (!latest) return { kind: 'fresh', reason: 'first boot of this volume' };
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
