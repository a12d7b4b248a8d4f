// The embedded backend (DATABASE_URL unset): PGlite persisted under
// <dataDir>/gigi-boot/pglite. PGlite is single-process, so the directory is guarded by an
// exclusive lock file taken here and held until close(); the per-volume boot lock is a lock
// file too (same stale rules: dead pid on this host, or a lost heartbeat).
//
// The database's WAL holds every secret of the boot, and the data dir belongs to the run user:
// <dataDir>/gigi-boot is gigi-boot's private directory (0700, refused when another user owns
// it), and PGlite and the lock files reach it only through its pinned descriptor
// (/proc/self/fd/N/…, see src/volume/safe-fs.ts), so swapping it for a link changes nothing.
// PGlite writes its initial files 0666 whatever the umask (it unpacks a prepared cluster), so
// a umask cannot help: the files are made 0600 (directories 0700) right after every open,
// which also repairs stores an older gigi-boot left world-readable. Until then they sit in the
// 0700 directory, unreachable for anyone else: no window.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { isBootError, LockTimeoutError, StoreError } from '../errors.ts';
import { openPrivateBootDir, restrictTreeIn, type SafeDir } from '../volume/safe-fs.ts';
import { describeLockOwner, waitForLockFile, type LockFileHandle, type LockFileOwner } from './lock-file.ts';
import type { StoreBackend } from './sql-store.ts';
import type { Queryable, SqlDatabase } from './sql.ts';
import type { LockHolder } from './types.ts';

/** Why: one place that says where the embedded database and its lock files live. */
export function pglitePaths(dataDir: string): { root: string; database: string; lockFile: string } {
  const root = join(dataDir, 'gigi-boot');
  return { root, database: join(root, 'pglite'), lockFile: join(root, 'pglite.lock') };
}

function toLockHolder(owner: LockFileOwner | null): LockHolder | null {
  if (owner === null) return null;
  const since = owner.acquiredAt ? new Date(owner.acquiredAt) : null;
  return {
    pid: owner.pid,
    applicationName: owner.label,
    clientAddr: null,
    backendStart: since !== null && !Number.isNaN(since.getTime()) ? since : null,
  };
}

function transactionQueryable(tx: Transaction): Queryable {
  return {
    query: async <R>(text: string, params: readonly unknown[] = []) =>
      (await tx.query<R>(text, params as unknown[])).rows,
    exec: async (text: string) => {
      await tx.exec(text);
    },
  };
}

/** Why: DATABASE_URL is unset; open (or create) the embedded database, one process at a time. */
export async function openPgliteBackend(options: {
  dataDir: string;
  lockWaitMs?: number;
  onWait?: (holder: LockHolder | null) => void;
}): Promise<StoreBackend> {
  const paths = pglitePaths(options.dataDir);
  let bootDir: SafeDir;
  try {
    bootDir = await openPrivateBootDir(options.dataDir, paths.root);
  } catch (error) {
    if (isBootError(error)) throw error;
    throw new StoreError(
      `Cannot create the embedded database directory ${paths.root}: ${(error as Error).message}`,
      {
        hint: 'Check that the data directory (GIGI_DATA_DIR) is mounted and writable by gigi-boot.',
        cause: error,
      },
    );
  }

  try {
    return await openInBootDir(bootDir, paths, options);
  } catch (error) {
    await bootDir.close().catch(() => undefined);
    throw error;
  }
}

async function openInBootDir(
  bootDir: SafeDir,
  paths: ReturnType<typeof pglitePaths>,
  options: Parameters<typeof openPgliteBackend>[0],
): Promise<StoreBackend> {
  const waitMs = options.lockWaitMs ?? 0;
  const locked = await waitForLockFile(bootDir.at('pglite.lock'), {
    timeoutMs: waitMs,
    onWait: (owner) => options.onWait?.(toLockHolder(owner)),
  });
  if ('timedOutHolder' in locked) {
    throw new LockTimeoutError(
      `The embedded database ${paths.database} is in use by ${describeLockOwner(locked.timedOutHolder)} ` +
        `(lock file ${paths.lockFile}; waited ${waitMs} ms). PGlite allows only one process at a time.`,
      {
        hint: 'Wait for that gigi-boot process to finish or stop it (a lock left by a dead process is cleared automatically), or raise GIGI_BOOT_LOCK_TIMEOUT.',
        transient: true,
      },
    );
  }
  const dirLock = locked.handle;

  let pglite: PGlite;
  try {
    pglite = await PGlite.create(bootDir.at('pglite'));
  } catch (error) {
    await dirLock.release();
    throw new StoreError(
      `Cannot open the embedded PGlite database in ${paths.database}: ${(error as Error).message}`,
      {
        hint: 'Check that the data directory is writable and not corrupt; or set DATABASE_URL to use a Postgres server.',
        cause: error,
      },
    );
  }

  try {
    await restrictTreeIn(bootDir, 'pglite');
  } catch (error) {
    await pglite.close().catch(() => undefined);
    await dirLock.release();
    throw error;
  }

  const bootLocks = new Set<LockFileHandle>();
  const db: SqlDatabase = {
    query: async <R>(text: string, params: readonly unknown[] = []) =>
      (await pglite.query<R>(text, params as unknown[])).rows,
    exec: async (text: string) => {
      await pglite.exec(text);
    },
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) =>
      pglite.transaction((tx) => fn(transactionQueryable(tx))),
    close: () => pglite.close(),
  };

  return {
    kind: 'pglite',
    db,
    acquireBootLock: async (volumeId, lockOptions) => {
      const digest = createHash('sha256').update(volumeId).digest('hex').slice(0, 32);
      const path = join(paths.root, `boot-${digest}.lock`);
      const result = await waitForLockFile(bootDir.at(`boot-${digest}.lock`), {
        timeoutMs: lockOptions.timeoutMs,
        onWait: (owner) => lockOptions.onWait?.(toLockHolder(owner)),
      });
      if ('timedOutHolder' in result) {
        throw new LockTimeoutError(
          `Another boot of volume ${volumeId} still holds its lock after ${lockOptions.timeoutMs} ms: ` +
            `${describeLockOwner(result.timedOutHolder)} (lock file ${path})`,
          {
            hint: 'Wait for that boot to finish or stop it (its lock is released when its process exits), or raise GIGI_BOOT_LOCK_TIMEOUT.',
            transient: true,
          },
        );
      }
      const handle = result.handle;
      bootLocks.add(handle);
      return {
        // A lock file held by this process cannot be taken from it while the process lives.
        lost: new AbortController().signal,
        release: async () => {
          bootLocks.delete(handle);
          await handle.release();
        },
      };
    },
    listen: async (channel, listener) => {
      const unsubscribe = await pglite.listen(channel, listener);
      return async () => {
        if (!pglite.closed) await unsubscribe();
      };
    },
    describeFailure: (error) => ({
      reason: error instanceof Error ? error.message : String(error),
      transient: false,
    }),
    close: async () => {
      await Promise.all([...bootLocks].map((handle) => handle.release().catch(() => undefined)));
      bootLocks.clear();
      try {
        if (!pglite.closed) await pglite.close();
      } finally {
        await dirLock.release().finally(() => bootDir.close());
      }
    },
  };
}
