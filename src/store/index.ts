// The store: where gigi-boot keeps its progress and writes the app's configuration.
//
// DATABASE_URL set → node-postgres; unset → embedded PGlite persisted under
// <dataDir>/gigi-boot/pglite (one process at a time, guarded by <dataDir>/gigi-boot/pglite.lock).
//
// Tables (created by versioned migrations, see migrations.ts):
//   gigi_boot_schema_migrations  version, name, applied_at — which migrations ran.
//   config                       the Gigi app's own key/value table (key text primary key,
//                                value text, created_at, updated_at); created only if the app
//                                has not already, never altered.
//   gigi_boot_runs               one row per boot run of a volume: status, XState snapshot and
//                                state value, redacted error, checkpoint seq, timestamps.
//   gigi_boot_journal            append-only, one row per step attempt (outcome, duration,
//                                redacted error, small JSON detail).
//   gigi_boot_database           one row: this database's random id and the volume it belongs
//                                to (the volume keeps the id in GIGI_DATA_DIR/.gigi-boot-database).
// Every checkpoint commits the run row and its journal rows together, then notifies the
// `gigi_boot_progress` channel with the run id.
import { SqlStore } from './sql-store.ts';
import type { LockHolder, Store } from './types.ts';

export { redactDatabaseUrl } from './database-url.ts';
export { readOrCreateVolumeId } from './volume.ts';
export { PROGRESS_CHANNEL } from './sql-store.ts';
export type * from './types.ts';

export interface OpenStoreOptions {
  /** DATABASE_URL; undefined selects the embedded PGlite. */
  databaseUrl: string | undefined;
  /** GIGI_DATA_DIR: the PGlite database and its lock file live under <dataDir>/gigi-boot. */
  dataDir: string;
  /** PGlite only: how long to wait for another process to close the embedded database (default 0). */
  lockWaitMs?: number;
  /** PGlite only: called once with the holder when openStore must wait for the database. */
  onWait?: (holder: LockHolder | null) => void;
  /**
   * Postgres only: this process will take the boot lock, so its session is connected now,
   * beside the pool's first connection, instead of after the binding is read.
   */
  bootLock?: boolean;
}

/** Why: the single entry point that picks the backend; throws StoreError/LockTimeoutError with operator hints. */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  // Only the backend in use is loaded: a Postgres start does not pay for PGlite's module.
  const backend =
    options.databaseUrl !== undefined
      ? await (
          await import('./postgres.ts')
        ).openPostgresBackend(options.databaseUrl, {
          bootLock: options.bootLock === true,
        })
      : await (await import('./pglite.ts')).openPgliteBackend(options);
  return new SqlStore(backend);
}
