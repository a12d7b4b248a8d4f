// Versioned schema migrations. The pending ones run in one transaction that first takes a
// transaction-scoped advisory lock, so concurrent boots (or a boot and an `inspect`) apply
// every migration exactly once, in order.
import type { Queryable, SqlDatabase } from './sql.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Advisory lock key (two int4) serialising migrations: 'gigi' and 'migr' in ASCII. */
export const MIGRATION_LOCK_KEY: readonly [number, number] = [0x67696769, 0x6d696772];

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'config, runs and journal',
    sql: `
      -- The Gigi app's own table; it may already exist (created by the app), so keep its shape.
      CREATE TABLE IF NOT EXISTS config (
        key text PRIMARY KEY,
        value text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE gigi_boot_runs (
        run_id uuid PRIMARY KEY,
        volume_id text NOT NULL,
        machine_id text NOT NULL,
        machine_version text NOT NULL,
        fingerprint text NOT NULL,
        status text NOT NULL
          CHECK (status IN ('running', 'completed', 'degraded', 'failed', 'interrupted')),
        state_value jsonb,
        snapshot jsonb,
        error text,
        seq integer NOT NULL DEFAULT 0,
        started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        finished_at timestamptz
      );
      CREATE INDEX gigi_boot_runs_volume_started_idx ON gigi_boot_runs (volume_id, started_at DESC);

      CREATE TABLE gigi_boot_journal (
        id bigserial PRIMARY KEY,
        run_id uuid NOT NULL REFERENCES gigi_boot_runs (run_id) ON DELETE CASCADE,
        step text NOT NULL,
        attempt integer NOT NULL CHECK (attempt >= 1),
        started_at timestamptz NOT NULL,
        finished_at timestamptz NOT NULL,
        duration_ms integer NOT NULL CHECK (duration_ms >= 0),
        outcome text NOT NULL CHECK (outcome IN ('ok', 'error', 'interrupted', 'skipped')),
        error text,
        detail jsonb
      );
      CREATE INDEX gigi_boot_journal_run_idx ON gigi_boot_journal (run_id, id);
    `,
  },
  {
    version: 2,
    name: "journal outcome 'reset' (gigi-boot reset --from STEP)",
    sql: `
      ALTER TABLE gigi_boot_journal DROP CONSTRAINT IF EXISTS gigi_boot_journal_outcome_check;
      ALTER TABLE gigi_boot_journal ADD CONSTRAINT gigi_boot_journal_outcome_check
        CHECK (outcome IN ('ok', 'error', 'interrupted', 'skipped', 'reset'));
    `,
  },
  {
    version: 3,
    name: 'the database half of the volume binding (which volume this database belongs to)',
    sql: `
      -- One row: this database's random id (the volume remembers it) and the volume it belongs to.
      CREATE TABLE gigi_boot_database (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        database_id uuid NOT NULL,
        volume_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        bound_at timestamptz
      );
    `,
  },
  {
    version: 4,
    name: 'boots that waited for the boot lock (inspect --history shows who waited for which run)',
    sql: `
      -- Not journal rows: the journal is a run's step history, replayed into the machine.
      CREATE TABLE gigi_boot_lock_waits (
        id bigserial PRIMARY KEY,
        volume_id text NOT NULL,
        run_id uuid REFERENCES gigi_boot_runs (run_id) ON DELETE CASCADE,
        waiter_host text NOT NULL,
        waiter_pid integer NOT NULL,
        holder text,
        started_at timestamptz NOT NULL,
        waited_ms integer NOT NULL CHECK (waited_ms >= 0),
        then_plan text NOT NULL
      );
      CREATE INDEX gigi_boot_lock_waits_volume_idx ON gigi_boot_lock_waits (volume_id, id);
    `,
  },
];

/**
 * Why: every pending migration in one transaction (a fresh database's first boot made seven,
 * ~50 round trips): the lock, the versions already applied, the pending SQL as one batch, one
 * insert of their versions. Atomic: a migration that fails leaves the schema as it was.
 */
async function applyPending(tx: Queryable, ordered: readonly Migration[]): Promise<number[]> {
  await tx.query('SELECT pg_advisory_xact_lock($1::int4, $2::int4)', MIGRATION_LOCK_KEY);
  await tx.exec(`
    CREATE TABLE IF NOT EXISTS gigi_boot_schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
  // Another process may have applied some while this one waited for the lock.
  const applied = new Set(
    (await tx.query<{ version: number }>('SELECT version FROM gigi_boot_schema_migrations')).map((r) =>
      Number(r.version),
    ),
  );
  const pending = ordered.filter((migration) => !applied.has(migration.version));
  if (pending.length === 0) return [];
  await tx.exec(pending.map((migration) => migration.sql).join(';\n'));
  await tx.query(
    'INSERT INTO gigi_boot_schema_migrations (version, name) SELECT * FROM unnest($1::int4[], $2::text[])',
    [pending.map((m) => m.version), pending.map((m) => m.name)],
  );
  return pending.map((m) => m.version);
}

/** The version the schema has once every migration is applied. */
export const LATEST_SCHEMA_VERSION = Math.max(0, ...MIGRATIONS.map((m) => m.version));

/** The highest migration applied (they are applied in order), 0 on a database never migrated. */
async function appliedVersion(db: SqlDatabase): Promise<number> {
  try {
    const rows = await db.query<{ version: number | null }>(
      'SELECT max(version) AS version FROM gigi_boot_schema_migrations',
    );
    return rows[0]?.version ?? 0;
  } catch (error) {
    if ((error as { code?: unknown }).code === '42P01') return 0; // no table yet
    throw error;
  }
}

/** Why: the schema must be current before the first checkpoint; returns the versions it applied. */
export async function applyMigrations(
  db: SqlDatabase,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number[]> {
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  // The common case, every start of a booted box: the schema is current. One query, no lock
  // (fifty boxes starting on one Postgres do not queue on the migration lock).
  const latest = ordered.at(-1)?.version ?? 0;
  if ((await appliedVersion(db)) >= latest) return [];
  return db.transaction((tx) => applyPending(tx, ordered));
}
