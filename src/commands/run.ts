// `gigi-boot run [--no-handoff]`: the container entrypoint. Validate, take the volume's lock,
// run or resume the boot machine, always stop the temporary Gitea, then hand off to supervisord.
import { EXIT } from '../cli/exit-codes.ts';
import { hostname } from 'node:os';
import { InternalError } from '../errors.ts';
import { bindVolumeToDatabase } from '../boot/bind-volume.ts';
import { configDigest, runnerDigest } from '../boot/config-digest.ts';
import { bootPaths } from '../boot/paths.ts';
import { renderForWarmStart } from '../boot/steps/hand-off.ts';
import { preflight } from '../boot/preflight.ts';
import { recordAccess } from '../boot/run-user-access.ts';
import { bootFingerprint } from '../boot/fingerprint.ts';
import type { BootResult } from '../boot/run-boot.ts';
import { decideStart } from '../boot/start-plan.ts';
import { dockerConfigured, runnerContextHash } from '../boot/runner-context.ts';
import { registerStoredSecrets } from '../boot/secrets.ts';
import { loadConfig, secretValuesOf, type BootConfig } from '../config/index.ts';
import { stopTemporaryGitea } from '../gitea/process.ts';
import { createLogger, type Logger } from '../log/logger.ts';
import { processRedactor } from '../log/process-redactor.ts';
import { createProgressView } from '../log/progress-view.ts';
import { openStore } from '../store/index.ts';
import { openStoreWithRetry } from '../store/open-with-retry.ts';
import type { LockHolder, Store } from '../store/types.ts';
import { readVolumeIdIfAny } from '../store/volume.ts';
import { handOffToSupervisor } from '../supervisor/hand-off.ts';

export interface RunOptions {
  env: Record<string, string | undefined>;
  noHandoff: boolean;
  /** Where logs go; default: progress view on a TTY, JSON lines otherwise. */
  output?: NodeJS.WritableStream;
}

function exitCodeOf(result: BootResult): number {
  switch (result.status) {
    case 'completed':
    case 'degraded':
      return EXIT.ok;
    case 'interrupted':
      return EXIT.interrupted;
    default:
      return EXIT.failed;
  }
}

/** Run a boot with this environment; returns the exit code (errors propagate to the CLI boundary). */
export async function runWithEnv({ env, noHandoff, output = process.stdout }: RunOptions): Promise<number> {
  const { config, warnings } = await loadConfig(env);
  processRedactor.add(...secretValuesOf(config));
  const tty = (output as NodeJS.WriteStream).isTTY === true;
  const logger = createLogger({
    redactor: processRedactor,
    destination: tty ? createProgressView(output) : output,
  });
  for (const warning of warnings) logger.warn({ event: 'config.warning' }, warning);

  const storeOptions = {
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    lockWaitMs: config.deadlines.lockWaitMs,
    bootLock: true,
    onWait: (holder: LockHolder | null) =>
      logger.warn(
        { event: 'lock.wait', holder },
        `another gigi-boot process (pid ${holder?.pid ?? '?'}) has the embedded database open; waiting`,
      ),
  };
  // Postgres is connected to while the checks run: it touches nothing on the volume (the
  // embedded database, which lives there, is opened only after them).
  const connecting = config.databaseUrl !== undefined ? openStore(storeOptions) : undefined;
  connecting?.catch(() => undefined); // its failure is the first attempt's, handled below
  // The same checks `gigi-boot check` makes (then the data dir is created). With Postgres they
  // go on while the store connects, takes a booted volume's lock and reads its start state:
  // reads only. Nothing is written, and no binding decided, before they have passed.
  const checked = preflight(config, env);
  checked.catch(() => undefined); // awaited below, on every path
  // The volume's id, read beside the checks (a read, awaited after them below). A volume without
  // one has never booted: its boot runs the machine, so XState and the steps load now, while
  // the database connects and migrates, instead of after the plan.
  const idReading = readVolumeIdIfAny(config.dataDir);
  idReading.then(
    (id) => {
      if (id === undefined) void preloadBootMachine();
    },
    () => undefined,
  );
  if (!connecting) await checked;
  /** Why: a problem the checks find is reported first, and not after a wait for the database. */
  const afterChecks = <T>(work: Promise<T>): Promise<T> =>
    Promise.race([
      work.catch(async (error: unknown) => {
        await checked;
        throw error;
      }),
      checked.then(() => work),
    ]);
  // The store first: a database that cannot be reached leaves the volume untouched.
  const opening = openStoreWithRetry(storeOptions, config.deadlines.databaseWaitMs, logger, connecting);
  let store: Store;
  try {
    store = await afterChecks(opening);
  } catch (error) {
    void opening.then((opened) => opened.close()).catch(() => undefined);
    throw error;
  }

  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    logger.warn(
      { event: 'boot.signal', signal },
      `received ${signal}: stopping the boot at the next safe point`,
    );
    abort.abort(new Error(`received ${signal}`));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  let result: BootResult | undefined;
  // The try below ended without throwing (or its error was the build's, after the hand-off).
  let bodyDone = false;
  let closed: Promise<void> = Promise.resolve();
  // The boot lock's release, once asked for (it resolves when its session has ended).
  let releasing: Promise<void> = Promise.resolve();
  // A warm start's hand-off files, being written.
  let rendering: Promise<string> | undefined;
  // supervisord, once started: as soon as the Gitea region is done, while the runner-worker
  // image may still build under this process (the app does not need it to start).
  let supervisor: Promise<number> | undefined;
  const startSupervisor = () => {
    supervisor = handOffToSupervisor({ config, logger });
    // supervisord gone (stopped, or failed to start) while the build runs: stop the build too.
    supervisor.then(
      () => abort.abort(new Error('supervisord exited')),
      () => abort.abort(new Error('supervisord did not start')),
    );
  };
  try {
    // The volume and the database must belong together (refused, exit 2, before anything is
    // written); then the schema, the volume id and the binding on both sides.
    // What the runner-worker image is built for, read beside the binding and the lock (files only).
    const dockerPresent = dockerConfigured(config);
    const contextHash = runnerContextHash(config);
    // Set only when this boot had to wait for another's lock: then the wait is recorded.
    let waited: { since: Date; holder: LockHolder | null } | undefined;
    const takeLock = (id: string) =>
      store.acquireBootLock(id, {
        timeoutMs: config.deadlines.lockWaitMs,
        onWait: (holder) => {
          waited = { since: new Date(), holder };
          logger.warn(
            { event: 'lock.wait', holder },
            `another boot of this volume holds the lock (${holder?.applicationName ?? 'unknown holder'}${holder?.pid ? `, backend pid ${holder.pid}` : ''}); waiting up to ${config.deadlines.lockWaitMs} ms`,
          );
        },
      });
    // A volume that booted before has its id: its lock first, then everything the start reads,
    // in one round trip (every restart of a booted box). A new volume gets its id from the
    // binding, then its lock. (A lock taken here and not released below is released by
    // store.close(), e.g. when the binding is refused.)
    const idOnFile = await afterChecks(idReading);
    let lock = idOnFile === undefined ? undefined : await afterChecks(takeLock(idOnFile));
    const facts = idOnFile === undefined ? null : await afterChecks(store.readStartFacts(idOnFile));
    const { accessToRecord } = await checked;
    const volumeId = await bindVolumeToDatabase(store, {
      dataDir: config.dataDir,
      databaseUrl: config.databaseUrl,
      ...(idOnFile !== undefined && facts ? { known: { volumeId: idOnFile, facts } } : {}),
    });
    // A start state read for the id on file is the volume's (the binding agreed with that id).
    const known = facts && volumeId === idOnFile ? facts : null;
    lock ??= await takeLock(volumeId);
    // The run user's access, as the checks' child found it, for the next start not to ask it:
    // a write, so only once the volume and the database are known to belong together.
    if (accessToRecord !== undefined) await recordAccess(config.dataDir, accessToRecord);
    const waitedMs = waited ? Date.now() - waited.since.getTime() : 0;
    const onLost = () =>
      logger.error(
        { event: 'lock.lost', err: lock.lost.reason as Error },
        'lost the boot lock (its database session ended): stopping the boot at the next safe point',
      );
    lock.lost.addEventListener('abort', onLost, { once: true });
    try {
      // The run the lock holder left (read before this boot starts its own): what was waited for.
      const waitedFor = waited ? (known ? known.latestRun : await store.latestRun(volumeId)) : null;
      const configRows = known ? Promise.resolve(known.config) : store.readConfig();
      await registerStoredSecrets({ readConfig: () => configRows }, processRedactor);
      const digests = {
        configDigest: configDigest(config),
        runnerDigest: runnerDigest(config, await dockerPresent, await contextHash),
        runnerRetryMs: config.deadlines.runnerRetryMs,
      };
      const start = await decideStart({
        store,
        volumeId,
        fingerprint: await bootFingerprint(),
        configRows,
        ...(known ? { latest: known.latestRun } : {}),
        ...digests,
        logger,
      });
      // A warm start ends here: the machine (and XState) is loaded only when a step may run.
      if (start.plan.kind === 'warm') {
        result = { runId: start.plan.run.runId, status: 'completed', plan: 'warm', output: null };
        // supervisord.conf (and app.ini) from today's configuration, under the lock and while
        // the sessions end; awaited (and its error thrown) below.
        rendering = renderForWarmStart(config);
        rendering.catch(() => undefined);
      } else {
        const { runBoot } = await import('../boot/run-boot.ts');
        result = await runBoot({
          store,
          volumeId,
          start,
          input: { retry: config.retry },
          ...digests,
          // Loaded only when a step will run (fresh or resumed boot).
          steps: async ({ scope }) =>
            (await import('../boot/compose.ts')).composeSteps({
              config,
              store,
              redactor: processRedactor,
              logger,
              scope,
            }),
          onHandOffReady: noHandoff ? undefined : startSupervisor,
          logger,
          redactor: processRedactor,
          // Losing the lock stops the boot like a signal does: at the next checkpoint.
          signal: AbortSignal.any([abort.signal, lock.lost]),
        });
      }
      if (waited)
        await recordWait(store, logger, volumeId, waitedFor?.runId ?? null, waited, waitedMs, result);
      // Stopped because the lock went, not because of a signal: say so (exit 1, not 143). After
      // the hand-off the app runs on regardless: the next start finishes the build.
      if (result.status === 'interrupted' && lock.lost.aborted && !abort.signal.aborted && !supervisor)
        throw lock.lost.reason;
    } finally {
      // Every exit path — done, failed, interrupted, crashed step — leaves no temporary Gitea.
      await stopTemporaryGitea({
        pidFile: bootPaths(config).giteaPidFile,
        configPath: bootPaths(config).appIni,
        graceMs: config.deadlines.giteaStopMs,
      }).catch((error: unknown) =>
        logger.error({ event: 'gitea.stop_failed', err: error }, 'could not stop the temporary Gitea'),
      );
      lock.lost.removeEventListener('abort', onLost);
      // Postgres ends the session a few ms after it is asked to: awaited with the store's close.
      releasing = lock.release();
    }
    bodyDone = true;
  } catch (error) {
    // After the hand-off the app runs; a store fault in the background build must not take the
    // container down with it: the next start resumes the build from its last checkpoint.
    if (!supervisor) throw error;
    logger.error(
      { event: 'boot.failed_after_handoff', err: error },
      'the runner-worker build could not be finished or checkpointed after the hand-off; the app runs on, the next start resumes it',
    );
    bodyDone = true;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    // Ending the sessions waits for Postgres to close them: a boot that ended well lets the
    // warm start render supervisord.conf meanwhile; one that throws waits here, as it did.
    const closing = Promise.all([releasing, store.close()]).then(() => undefined);
    if (bodyDone) closed = closing;
    else await closing;
  }
  const warmRender = !supervisor && result?.plan === 'warm' && result.status === 'completed';
  if (!warmRender) await closed;
  // Handed off already: the container lives as long as supervisord, whatever the build did.
  if (supervisor) {
    if (result) reportResult(result, logger);
    return supervisor;
  }
  if (!result) throw new InternalError('the boot ended without a result');
  reportResult(result, logger);
  const code = exitCodeOf(result);
  if (code !== EXIT.ok) return code;
  if (result.plan === 'warm') {
    const [conf] = await Promise.all([rendering ?? renderForWarmStart(config), closed]);
    logger.info({ event: 'handoff.rendered', conf }, `rendered ${conf} from the current configuration`);
  }
  if (noHandoff) return code;
  return handOffToSupervisor({ config, logger });
}

/** Why: the machine's modules (XState, the steps) load before the plan when a boot will need them. */
function preloadBootMachine(): Promise<unknown> {
  return Promise.all([import('../boot/run-boot.ts'), import('../boot/compose.ts')]).catch(() => undefined);
}

/** Why: the wait is otherwise only in this process's log; inspect --history shows it on the run waited for. */
async function recordWait(
  store: Awaited<ReturnType<typeof openStoreWithRetry>>,
  logger: Logger,
  volumeId: string,
  runId: string | null,
  waited: { since: Date; holder: LockHolder | null },
  waitedMs: number,
  result: BootResult,
): Promise<void> {
  const holder = waited.holder
    ? [waited.holder.applicationName, waited.holder.pid ? `backend pid ${waited.holder.pid}` : null]
        .filter(Boolean)
        .join(', ') || null
    : null;
  // A note for the operator, not part of the boot: failing to write it does not fail the boot.
  await store
    .recordLockWait({
      volumeId,
      runId,
      waiterHost: hostname(),
      waiterPid: process.pid,
      holder,
      startedAt: waited.since,
      waitedMs,
      then: result.plan,
    })
    .catch((error: unknown) =>
      logger.warn(
        { event: 'lock.wait_not_recorded', err: error },
        'could not record the wait for the boot lock',
      ),
    );
}

function reportResult(result: BootResult, logger: Logger): void {
  const failure = result.output?.failure;
  if (result.status === 'failed' && failure) {
    logger.error(
      { event: 'boot.failed', step: failure.step, hint: failure.hint },
      `boot failed at ${failure.step}: ${failure.message}${failure.hint ? ` — ${failure.hint}` : ''}`,
    );
  } else if (result.status === 'degraded') {
    logger.warn(
      { event: 'boot.degraded', reasons: result.output?.degraded },
      `boot completed, degraded: ${result.output?.degraded.join('; ')}`,
    );
  } else if (result.status === 'interrupted') {
    logger.warn(
      { event: 'boot.interrupted' },
      'boot interrupted; the next `gigi-boot run` resumes from the last checkpoint',
    );
  } else {
    logger.info(
      { event: 'boot.completed', plan: result.plan, runId: result.runId },
      result.plan === 'warm' ? 'already initialised' : 'boot completed',
    );
  }
}

export async function execute(flags: Record<string, string | boolean | undefined>): Promise<number> {
  return runWithEnv({ env: process.env, noHandoff: flags['no-handoff'] === true });
}

export type { BootConfig };
