// Exclusive lock files for the embedded PGlite store: PGlite is single-process, so a data
// directory must never be opened by two processes, and the per-volume boot lock must work
// without a Postgres server. The file holds the owner's pid, hostname and process start
// time; it is stale when that pid is dead (or reused) on this host, or, for another host,
// when the owner stopped refreshing its mtime (heartbeat).
import { randomUUID } from 'node:crypto';
import { link, readFile, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname } from 'node:path';

export interface LockFileOwner {
  pid: number;
  hostname: string;
  /** Linux process start time (clock ticks since boot), to detect a reused pid. */
  startTime: string | null;
  acquiredAt: string;
  /** Who holds it, in words ("gigi-boot pid=12 host=abc"). */
  label: string;
}

export interface LockFileHandle {
  readonly path: string;
  release(): Promise<void>;
}

const HEARTBEAT_MS = 2_000;
/** A lock from another host whose heartbeat is older than this is considered abandoned. */
const FOREIGN_STALE_MS = 15_000;
const POLL_MS = 100;

/** Locks this process holds: a file naming our own pid that is not in here is a stale leftover. */
const heldHere = new Set<string>();

/**
 * The lock's identity whatever path reaches it: the PGlite store passes paths through its
 * pinned directory descriptor (/proc/self/fd/N/…), and N differs between two opens.
 */
async function heldKey(path: string): Promise<string> {
  const dir = await stat(dirname(path));
  return `${dir.dev}:${dir.ino}/${basename(path)}`;
}

function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime); fields after the parenthesised command name, which may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Why: the label that lock waiters show the operator. */
export function ownerLabel(): string {
  return `gigi-boot pid=${process.pid} host=${hostname()}`;
}

function parseOwner(text: string): LockFileOwner | null {
  try {
    const value = JSON.parse(text) as Partial<LockFileOwner>;
    if (typeof value.pid !== 'number' || typeof value.hostname !== 'string') return null;
    return {
      pid: value.pid,
      hostname: value.hostname,
      startTime: typeof value.startTime === 'string' ? value.startTime : null,
      acquiredAt: typeof value.acquiredAt === 'string' ? value.acquiredAt : '',
      label: typeof value.label === 'string' ? value.label : `pid=${value.pid} host=${value.hostname}`,
    };
  } catch {
    return null;
  }
}

async function isStale(path: string, owner: LockFileOwner | null): Promise<boolean> {
  if (owner === null) {
    // Unreadable content: only a writer that died between create and write leaves this; our
    // writes are atomic (link of a complete temp file), so treat it as stale after a grace period.
    const info = await stat(path).catch(() => null);
    return info === null || Date.now() - info.mtimeMs > FOREIGN_STALE_MS;
  }
  if (owner.hostname !== hostname()) {
    const info = await stat(path).catch(() => null);
    return info === null || Date.now() - info.mtimeMs > FOREIGN_STALE_MS;
  }
  if (owner.pid === process.pid) return !heldHere.has(await heldKey(path));
  if (!isAlive(owner.pid)) return true;
  const startTime = processStartTime(owner.pid);
  return owner.startTime !== null && startTime !== null && startTime !== owner.startTime;
}

async function readOwner(path: string): Promise<LockFileOwner | null | 'missing'> {
  try {
    return parseOwner(await readFile(path, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
}

async function createExclusive(path: string, content: string): Promise<boolean> {
  const temp = `${path}.${process.pid}.${randomUUID()}.tmp`;
  await writeFile(temp, content, { mode: 0o600 });
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/** Remove a stale lock, guarded by a short-lived breaker lock so two waiters can't both break it. */
async function breakStale(path: string, seen: LockFileOwner | null): Promise<void> {
  const breaker = `${path}.break`;
  if (!(await createExclusive(breaker, String(process.pid)))) {
    const info = await stat(breaker).catch(() => null);
    if (info !== null && Date.now() - info.mtimeMs > FOREIGN_STALE_MS)
      await unlink(breaker).catch(() => undefined);
    return;
  }
  try {
    const current = await readOwner(path);
    if (current === 'missing') return;
    if (JSON.stringify(current) === JSON.stringify(seen) && (await isStale(path, current))) {
      await unlink(path).catch(() => undefined);
    }
  } finally {
    await unlink(breaker).catch(() => undefined);
  }
}

export type TryLockResult = { handle: LockFileHandle } | { holder: LockFileOwner | null };

/** Why: one non-blocking attempt; on failure says who holds the lock. */
export async function tryLockFile(path: string, label = ownerLabel()): Promise<TryLockResult> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const owner: LockFileOwner = {
      pid: process.pid,
      hostname: hostname(),
      startTime: processStartTime(process.pid),
      acquiredAt: new Date().toISOString(),
      label,
    };
    if (await createExclusive(path, `${JSON.stringify(owner)}\n`)) {
      const key = await heldKey(path);
      heldHere.add(key);
      return { handle: holdLock(path, key) };
    }
    const existing = await readOwner(path);
    if (existing === 'missing') continue;
    if (!(await isStale(path, existing))) return { holder: existing };
    await breakStale(path, existing);
  }
  const existing = await readOwner(path);
  return { holder: existing === 'missing' ? null : existing };
}

function holdLock(path: string, key: string): LockFileHandle {
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(path, now, now).catch(() => undefined);
  }, HEARTBEAT_MS);
  heartbeat.unref();
  let released = false;
  return {
    path,
    release: async () => {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      heldHere.delete(key);
      await unlink(path).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    },
  };
}

/**
 * Why: wait for a lock file like a session advisory lock: onWait once with the holder, poll
 * until timeoutMs, then return the last holder seen so the caller can name it in its error.
 */
export async function waitForLockFile(
  path: string,
  options: { timeoutMs: number; onWait?: (holder: LockFileOwner | null) => void; label?: string },
): Promise<{ handle: LockFileHandle } | { timedOutHolder: LockFileOwner | null }> {
  const deadline = Date.now() + options.timeoutMs;
  let notified = false;
  for (;;) {
    const result = await tryLockFile(path, options.label);
    if ('handle' in result) return result;
    if (Date.now() >= deadline) return { timedOutHolder: result.holder };
    if (!notified) {
      notified = true;
      options.onWait?.(result.holder);
    }
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(POLL_MS, Math.max(1, deadline - Date.now()))),
    );
  }
}

/** Why: "pid 123 on host abc (gigi-boot pid=123 host=abc), since …" for wait and timeout messages. */
export function describeLockOwner(owner: LockFileOwner | null): string {
  if (owner === null) return 'an unknown process (the lock file is unreadable)';
  const since = owner.acquiredAt ? `, since ${owner.acquiredAt}` : '';
  return `pid ${owner.pid} on host ${owner.hostname}${since}`;
}
