// The temporary Gitea that boot configures through its API before supervisord takes over.
// It must survive across boot steps (each step is checkpointed), so it is tracked by a pidfile
// rather than a handle: a later step — or the next boot, after a crash — can find it, check it
// is still alive, and stop it. `--pdeathsig=KILL` (run-as.ts) kills it if gigi-boot dies.
import { spawn } from 'node:child_process';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GiteaProcessError } from '../errors.ts';
import { resolveGiteaBinary } from './binary.ts';
import { outputTail, redactGiteaOutput } from './redact.ts';
import { giteaCommand, type RunAs } from './run-as.ts';
import { ensureWorkDir } from './work-dir.ts';

export interface StartTemporaryGiteaOptions {
  bin: string;
  configPath: string;
  workDir: string;
  runAs: RunAs;
  pidFile: string;
  /** Where gitea's stdout/stderr go; default <workDir>/log/gigi-boot-temporary-gitea.log. */
  logFile?: string;
  /** How long to watch for an immediate exit (bad config, root refusal) before returning. */
  settleMs?: number;
  /** Grace for stopping a leftover gitea from a crashed boot. */
  orphanGraceMs?: number;
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
  /** TERM → KILL grace (GIGI_BOOT_GITEA_STOP_TIMEOUT). */
  graceMs: number;
  signal?: AbortSignal;
}

export interface StopResult {
  action: 'stopped' | 'killed' | 'not-running';
  pid: number | undefined;
}

async function readPid(pidFile: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await readFile(pidFile, 'utf8')).trim(), 10);
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new GiteaProcessError(
      { message: `cannot read the temporary Gitea pidfile ${pidFile}: ${(error as Error).message}` },
      { hint: `Check the permissions of ${dirname(pidFile)}, or remove ${pidFile} if no gitea is running.` },
    );
  }
}

/** A live (non-zombie) process, read from /proc. */
async function isAlive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Why: only ever signal a process that really is a `gitea web` (pids are reused after a reboot). */
export async function isGiteaWebProcess(pid: number): Promise<boolean> {
  if (!(await isAlive(pid))) return false;
  try {
    const args = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter(Boolean);
    return args.includes('web') && args.some((a) => basename(a).includes('gitea'));
  } catch {
    return false;
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (await isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
  return true;
}

function kill(pid: number, signal: NodeJS.Signals): void {
  // The process leads its own group (spawned detached): signal the group, so git children go too.
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, signal);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
}

async function readLogTail(logFile: string): Promise<string> {
  try {
    return outputTail(redactGiteaOutput(await readFile(logFile, 'utf8')));
  } catch {
    return '';
  }
}

/** Why: stop the temporary Gitea gracefully (TERM, then KILL after the grace); safe to repeat. */
export async function stopTemporaryGitea(options: StopTemporaryGiteaOptions): Promise<StopResult> {
  options.signal?.throwIfAborted();
  const pid = await readPid(options.pidFile);
  let action: StopResult['action'] = 'not-running';
  if (pid !== undefined && (await isGiteaWebProcess(pid))) {
    kill(pid, 'SIGTERM');
    action = 'stopped';
    if (!(await waitForExit(pid, options.graceMs))) {
      kill(pid, 'SIGKILL');
      action = 'killed';
      if (!(await waitForExit(pid, 5_000)))
        throw new GiteaProcessError(
          { message: `the temporary Gitea (pid ${pid}) did not exit after SIGKILL` },
          {
            transient: true,
            hint: `Check "ps -o pid,stat,cmd -p ${pid}"; a process stuck in D state waits on I/O.`,
          },
        );
    }
  }
  await unlink(options.pidFile).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
  return { action, pid };
}

async function writePidFile(pidFile: string, pid: number): Promise<void> {
  const temp = `${pidFile}.${process.pid}.tmp`;
  await writeFileAtomic(temp, `${pid}\n`);
  await rename(temp, pidFile);
}

async function writeFileAtomic(path: string, text: string): Promise<void> {
  const handle = await open(path, 'w', 0o644);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Why: start `gitea web` for the boot's API calls, after stopping a leftover one from a crashed
 * boot; fails fast with the log tail when it exits right away (bad config, root, port in use).
 */
export async function startTemporaryGitea(options: StartTemporaryGiteaOptions): Promise<TemporaryGitea> {
  options.signal?.throwIfAborted();
  const bin = await resolveGiteaBinary(options.bin);
  await stopTemporaryGitea({ pidFile: options.pidFile, graceMs: options.orphanGraceMs ?? 10_000 });

  const logFile = options.logFile ?? join(options.workDir, 'log', 'gigi-boot-temporary-gitea.log');
  await ensureWorkDir({ workDir: options.workDir, runAs: options.runAs, subdirs: ['log'] });
  await mkdir(dirname(logFile), { recursive: true });
  await mkdir(dirname(options.pidFile), { recursive: true });
  const log = await open(logFile, 'a', 0o640);
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

  const abort = (): void => kill(pid, 'SIGKILL');
  options.signal?.addEventListener('abort', abort, { once: true });
  try {
    const settle = sleep(options.settleMs ?? 1_000, 'running' as const);
    const outcome = await Promise.race([settle, exited]);
    options.signal?.throwIfAborted();
    if (outcome !== 'running') {
      await unlink(options.pidFile).catch(() => undefined);
      const tail = await readLogTail(logFile);
      throw new GiteaProcessError(
        {
          message: `gitea web exited right after starting (exit code ${String(outcome.code)}${outcome.signal ? `, ${outcome.signal}` : ''}); log: ${logFile}`,
          ...(outcome.code !== null ? { exitCode: outcome.code } : {}),
          outputTail: tail,
        },
        { hint: earlyExitHint(tail, options.configPath), transient: false },
      );
    }
  } catch (error) {
    if (options.signal?.aborted) {
      await waitForExit(pid, 5_000);
      await unlink(options.pidFile).catch(() => undefined);
    }
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', abort);
  }
  return { pid, logFile, exited };
}

function earlyExitHint(tail: string, configPath: string): string {
  if (/not supposed to be run as root/i.test(tail))
    return 'Gitea refuses root: set GIGI_BOOT_GITEA_USER to an unprivileged user.';
  if (/address already in use|Failed to start server/i.test(tail))
    return "Another process holds Gitea's HTTP port: stop it or set GITEA_HTTP_PORT to a free port.";
  if (/Expect user/i.test(tail)) return `RUN_USER in ${configPath} does not match GIGI_BOOT_GITEA_USER.`;
  if (/home directory/i.test(tail)) return 'The Gitea run user has no HOME directory: create it.';
  return `Read the log above; check ${configPath} and that the Gitea work dir is owned by the run user.`;
}

/**
 * Why: while waiting for the API, notice that the temporary Gitea died (e.g. port in use after
 * migrations) instead of polling until the deadline; works from any boot step via the pidfile.
 */
export function temporaryGiteaLiveness(pidFile: string, logFile: string): () => Promise<void> {
  return async () => {
    const pid = await readPid(pidFile);
    if (pid !== undefined && (await isAlive(pid))) return;
    const tail = await readLogTail(logFile);
    throw new GiteaProcessError(
      {
        message: `the temporary Gitea ${pid === undefined ? `has no pidfile (${pidFile})` : `(pid ${pid}) exited`} before its API answered; log: ${logFile}`,
        outputTail: tail,
      },
      { hint: earlyExitHint(tail, 'app.ini'), transient: false },
    );
  };
}
