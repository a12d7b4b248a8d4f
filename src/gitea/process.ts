// The temporary Gitea that boot configures through its API before supervisord takes over.
// It must survive across boot steps (each step is checkpointed), so it is tracked by a pidfile
// rather than a handle: a later step — or the next boot, after a crash — can find it, check it
// is still alive and really ours, and stop it gracefully. If gigi-boot dies, `--pdeathsig=TERM`
// (run-as.ts) makes it shut down cleanly; the next boot waits for it to be gone.
//
// "Ready" is decided by the kernel, not by whoever answers HTTP: the port must be free before
// the start, and the listening socket must belong to our child before any request is sent, so
// the admin's credentials never go to another process that took GITEA_HTTP_PORT.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GiteaPortInUseError, GiteaProcessError } from '../errors.ts';
import {
  openAppendIn,
  readFileTailIn,
  removeIn,
  withParentDir,
  writeFileIn,
  type SafeDir,
} from '../volume/safe-fs.ts';
import { resolveGiteaBinary } from './binary.ts';
import { describeListeners, listenersOn, socketInodesOf } from './listeners.ts';
import { isAlive, isOurGiteaWeb, readPid, stopGracefully, type StopAction } from './proc.ts';
import { outputTail, redactGiteaOutput } from './redact.ts';
import { giteaCommand, type RunAs } from './run-as.ts';
import { ensureWorkDir } from './work-dir.ts';

export { isAlive, isOurGiteaWeb } from './proc.ts';

/** How often the port and the child are looked at while Gitea starts: readiness seen within ~20 ms. */
const POLL_MS = 20;

export interface TemporaryGiteaTarget {
  configPath: string;
  pidFile: string;
  /** Gitea's HTTP_PORT / HTTP_ADDR as written in app.ini. */
  port: number;
  address?: string;
  /** Where gitea's stdout/stderr go; its tail is in every error. */
  logFile: string;
}

export interface StartTemporaryGiteaOptions extends Omit<TemporaryGiteaTarget, 'logFile'> {
  bin: string;
  workDir: string;
  runAs: RunAs;
  /** Default <workDir>/log/gigi-boot-temporary-gitea.log. */
  logFile?: string;
  /** How long Gitea may take to open its port (GIGI_BOOT_GITEA_READY_TIMEOUT). */
  readyTimeoutMs?: number;
  /** TERM → KILL grace, for a leftover Gitea and on abort (GIGI_BOOT_GITEA_STOP_TIMEOUT). */
  stopGraceMs?: number;
  signal?: AbortSignal;
}

export interface TemporaryGitea {
  pid: number;
  logFile: string;
  /** Resolves when the process exits (only observable from the boot that started it). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StopTemporaryGiteaOptions {
  pidFile: string;
  /** Only a `gitea web --config <this>` is stopped: a stale pidfile never stops another Gitea. */
  configPath: string;
  /** TERM → KILL grace (GIGI_BOOT_GITEA_STOP_TIMEOUT). */
  graceMs: number;
  signal?: AbortSignal;
}

export interface StopResult {
  action: StopAction;
  pid: number | undefined;
}

/**
 * The pid and log files live in gigi-boot's directory directly inside the volume the run user
 * can write (<GIGI_DATA_DIR>/gigi-boot): that directory and the file are opened without
 * following links (src/volume/safe-fs.ts), its parent is the trusted root.
 */
function onVolume<T>(
  file: string,
  fn: (dir: SafeDir, name: string) => Promise<T>,
  create = false,
): Promise<T> {
  return withParentDir(dirname(dirname(file)), file, fn, create ? { create: true, mode: 0o700 } : {});
}

async function removeFromVolume(file: string): Promise<void> {
  await onVolume(file, removeIn).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}

/** Enough for outputTail's 20 lines, however long the log has grown. */
const LOG_TAIL_BYTES = 64 * 1024;

/** Why: errors carry the end of Gitea's log (redacted): the reason is nearly always there. */
export async function readLogTail(logFile: string): Promise<string> {
  try {
    const tail = await onVolume(logFile, (dir, name) => readFileTailIn(dir, name, LOG_TAIL_BYTES));
    return outputTail(redactGiteaOutput(tail ?? ''));
  } catch {
    return '';
  }
}

/** Why: stop the temporary Gitea gracefully (TERM, then KILL after the grace); safe to repeat. */
export async function stopTemporaryGitea(options: StopTemporaryGiteaOptions): Promise<StopResult> {
  options.signal?.throwIfAborted();
  const pid = await readPid(options.pidFile);
  let action: StopAction = 'not-running';
  // Our own child's exit is noticed at once (the stopGitea step waited ~25 ms polling for it).
  if (pid !== undefined && isOurGiteaWeb(pid, options.configPath))
    action = await stopGracefully(pid, options.graceMs, startedHere.get(pid)?.exited);
  await removeFromVolume(options.pidFile);
  return { action, pid };
}

async function writePidFile(pidFile: string, pid: number): Promise<void> {
  await onVolume(pidFile, (dir, name) => writeFileIn(dir, name, `${pid}\n`, { mode: 0o644 }), true);
}

function canBind(port: number, address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ port, host: address, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/** Why: a port someone else holds is named at once, with its holder, instead of timing out later. */
async function assertPortFree(port: number, address: string): Promise<void> {
  const taken = listenersOn(port, address);
  // The socket table cannot tell an IPv6-only [::] listener (no clash) from a dual-stack one:
  // the kernel decides, by a bind of our own.
  if (taken.length === 0 || (await canBind(port, address))) return;
  throw new GiteaPortInUseError({
    port,
    address,
    holders: await describeListeners(taken),
    when: 'before-start',
  });
}

async function exitError(
  target: TemporaryGiteaTarget,
  outcome: { pid: number | undefined; code?: number | null; signal?: NodeJS.Signals | null },
): Promise<GiteaProcessError> {
  const tail = await readLogTail(target.logFile);
  const how =
    outcome.code !== undefined || outcome.signal
      ? ` (exit code ${String(outcome.code ?? null)}${outcome.signal ? `, ${outcome.signal}` : ''})`
      : '';
  const who =
    outcome.pid === undefined ? `has no pidfile (${target.pidFile})` : `(pid ${outcome.pid}) exited${how}`;
  return new GiteaProcessError(
    {
      message: `the temporary Gitea ${who} before its API answered; log: ${target.logFile}`,
      ...(typeof outcome.code === 'number' ? { exitCode: outcome.code } : {}),
      outputTail: tail,
    },
    { hint: earlyExitHint(tail, target.configPath, target.logFile), transient: false },
  );
}

/**
 * Why: wait until `pid` — and nothing else — listens on Gitea's port. Fails at once when it
 * exits (with its log tail) or when another process holds the port; never answers "ready" for a
 * Gitea gigi-boot did not start. Polls the kernel's socket table every POLL_MS.
 */
async function awaitOwnListener(
  target: TemporaryGiteaTarget,
  pid: number,
  options: {
    timeoutMs: number;
    signal?: AbortSignal;
    exited?: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  },
): Promise<void> {
  const address = target.address ?? '127.0.0.1';
  const deadline = Date.now() + options.timeoutMs;
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void options.exited?.then((e) => (exit = e));
  for (;;) {
    options.signal?.throwIfAborted();
    if (exit || !isAlive(pid)) {
      // A zombie is dead: its exit status follows as soon as Node reaps it.
      exit ??= options.exited ? await options.exited : undefined;
      throw await exitError(target, { pid, ...exit });
    }
    // A [::] listener that let the port check pass is IPv6-only: it takes none of the connections
    // to our IPv4 address (a dual-stack one would make our own bind fail, and the exit is caught).
    const listeners = listenersOn(target.port, address).filter(
      (l) => !(l.address === '::' && address !== '::'),
    );
    if (listeners.length > 0) {
      const ours = await socketInodesOf(pid);
      if (!ours)
        throw new GiteaProcessError(
          {
            message: `cannot read /proc/${pid}/fd to check that the temporary Gitea holds port ${target.port}`,
          },
          { hint: 'Run gigi-boot as root or as the Gitea run user, with /proc mounted without hidepid.' },
        );
      // Anything but ours on the address (before ours binds, or beside it with SO_REUSEPORT) may answer.
      const foreign = listeners.filter((l) => !ours.has(l.inode));
      if (foreign.length > 0)
        throw new GiteaPortInUseError({
          port: target.port,
          address,
          holders: await describeListeners(foreign),
          when: 'after-start',
        });
      return;
    }
    if (Date.now() >= deadline) {
      const tail = await readLogTail(target.logFile);
      throw new GiteaProcessError(
        {
          message: `the temporary Gitea (pid ${pid}) did not open ${address}:${target.port} within ${options.timeoutMs} ms; log: ${target.logFile}`,
          outputTail: tail,
        },
        {
          transient: false,
          hint: 'If Gitea is just slow to start (the first start migrates the database), raise GIGI_BOOT_GITEA_READY_TIMEOUT; otherwise the log tail says what it is doing.',
        },
      );
    }
    await sleep(POLL_MS, undefined, options.signal ? { signal: options.signal } : {}).catch(() => {
      throw options.signal?.reason ?? new Error('aborted');
    });
  }
}

/** The temporary Giteas this process started and that have not exited: their exits, their pidfiles. */
const startedHere = new Map<number, { exited: Promise<unknown>; pidFile: string }>();

/**
 * Why: start `gitea web` for the boot's API calls — after a leftover one from a crashed boot is
 * gone and the port is known free — and return once its own socket listens on the port.
 */
export async function startTemporaryGitea(options: StartTemporaryGiteaOptions): Promise<TemporaryGitea> {
  options.signal?.throwIfAborted();
  const bin = await resolveGiteaBinary(options.bin);
  const graceMs = options.stopGraceMs ?? 10_000;
  await stopTemporaryGitea({ pidFile: options.pidFile, configPath: options.configPath, graceMs });
  await assertPortFree(options.port, options.address ?? '127.0.0.1');

  const logFile = options.logFile ?? join(options.workDir, 'log', 'gigi-boot-temporary-gitea.log');
  const target: TemporaryGiteaTarget = { ...options, logFile };
  await ensureWorkDir({ workDir: options.workDir, runAs: options.runAs, subdirs: ['log'] });
  // 0600: only root reads what Gitea printed (the tail is redacted before it is shown).
  const log = await onVolume(logFile, (dir, name) => openAppendIn(dir, name, 0o600), true);
  const cmd = giteaCommand(options.runAs, bin, ['web', '--config', options.configPath], options.workDir);
  let child;
  try {
    child = spawn(cmd.file, cmd.args, {
      env: cmd.env,
      cwd: options.workDir,
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
    });
  } finally {
    await log.close();
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  child.unref();
  const pid = child.pid;
  if (pid === undefined) {
    const error = await spawnError;
    throw new GiteaProcessError(
      { message: `cannot spawn "${cmd.file}" to run ${bin}: ${error.message}` },
      { hint: 'setpriv (util-linux) must be installed and on PATH.', cause: error },
    );
  }
  await writePidFile(options.pidFile, pid);
  startedHere.set(pid, { exited, pidFile: options.pidFile });
  // The API client is needed as soon as Gitea listens: load it while Gitea starts. Imported
  // here, not at the top: a warm start stops (no) temporary Gitea through this module, and the
  // client's module builds the Gitea answers' schemas when loaded.
  void import('./api.ts').then((api) => api.preloadHttpClient()).catch(() => undefined);
  // And the `gitea admin` commands' runner, which createUsers needs next.
  void import('./cli.ts').then((cli) => cli.preloadCliRunner()).catch(() => undefined);
  void exited.then(() => startedHere.delete(pid));

  try {
    await awaitOwnListener(target, pid, {
      timeoutMs: options.readyTimeoutMs ?? 60_000,
      exited,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    // Aborted (SIGTERM to gigi-boot), exited, port taken, too slow: never leave it running, and
    // stop it as gracefully as any other time.
    if (isAlive(pid)) await stopGracefully(pid, graceMs, exited).catch(() => undefined);
    await removeFromVolume(options.pidFile).catch(() => undefined);
    throw error;
  }
  return { pid, logFile, exited };
}

/**
 * Why: every step that talks to the temporary Gitea first makes sure it is the one we started
 * (pidfile → live `gitea web --config <ours>` → that process holds the port); starts it when
 * it is not running (a resumed boot: it stopped with the previous process).
 */
export async function ensureTemporaryGitea(
  options: StartTemporaryGiteaOptions & { logFile: string },
): Promise<{ started: boolean; pid: number }> {
  // Our own child, not yet reaped (so its pid cannot have been reused): no pidfile to read.
  const mine = [...startedHere].find(([, child]) => child.pidFile === options.pidFile)?.[0];
  const pid = mine ?? (await readPid(options.pidFile));
  // Only a Gitea this process started is reused. One left by an earlier gigi-boot process got
  // its parent-death TERM and is shutting down (perhaps finishing a slow request): waiting for
  // it to listen would wait for nothing, so startTemporaryGitea stops it and starts a new one.
  if (pid !== undefined && startedHere.has(pid) && isOurGiteaWeb(pid, options.configPath)) {
    await awaitOwnListener(options, pid, {
      timeoutMs: options.readyTimeoutMs ?? 60_000,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return { started: false, pid };
  }
  const gitea = await startTemporaryGitea(options);
  return { started: true, pid: gitea.pid };
}

function earlyExitHint(tail: string, configPath: string, logFile: string): string {
  if (/not supposed to be run as root/i.test(tail))
    return 'Gitea refuses root: set GIGI_BOOT_GITEA_USER to an unprivileged user.';
  if (/address already in use|Failed to start server/i.test(tail))
    return "Another process holds Gitea's HTTP port: stop it or set GITEA_HTTP_PORT to a free port.";
  if (/Expect user/i.test(tail)) return `RUN_USER in ${configPath} does not match GIGI_BOOT_GITEA_USER.`;
  if (/home directory/i.test(tail)) return 'The Gitea run user has no HOME directory: create it.';
  return `The last lines of ${logFile} are shown with this error; check ${configPath} and that the Gitea work dir is owned by the run user.`;
}

/**
 * Why: while waiting for the API, notice that the temporary Gitea died (e.g. port in use after
 * migrations) instead of polling until the deadline; works from any boot step via the pidfile.
 */
export function temporaryGiteaLiveness(
  pidFile: string,
  logFile: string,
  configPath = 'app.ini',
): () => Promise<void> {
  return async () => {
    const pid = await readPid(pidFile);
    if (pid !== undefined && isAlive(pid)) return;
    throw await exitError({ pidFile, logFile, configPath, port: 0 }, { pid });
  };
}
