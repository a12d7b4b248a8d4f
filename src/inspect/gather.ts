// Read-only view of a volume's boot for `inspect`: the last run, its journal, per-step
// summaries and the config keys. Never takes the boot lock, never writes.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describeStateValue, type FailureInfo } from '../../machines/boot.ts';
import { SECRET_CONFIG_KEYS } from '../boot/config-keys.ts';
import { REDACTED } from '../log/redactor.ts';
import { VOLUME_ID_FILE } from '../store/volume.ts';
import type { JournalEntry, RunRecord, Store } from '../store/types.ts';

export interface StepSummary {
  step: string;
  attempts: number;
  firstStartedAt: string;
  lastFinishedAt: string;
  /** Sum of the attempts' durations. */
  durationMs: number;
  outcome: string;
  lastError: string | null;
}

export interface InspectReport {
  volumeId: string | null;
  store: 'postgres' | 'pglite';
  run: {
    runId: string;
    status: string;
    machineVersion: string;
    currentStep: string | null;
    startedAt: string;
    updatedAt: string;
    finishedAt: string | null;
    wallMs: number;
    error: string | null;
    failure: FailureInfo | null;
    degraded: string[];
  } | null;
  steps: StepSummary[];
  journal: Array<Omit<JournalEntry, 'startedAt' | 'finishedAt'> & { startedAt: string; finishedAt: string }>;
  config: Record<string, string>;
  /** True when secret values are shown (--reveal). */
  revealed: boolean;
}

/** The volume's id, or null when it has never booted (inspect must not create one). */
export async function readVolumeId(dataDir: string): Promise<string | null> {
  try {
    return (await readFile(join(dataDir, VOLUME_ID_FILE), 'utf8')).trim().toLowerCase();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function contextOf(run: RunRecord): { failure?: FailureInfo | null; degraded?: string[] } {
  const snapshot = run.snapshot as {
    xstate?: { context?: { failure?: FailureInfo | null; degraded?: string[] } };
  } | null;
  return snapshot?.xstate?.context ?? {};
}

/** Per-step rows, in the order the steps first started. */
export function summariseSteps(journal: JournalEntry[]): StepSummary[] {
  const byStep = new Map<string, StepSummary>();
  for (const row of [...journal].sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime())) {
    const existing = byStep.get(row.step);
    if (!existing) {
      byStep.set(row.step, {
        step: row.step,
        attempts: 1,
        firstStartedAt: row.startedAt.toISOString(),
        lastFinishedAt: row.finishedAt.toISOString(),
        durationMs: row.durationMs,
        outcome: row.outcome,
        lastError: row.error,
      });
    } else {
      existing.attempts += 1;
      existing.lastFinishedAt = row.finishedAt.toISOString();
      existing.durationMs += row.durationMs;
      existing.outcome = row.outcome;
      existing.lastError = row.error ?? existing.lastError;
    }
  }
  return [...byStep.values()];
}

/** Everything inspect shows; secret config values redacted unless reveal. */
export async function gatherReport(
  store: Store,
  volumeId: string | null,
  reveal: boolean,
): Promise<InspectReport> {
  const run = volumeId ? await store.latestRun(volumeId) : null;
  const journal = run ? await store.journal(run.runId) : [];
  const configRows = await store.readConfig();
  const config: Record<string, string> = {};
  for (const key of [...configRows.keys()].sort()) {
    const value = configRows.get(key)!.value;
    config[key] = SECRET_CONFIG_KEYS.has(key) && !reveal ? REDACTED : value;
  }
  const context = run ? contextOf(run) : {};
  return {
    volumeId,
    store: store.kind,
    run: run && {
      runId: run.runId,
      status: run.status,
      machineVersion: run.machineVersion,
      currentStep: describeStateValue(run.stateValue),
      startedAt: run.startedAt.toISOString(),
      updatedAt: run.updatedAt.toISOString(),
      finishedAt: run.finishedAt?.toISOString() ?? null,
      wallMs: (run.finishedAt ?? run.updatedAt).getTime() - run.startedAt.getTime(),
      error: run.error,
      failure: context.failure ?? null,
      degraded: context.degraded ?? [],
    },
    steps: summariseSteps(journal),
    journal: journal.map((row) => ({
      ...row,
      startedAt: row.startedAt.toISOString(),
      finishedAt: row.finishedAt.toISOString(),
    })),
    config,
    revealed: reveal,
  };
}
