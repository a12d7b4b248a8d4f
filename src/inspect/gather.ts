// Read-only view of a volume's boot for `inspect`: the last run, its journal, per-step
// summaries, the config keys and the earlier runs. Never takes the boot lock, never writes.
// The JSON form of these types is an interface: see docs/operations.md "inspect --json" (a test keeps
// the documented field list and the output in sync).
import { join } from 'node:path';
import { activeSteps, describeStateValue, type FailureInfo } from '../../machines/boot.ts';
import { resetMarkOf } from '../boot/plan.ts';
import { criticalPath, type CriticalLink } from './critical-path.ts';
import type { StepSummary } from './step-summary.ts';
import { retryStatesOf, type RetryState } from './retry-state.ts';
import { SECRET_CONFIG_KEYS } from '../boot/config-keys.ts';
import { EXIT } from '../cli/exit-codes.ts';
import { REDACTED } from '../log/redactor.ts';
import { VOLUME_ID_FILE } from '../store/volume.ts';
import type { JournalEntry, ResetMark, RunRecord, Store } from '../store/types.ts';
import { readFileIn, withParentDir } from '../volume/safe-fs.ts';

export type { StepSummary } from './step-summary.ts';

/** Bumped when a field of the JSON output is renamed or removed (adding one is not a break). */
export const INSPECT_SCHEMA_VERSION = 1;

export interface JournalRow {
  step: string;
  attempt: number;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  outcome: string;
  error: string | null;
  detail: Record<string, unknown> | null;
}

export interface RunView {
  runId: string;
  status: string;
  machineVersion: string;
  /** The step(s) the run is in ('a+b' while both regions run), 'done', 'failed' or null. */
  currentStep: string | null;
  /** The machine's persisted state value (XState JSON), for tools that draw the machine. */
  stateValue: unknown;
  /** Steps running (or waiting to retry) at the last checkpoint; empty once the run ended. */
  activeSteps: string[];
  startedAt: string;
  updatedAt: string;
  finishedAt: string | null;
  wallMs: number;
  error: string | null;
  failure: FailureInfo | null;
  degraded: string[];
  /** Set by `gigi-boot reset --from STEP`: the next boot starts a fresh run. */
  resetFrom: ResetMark | null;
}

export interface InspectReport {
  schemaVersion: number;
  volumeId: string | null;
  store: 'postgres' | 'pglite';
  /** What `inspect` exits with: 0 complete/degraded, 1 failed, 3 in progress, 5 never booted. */
  exitCode: number;
  run: RunView | null;
  /** The timeline: one row per step, in the order the steps first started. */
  steps: StepSummary[];
  journal: JournalRow[];
  /** The chain of steps that set the wall time, first to last (the Gitea region and the build run side by side). */
  criticalPath: CriticalLink[];
  /** Steps retrying after a transient error while the run is at it (waiting, or a later attempt running). */
  retrying: RetryState[];
  lastError: string | null;
  /** What the operator should do next, or null when nothing is needed. */
  nextAction: string | null;
  config: Record<string, string>;
  /** True when secret values are shown (--reveal). */
  revealed: boolean;
  /** The bash entrypoint's volume this boot adopted in place, as detectModes recorded it; else null. */
  adoption: string | null;
}

export interface HistoryRun {
  runId: string;
  status: string;
  machineVersion: string;
  startedAt: string;
  finishedAt: string | null;
  wallMs: number;
  error: string | null;
  resetFrom: ResetMark | null;
  /** Boots that waited for the boot lock while this run held it (or had just finished), oldest first. */
  waits: HistoryWait[];
}

export interface HistoryWait {
  host: string;
  pid: number;
  /** Who held the lock, as the lock reported it. */
  holder: string | null;
  /** When the wait began. */
  at: string;
  waitedMs: number;
  /** What the waiter then did: warm, resume, fresh or runner. */
  then: string;
}

export interface HistoryReport {
  schemaVersion: number;
  volumeId: string | null;
  store: 'postgres' | 'pglite';
  /** Newest first. */
  runs: HistoryRun[];
}

/** What the read-only views read: a Store, or nothingRecorded() when there is none to open. */
export type ReadStore = Pick<
  Store,
  'kind' | 'latestRun' | 'journal' | 'readConfig' | 'listRuns' | 'lockWaits'
>;

/** Why: a volume that never booted (or a missing data dir) is read without opening a store. */
export function nothingRecorded(kind: 'postgres' | 'pglite'): ReadStore {
  return {
    kind,
    latestRun: () => Promise.resolve(null),
    journal: () => Promise.resolve([]),
    readConfig: () => Promise.resolve(new Map()),
    listRuns: () => Promise.resolve([]),
    lockWaits: () => Promise.resolve([]),
  };
}

/** The volume's id, or null when it has never booted (inspect must not create one). */
export async function readVolumeId(dataDir: string): Promise<string | null> {
  try {
    // Never through a link the run user planted on its volume (inspect would print the target).
    const text = await withParentDir(dataDir, join(dataDir, VOLUME_ID_FILE), readFileIn);
    return text === undefined ? null : text.trim().toLowerCase();
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

/** Per-step rows, in the order the steps first started ('reset' rows are not attempts: left out). */
export function summariseSteps(journal: JournalEntry[]): StepSummary[] {
  const byStep = new Map<string, StepSummary>();
  const attempts = journal.filter((row) => row.outcome !== 'reset');
  for (const row of attempts.sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime())) {
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

/** Slowest first, like `systemd-analyze blame`; ties keep timeline order. */
export function blameOrder(steps: readonly StepSummary[]): StepSummary[] {
  return [...steps].sort((a, b) => b.durationMs - a.durationMs);
}

/** Why: scripts read the exit code; one mapping for inspect, --follow and the JSON. */
export function exitCodeForStatus(status: string | undefined): number {
  switch (status) {
    case undefined:
      return EXIT.noBoot;
    case 'completed':
    case 'degraded':
      return EXIT.ok;
    case 'failed':
      return EXIT.failed;
    default:
      return EXIT.inProgress;
  }
}

function isTerminal(status: string): boolean {
  return status !== 'running';
}

/** Why: the operator's next move depends on how the run stopped, not only on the error text. */
export function nextActionFor(run: RunView | null): string | null {
  if (!run) return 'nothing has booted this volume yet: start the container (or `gigi-boot run`)';
  if (run.resetFrom) {
    return `reset recorded (${run.resetFrom.at}): the next \`gigi-boot run\` starts a fresh run; ${run.resetFrom.from} and every step after it run again`;
  }
  switch (run.status) {
    case 'completed':
      return null;
    case 'degraded':
      return 'Gigi runs without what is listed under Degraded: fix that, then `gigi-boot reset --from buildRunnerWorker` and restart the container';
    case 'failed':
      return `${run.failure?.hint ? `${run.failure.hint}; then ` : 'fix the cause above, then '}restart the container (or \`gigi-boot run\`): the next boot starts a fresh run, each step finding done work done`;
    case 'interrupted':
      return 'restart the container (or `gigi-boot run`): the boot resumes from its last checkpoint';
    default:
      return 'a boot is running (`gigi-boot inspect --follow` watches it); if no gigi-boot process is alive, the next `gigi-boot run` resumes from the last checkpoint';
  }
}

function runView(run: RunRecord): RunView {
  const context = contextOf(run);
  return {
    runId: run.runId,
    status: run.status,
    machineVersion: run.machineVersion,
    currentStep: describeStateValue(run.stateValue),
    stateValue: run.stateValue,
    activeSteps: isTerminal(run.status) ? [] : activeSteps(run.stateValue),
    startedAt: run.startedAt.toISOString(),
    updatedAt: run.updatedAt.toISOString(),
    finishedAt: run.finishedAt?.toISOString() ?? null,
    wallMs: (run.finishedAt ?? run.updatedAt).getTime() - run.startedAt.getTime(),
    error: run.error,
    failure: context.failure ?? null,
    degraded: context.degraded ?? [],
    resetFrom: resetMarkOf(run),
  };
}

/** Why: the adoption is recorded once, in detectModes' outcome (src/boot/adoption.ts). */
function adoptionOf(journal: ReadonlyArray<{ step: string; detail?: unknown }>): string | null {
  for (const row of journal) {
    const outcome = (row.detail as { outcome?: unknown } | undefined)?.outcome;
    const m =
      row.step === 'detectModes' && typeof outcome === 'string'
        ? /volume:bash-entrypoint\((marker|no-marker)\)/.exec(outcome)
        : null;
    if (m)
      return `a volume the bash entrypoint booted (${m[1] === 'marker' ? 'its init done' : 'its init unfinished: no .aio-init-done'}), kept in its layout: gitea/conf/app.ini, gitea/gitea.db`;
  }
  return null;
}

/** Everything inspect shows; secret config values redacted unless reveal. */
export async function gatherReport(
  store: ReadStore,
  volumeId: string | null,
  reveal: boolean,
): Promise<InspectReport> {
  const record = volumeId ? await store.latestRun(volumeId) : null;
  const journal = record ? await store.journal(record.runId) : [];
  // A volume that never booted may face a database gigi-boot never migrated: read nothing.
  const configRows = volumeId ? await store.readConfig() : new Map<string, { value: string }>();
  const config: Record<string, string> = {};
  for (const key of [...configRows.keys()].sort()) {
    const value = configRows.get(key)!.value;
    config[key] = SECRET_CONFIG_KEYS.has(key) && !reveal ? REDACTED : value;
  }
  const run = record && runView(record);
  const steps = summariseSteps(journal);
  const failure = run?.failure;
  const lastError = failure
    ? `${failure.step}: ${failure.message}`
    : (run?.error ?? [...steps].reverse().find((s) => s.lastError)?.lastError ?? null);
  return {
    schemaVersion: INSPECT_SCHEMA_VERSION,
    volumeId,
    store: store.kind,
    exitCode: exitCodeForStatus(run?.status),
    run,
    steps,
    journal: journal.map((row) => ({
      step: row.step,
      attempt: row.attempt,
      startedAt: row.startedAt.toISOString(),
      finishedAt: row.finishedAt.toISOString(),
      durationMs: row.durationMs,
      outcome: row.outcome,
      error: row.error,
      detail: row.detail,
    })),
    criticalPath: run ? criticalPath(steps, run.startedAt) : [],
    retrying: record ? retryStatesOf(record, journal) : [],
    lastError,
    nextAction: nextActionFor(run),
    config,
    revealed: reveal,
    adoption: adoptionOf(journal),
  };
}

/** Earlier boots of this volume, newest first. */
export async function gatherHistory(
  store: ReadStore,
  volumeId: string | null,
  limit = 50,
): Promise<HistoryReport> {
  const runs = volumeId ? await store.listRuns(volumeId, limit) : [];
  const waits = volumeId ? await store.lockWaits(volumeId) : [];
  return {
    schemaVersion: INSPECT_SCHEMA_VERSION,
    volumeId,
    store: store.kind,
    runs: runs.map((run) => ({
      runId: run.runId,
      status: run.status,
      machineVersion: run.machineVersion,
      startedAt: run.startedAt.toISOString(),
      finishedAt: run.finishedAt?.toISOString() ?? null,
      wallMs: (run.finishedAt ?? run.updatedAt).getTime() - run.startedAt.getTime(),
      error: run.error,
      resetFrom: resetMarkOf(run),
      waits: waits
        .filter((wait) => wait.runId === run.runId)
        .map((wait) => ({
          host: wait.waiterHost,
          pid: wait.waiterPid,
          holder: wait.holder,
          at: wait.startedAt.toISOString(),
          waitedMs: wait.waitedMs,
          then: wait.then,
        })),
    })),
  };
}
