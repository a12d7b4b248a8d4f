// Drives one boot of a volume: decide how to start (fresh, resume, warm), run the machine with
// the real step implementations, and checkpoint every macrostep — state, snapshot and the
// journal rows it produced — to the store in one transaction each, serially.
import {
  createActor,
  getStateNodes,
  type Actor,
  type AnyActorLogic,
  type Snapshot,
  type SnapshotFrom,
} from 'xstate';
import {
  BOOT_STEPS,
  bootMachine,
  isReadyToHandOff,
  type BootContext,
  type BootInput,
  type BootScope,
  type BootOutput,
  type BootStep,
} from '../../machines/boot.ts';
import { InternalError, type StoreError } from '../errors.ts';
import { CheckpointQueue } from './checkpoint-queue.ts';
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
type BootSnapshot = SnapshotFrom<typeof bootMachine>;

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
    restored = validateRestore((plan.run.snapshot as StoredSnapshot).xstate, options);
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
  if (restored)
    recorder.journalInterrupted(restored, {
      startedAt: run.updatedAt,
      finishedAt: new Date(),
      error: `the boot stopped (${run.status === 'interrupted' ? 'signal' : 'crash or kill'}) while this step was running; running it again`,
      rerun: true,
    });
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

/**
 * A snapshot must restore without error and with a child for every invoke of its active states
 * (a renamed actor `src` drops the child silently and the boot would wait for ever).
 */
export function validateRestore(
  persisted: unknown,
  { input, logger }: Pick<RunBootOptions, 'input' | 'logger'>,
): Snapshot<unknown> | undefined {
  const stored = persisted as Snapshot<unknown>;
  try {
    const restored = createActor(bootMachine, { snapshot: stored, input }).getSnapshot();
    if (restored.status === 'error') return undefined;
    const invokes = getStateNodes(bootMachine.root, restored.value).flatMap((node) => node.invoke);
    return invokes.every((invoke) => restored.children[invoke.id]) ? stored : undefined;
  } catch (error) {
    logger.warn({ event: 'boot.restore_failed', err: error }, 'checkpoint did not restore');
    return undefined;
  }
}

/** How the machine's run ended, as the driver sees it. */
type Ending =
  | { kind: 'done'; output: BootOutput }
  | { kind: 'interrupted' }
  | { kind: 'crashed'; error: unknown }
  | { kind: 'store'; error: StoreError };

/**
 * Why: start the actor and wait for the first thing that ends the boot — its final state, a
 * signal, an error of the machine, a checkpoint that cannot be written. Then it is unsubscribed
 * and stopped at once, so nothing it does afterwards (the snapshot of the stop) counts.
 * `onSnapshot` sees every new macrostep, the final one included.
 */
function runUntilEnd(
  actor: BootActor,
  signal: AbortSignal,
  storeFailed: Promise<StoreError>,
  onSnapshot: (snapshot: BootSnapshot) => void,
): Promise<Ending> {
  return new Promise<Ending>((resolve) => {
    const end = (ending: Ending) => {
      subscription.unsubscribe();
      signal.removeEventListener('abort', onAbort);
      actor.stop();
      resolve(ending);
    };
    const onAbort = () => end({ kind: 'interrupted' });
    let previous: BootSnapshot | undefined;
    const subscription = actor.subscribe({
      next: (snapshot) => {
        if (snapshot === previous) return; // an event that changed nothing
        previous = snapshot;
        onSnapshot(snapshot);
        if (snapshot.status === 'done') end({ kind: 'done', output: snapshot.output as BootOutput });
      },
      error: (error) => end({ kind: 'crashed', error }),
    });
    void storeFailed.then((error) => end({ kind: 'store', error }));
    if (signal.aborted) return end({ kind: 'interrupted' });
    signal.addEventListener('abort', onAbort, { once: true });
    actor.start();
  });
}

/**
 * Why: run the machine to its end, checkpointing every macrostep — state, snapshot, runner
 * record and the journal rows it produced — without making the next step wait for the write;
 * then write the final checkpoint and wait until everything is durable.
 */
async function driveToEnd(
  actor: BootActor,
  run: RunRecord,
  recorder: JournalRecorder,
  options: RunBootOptions,
  plan: StartPlan['kind'],
  extra: { scope: BootScope; runnerRecord: (context: BootContext | undefined) => RunnerRecord },
): Promise<BootResult> {
  const { logger, signal } = options;
  const queue = new CheckpointQueue(options.store, logger);
  // The snapshot the actor starts from: what a signal before its first macrostep checkpoints.
  const initial = { snapshot: actor.getSnapshot(), persisted: actor.getPersistedSnapshot() };
  let last: typeof initial | undefined;
  const checkpoint = (status: RunStatus, error: string | null) => {
    const { snapshot, persisted } = last ?? initial;
    queue.push({
      runId: run.runId,
      status,
      stateValue: snapshot.value,
      snapshot: {
        xstate: persisted,
        configDigest: options.configDigest,
        scope: extra.scope,
        runner: extra.runnerRecord(snapshot.context),
      } satisfies StoredSnapshot,
      error,
      journal: recorder.take(),
    });
  };

  const ending = await runUntilEnd(actor, signal, queue.failed, (snapshot) => {
    // The app may start once the Gitea region is done (set up, stopped, supervisord.conf
    // rendered) and checkpointed; the runner-worker build goes on under this process.
    const handOff = isReadyToHandOff(snapshot.value) && !(last && isReadyToHandOff(last.snapshot.value));
    last = { snapshot, persisted: actor.getPersistedSnapshot() };
    if (snapshot.status === 'done') return; // the final checkpoint is written below
    checkpoint('running', null);
    const ready = options.onHandOffReady;
    if (handOff && ready)
      queue.drained().then(
        () => !signal.aborted && ready(),
        () => undefined,
      );
  });

  if (ending.kind === 'store') throw ending.error;
  if (ending.kind === 'crashed') {
    throw new InternalError(
      `the boot machine stopped with an error: ${options.redactor.redact(String(ending.error))}`,
      { cause: ending.error },
    );
  }
  if (ending.kind === 'interrupted') {
    const at = last ?? initial;
    logger.warn(
      { event: 'boot.stopping', state: at.snapshot.value },
      'interrupted: checkpointing and stopping',
    );
    const now = new Date();
    recorder.journalInterrupted(at.persisted, {
      startedAt: now,
      finishedAt: now,
      error: 'stopped by a signal while this step was running',
      rerun: false,
    });
  }
  const { status, error } =
    ending.kind === 'done'
      ? endOf(ending.output)
      : { status: 'interrupted' as const, error: 'stopped by a signal' };
  checkpoint(status, error);
  await queue.drained();
  return { runId: run.runId, status, plan, output: ending.kind === 'done' ? ending.output : null };
}

/** The final checkpoint of a machine that reached its end: its status, and what went wrong. */
function endOf(output: BootOutput): { status: RunStatus; error: string | null } {
  const { failure, degraded } = output;
  return {
    status: output.status,
    error: failure ? `${failure.step}: ${failure.message}` : degraded.join('; ') || null,
  };
}
