// Drives one boot of a volume: decide how to start (fresh, resume, warm), run the machine with
// the real step implementations, and checkpoint every macrostep — state, snapshot and the
// journal rows it produced — to the store in one transaction each, serially.
import { createActor, type Actor, type AnyActorLogic, type Snapshot } from 'xstate';
import {
  BOOT_STEPS,
  bootMachine,
  activeSteps,
  isReadyToHandOff,
  type BootContext,
  type BootInput,
  type BootScope,
  type BootOutput,
  type BootStep,
  type StepInput,
} from '../../machines/boot.ts';
import { InternalError, StoreError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { Redactor } from '../log/redactor.ts';
import type { RunRecord, RunStatus, Store } from '../store/types.ts';
import { machineFingerprint } from './fingerprint.ts';
import { JournalRecorder, type StepImplementation } from './journal-recorder.ts';
import { decideStart, type StartDecision } from './start-plan.ts';
import {
  isStoredSnapshot,
  runnerRetryDelayMs,
  type RunnerRecord,
  type StartPlan,
  type StoredSnapshot,
} from './plan.ts';

export type StepImplementations = Record<BootStep, StepImplementation>;

export interface RunBootOptions {
  store: Store;
  volumeId: string;
  input: BootInput;
  configDigest: string;
  /** runnerDigest(): what the runner-worker image is built for (its own retry record). */
  runnerDigest: string;
  /** First delay before a restart retries a failed runner-worker build (GIGI_BOOT_RUNNER_RETRY). */
  runnerRetryMs: number;
  /**
   * The step implementations, or a loader for them: a warm start never runs a step, so the CLI
   * passes a loader and does not pay for the Gitea client and Docker at start-up. The scope
   * tells detectModes whether this run redoes only the runner-worker image.
   */
  steps: StepImplementations | ((plan: { scope: BootScope }) => Promise<StepImplementations>);
  /**
   * Called once, when the Gitea region (hand-off included) is done and checkpointed while the
   * runner-worker build still runs: the CLI starts supervisord then, not after the build.
   */
  onHandOffReady?: () => void;
  logger: Logger;
  redactor: Redactor;
  /** Aborted on SIGTERM/SIGINT: the boot stops, checkpointed as interrupted. */
  signal: AbortSignal;
  /** The start already decided (decideStart), e.g. by the CLI on its way to a warm start. */
  start?: StartDecision;
}

export interface BootResult {
  runId: string;
  status: RunStatus;
  plan: StartPlan['kind'];
  output: BootOutput | null;
}

export const BOOT_FINGERPRINT = machineFingerprint(bootMachine);

type BootActor = Actor<typeof bootMachine>;

/** Run (or resume, or skip as already done) the boot of this volume. */
export async function runBoot(options: RunBootOptions): Promise<BootResult> {
  const { store, logger } = options;
  const { latest, plan } =
    options.start ?? (await decideStart({ ...options, fingerprint: BOOT_FINGERPRINT }));
  if (plan.kind === 'warm') return { runId: plan.run.runId, status: 'completed', plan: 'warm', output: null };

  let run: RunRecord;
  let restored: Snapshot<unknown> | undefined;
  let scope: BootScope = plan.kind === 'runner' ? 'runner' : 'all';
  let runnerAttemptsBefore = plan.kind === 'runner' ? plan.attemptsBefore : 0;
  if (plan.kind === 'resume') {
    run = plan.run;
    restored = validateRestore(plan.run, options);
    const stored = isStoredSnapshot(plan.run.snapshot) ? plan.run.snapshot : null;
    scope = stored?.scope ?? 'all';
    runnerAttemptsBefore = stored?.runner?.state === 'pending' ? stored.runner.attempts : 0;
    if (!restored) {
      scope = 'all';
      logger.warn(
        { event: 'boot.replay' },
        'the checkpoint cannot be restored into this machine; replaying from the start',
      );
      run = await startRun(options);
    }
  } else {
    if (latest && (latest.status === 'running' || latest.status === 'interrupted')) {
      await store.saveCheckpoint({
        runId: latest.runId,
        status: 'failed',
        stateValue: latest.stateValue,
        snapshot: latest.snapshot,
        error: `superseded: ${plan.reason}`,
        journal: [],
      });
    }
    run = await startRun(options);
  }

  const steps = typeof options.steps === 'function' ? await options.steps({ scope }) : options.steps;
  const recorder = new JournalRecorder(() => run.runId, options.redactor, logger);
  if (restored) journalInterrupted(run, restored, recorder);
  const actors = Object.fromEntries(
    BOOT_STEPS.map((step) => [step, recorder.instrument(step, steps[step])]),
  ) as Record<BootStep, AnyActorLogic>;
  const machine = bootMachine.provide({ actors });
  const actor: BootActor = createActor(
    machine,
    restored ? { snapshot: restored, input: options.input } : { input: options.input },
  );
  const runnerRecord = (context: BootContext | undefined): RunnerRecord =>
    runnerRecordOf(context, options.runnerDigest, runnerAttemptsBefore, options.runnerRetryMs);
  return driveToEnd(actor, run, recorder, options, plan.kind, { scope, runnerRecord });
}

/** The runner image's standing as a checkpoint records it (see RunnerRecord). */
export function runnerRecordOf(
  context: BootContext | undefined,
  digest: string,
  attemptsBefore: number,
  retryBaseMs: number,
  now = new Date(),
): RunnerRecord {
  const outcome = context?.outcomes.buildRunnerWorker;
  // Skipped although an engine is configured (DOCKER_HOST, a socket setting): it never answered
  // (a DinD sidecar still starting, a typo). Nothing was built, so a later restart tries again.
  const unanswered = outcome === 'skipped' && context?.modes?.docker === true;
  const failed =
    unanswered ||
    outcome === 'failed' ||
    (context?.degraded ?? []).some((r) => r.startsWith('buildRunnerWorker:'));
  if (failed) {
    const attempts = attemptsBefore + 1;
    const nextDueAt = new Date(now.getTime() + runnerRetryDelayMs(attempts, retryBaseMs)).toISOString();
    return { digest, state: 'failed', attempts, failedAt: now.toISOString(), nextDueAt };
  }
  if (outcome) return { digest, state: 'current', attempts: 0, failedAt: null, nextDueAt: null };
  return { digest, state: 'pending', attempts: attemptsBefore, failedAt: null, nextDueAt: null };
}

async function startRun({ store, volumeId }: RunBootOptions): Promise<RunRecord> {
  return store.startRun({
    volumeId,
    machineId: bootMachine.id,
    machineVersion: bootMachine.version ?? '0',
    fingerprint: BOOT_FINGERPRINT,
  });
}

/** A snapshot must restore without error and with a child for every invoke of its states. */
function validateRestore(run: RunRecord, { input, logger }: RunBootOptions): Snapshot<unknown> | undefined {
  const stored = run.snapshot as StoredSnapshot;
  try {
    const probe = createActor(bootMachine, { snapshot: stored.xstate as Snapshot<unknown>, input });
    const snapshot = probe.getSnapshot() as unknown as {
      status: string;
      children: Record<string, unknown>;
      _nodes: Array<{ invoke: Array<{ id: string }> }>;
    };
    if (snapshot.status === 'error') return undefined;
    for (const node of snapshot._nodes) {
      for (const invoke of node.invoke) if (!snapshot.children[invoke.id]) return undefined;
    }
    return stored.xstate as Snapshot<unknown>;
  } catch (error) {
    logger.warn({ event: 'boot.restore_failed', err: error }, 'checkpoint did not restore');
    return undefined;
  }
}

/** Steps that were running when the last boot died get an 'interrupted' row, then run again. */
function journalInterrupted(run: RunRecord, restored: Snapshot<unknown>, recorder: JournalRecorder): void {
  const children = (restored as { children?: Record<string, { snapshot?: { input?: StepInput } }> }).children;
  for (const step of activeSteps((restored as { value?: unknown }).value)) {
    const input = children?.[step]?.snapshot?.input;
    if (!input) continue; // in backoff, not running
    recorder.markInterrupted(step);
    recorder.push({
      step,
      attempt: input.attempt,
      startedAt: run.updatedAt,
      finishedAt: new Date(),
      durationMs: Date.now() - run.updatedAt.getTime(),
      outcome: 'interrupted',
      error: `the boot stopped (${run.status === 'interrupted' ? 'signal' : 'crash or kill'}) while this step was running; running it again`,
      detail: null,
    });
  }
}

function driveToEnd(
  actor: BootActor,
  run: RunRecord,
  recorder: JournalRecorder,
  options: RunBootOptions,
  plan: StartPlan['kind'],
  extra: { scope: BootScope; runnerRecord: (context: BootContext | undefined) => RunnerRecord },
): Promise<BootResult> {
  const { store, logger, configDigest, signal } = options;
  let handOffSignalled = false;

  return new Promise<BootResult>((resolve, reject) => {
    let writes: Promise<void> = Promise.resolve();
    let lastPersisted: unknown;
    let lastValue: unknown;
    let lastSnapshot: unknown;
    let lastContext: BootContext | undefined;
    /** Set once the boot is ending (done, interrupted, or a store failure): no more snapshots count. */
    let ending = false;

    const fail = (error: Error) => {
      if (ending && !(error instanceof StoreError)) return;
      ending = true;
      signal.removeEventListener('abort', onAbort);
      actor.stop();
      reject(error);
    };

    const enqueue = (status: RunStatus, error: string | null) => {
      const checkpoint = {
        runId: run.runId,
        status,
        stateValue: lastValue,
        snapshot: {
          xstate: lastPersisted,
          configDigest,
          scope: extra.scope,
          runner: extra.runnerRecord(lastContext),
        } satisfies StoredSnapshot,
        error,
        journal: recorder.take(),
      };
      writes = writes.then(async () => {
        try {
          await withStoreRetry(() => store.saveCheckpoint(checkpoint));
          logger.debug(
            { event: 'checkpoint.saved', status, state: checkpoint.stateValue },
            'checkpoint saved',
          );
        } catch (e) {
          fail(asStoreError(e));
          throw e;
        }
      });
      writes.catch(() => undefined);
    };

    const finish = (status: RunStatus, output: BootOutput | null, error: string | null) => {
      if (ending) return;
      ending = true;
      signal.removeEventListener('abort', onAbort);
      enqueue(status, error);
      writes.then(
        () => resolve({ runId: run.runId, status, plan, output }),
        (e) => reject(asStoreError(e)),
      );
    };

    const onAbort = () => {
      if (ending) return;
      logger.warn({ event: 'boot.interrupted', state: lastValue }, 'interrupted: checkpointing and stopping');
      ending = true; // the snapshot XState emits on stop() must not become the checkpoint
      actor.stop();
      ending = false;
      const children = (lastPersisted as { children?: Record<string, { snapshot?: { input?: StepInput } }> })
        .children;
      for (const step of activeSteps(lastValue)) {
        const input = children?.[step]?.snapshot?.input;
        if (!input) continue;
        const now = new Date();
        recorder.push({
          step,
          attempt: input.attempt,
          startedAt: now,
          finishedAt: now,
          durationMs: 0,
          outcome: 'interrupted',
          error: 'stopped by a signal while this step was running',
          detail: null,
        });
      }
      finish('interrupted', null, 'stopped by a signal');
    };
    signal.addEventListener('abort', onAbort, { once: true });

    actor.subscribe({
      next: (snapshot) => {
        if (snapshot === lastSnapshot || ending) return;
        lastSnapshot = snapshot;
        lastValue = snapshot.value;
        lastContext = snapshot.context;
        lastPersisted = actor.getPersistedSnapshot();
        if (snapshot.status === 'done') {
          const output = snapshot.output as BootOutput;
          const error = output.failure
            ? `${output.failure.step}: ${output.failure.message}`
            : output.degraded.join('; ') || null;
          finish(output.status, output, error);
        } else {
          enqueue('running', null);
          // The app may start now: Gitea is set up and stopped, supervisord.conf rendered and
          // both checkpointed; the runner-worker build goes on under this process.
          if (!handOffSignalled && options.onHandOffReady && isReadyToHandOff(snapshot.value)) {
            handOffSignalled = true;
            const ready = options.onHandOffReady;
            writes.then(
              () => {
                if (!signal.aborted) ready();
              },
              () => undefined,
            );
          }
        }
      },
      error: (error) => {
        fail(
          new InternalError(
            `the boot machine stopped with an error: ${options.redactor.redact(String(error))}`,
            { cause: error },
          ),
        );
      },
    });
    if (signal.aborted) {
      onAbort();
      return;
    }
    actor.start();
  });
}

/** Postgres briefly away (failover, restart) should not fail a boot: retry a checkpoint write for ~10 s. */
async function withStoreRetry<T>(operation: () => Promise<T>): Promise<T> {
  const delays = [100, 250, 500, 1000, 2000, 3000, 3000];
  for (let i = 0; ; i++) {
    try {
      return await operation();
    } catch (error) {
      const transient = (error as { transient?: unknown }).transient === true;
      if (!transient || i >= delays.length) throw error;
      await new Promise((r) => setTimeout(r, delays[i]));
    }
  }
}

/**
 * Why: a checkpoint that cannot be written (the database went away for longer than the retries)
 * ends the boot — it cannot record progress — but as a typed, resumable failure, not a crash.
 */
function asStoreError(error: unknown): Error {
  if (error instanceof StoreError && error.message.startsWith(CHECKPOINT_FAILED)) return error;
  return new StoreError(`${CHECKPOINT_FAILED}: ${error instanceof Error ? error.message : String(error)}`, {
    cause: error,
    transient: true,
    hint: 'Check that the database is up and reachable (DATABASE_URL; unset, the embedded store under GIGI_DATA_DIR); the next `gigi-boot run` resumes from the last checkpoint written.',
  });
}

const CHECKPOINT_FAILED = 'Could not save a checkpoint of the boot, so it stops here';
