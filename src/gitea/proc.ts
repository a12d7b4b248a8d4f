// The temporary Gitea as the kernel sees it: its pidfile, whether that pid is alive, whether it
// really is *our* `gitea web` (same --config), and signalling its process group. Nothing here
// signals a process it has not first checked is ours: pids are reused, and a stale pidfile must
// not stop an operator's own Gitea on the same host.
import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GiteaProcessError, isBootError } from '../errors.ts';
import { readFileIn, withParentDir } from '../volume/safe-fs.ts';

/** Why: the pid a previous step (or a crashed boot) recorded; undefined when there is none. */
export async function readPid(pidFile: string): Promise<number | undefined> {
  try {
    // Its directory is gigi-boot's, directly inside the run user's volume: no link is followed
    // and a planted FIFO is refused rather than read (it would hang the boot).
    const text = await withParentDir(dirname(dirname(pidFile)), pidFile, readFileIn);
    const pid = Number.parseInt((text ?? '').trim(), 10);
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (isBootError(error)) throw error;
    throw new GiteaProcessError(
      { message: `cannot read the temporary Gitea pidfile ${pidFile}: ${(error as Error).message}` },
      { hint: `Check the permissions of ${dirname(pidFile)}, or remove ${pidFile} if no gitea is running.` },
    );
  }
}

/** A live (non-zombie) process, read from /proc (synchronously: memory, microseconds). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** The value of `--config`/`-c` in a gitea argv (either `--config X` or `--config=X`). */
function configArg(args: readonly string[]): string | undefined {
  for (const [i, arg] of args.entries()) {
    if (arg === '--config' || arg === '-c' || arg === '--config-file') return args[i + 1];
    const inline = /^(?:--config|-c)=(.*)$/.exec(arg);
    if (inline) return inline[1];
  }
  return undefined;
}

/**
 * Why: only ever signal a live `gitea web` started with *this volume's* app.ini — not any
 * process named gitea (an operator's Gitea, a reused pid after a reboot).
 */
export function isOurGiteaWeb(pid: number, configPath: string): boolean {
  if (!isAlive(pid)) return false;
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return (
      args.includes('web') &&
      args.some((a) => basename(a).includes('gitea')) &&
      configArg(args) === configPath
    );
  } catch {
    return false;
  }
}

/** Why: "is it gone yet?" for a pid we cannot wait() on (started by an earlier boot). */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(20);
  }
  return true;
}

/** Why: gitea leads its own process group (spawned detached): signal the group, so git children go too. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, signal);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
}

export type StopAction = 'stopped' | 'killed' | 'not-running';

/** True when `promise` settles within `ms`; the timer is cleared either way (no late wake-up). */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const timer = new AbortController();
  try {
    return await Promise.race([
      promise.then(() => true),
      sleep(ms, false, { signal: timer.signal }).catch(() => false),
    ]);
  } finally {
    timer.abort();
  }
}

/**
 * Why: a graceful stop — TERM, so Gitea flushes its queues and indexers, then KILL only after
 * `graceMs` (GIGI_BOOT_GITEA_STOP_TIMEOUT). `exited` (our own child) is noticed at once.
 */
export async function stopGracefully(
  pid: number,
  graceMs: number,
  exited?: Promise<unknown>,
): Promise<Exclude<StopAction, 'not-running'>> {
  const gone = (ms: number) => (exited ? settlesWithin(exited, ms) : waitForExit(pid, ms));
  signalGroup(pid, 'SIGTERM');
  if (await gone(graceMs)) return 'stopped';
  signalGroup(pid, 'SIGKILL');
  if (await gone(5_000)) return 'killed';
  throw new GiteaProcessError(
    { message: `the temporary Gitea (pid ${pid}) did not exit after SIGKILL` },
    {
      transient: true,
      hint: `Check "ps -o pid,stat,cmd -p ${pid}"; a process stuck in D state waits on I/O.`,
    },
  );
}
