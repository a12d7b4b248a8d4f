import { describe, expect, it } from 'vitest';
import { applyMigrations, MIGRATIONS } from '../../src/store/migrations.ts';
import { BACKENDS, useFreshBackend } from './backends.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';

async function columns(store: SqlStore, table: string): Promise<string[]> {
  const rows = await store.db.query<{ column: string }>(
    `SELECT column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '-') AS column
     FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1
     ORDER BY ordinal_position`,
    [table],
  );
  return rows.map((row) => row.column);
}

describe.each(BACKENDS)('migrations ($name)', (backend) => {
  const fresh = useFreshBackend(backend);
  /** A store on a fresh database that an older gigi-boot migrated up to `version`. */
  const migratedTo = async (version: number): Promise<SqlStore> => {
    await fresh.create();
    const store = await fresh.open();
    await applyMigrations(
      store.db,
      MIGRATIONS.filter((m) => m.version <= version),
    );
    return store;
  };

  it('creates the schema on a fresh database and is idempotent', async () => {
    await fresh.create();
    const store = await fresh.open();
    await store.migrate();
    await store.migrate();

    const versions = await store.db.query<{ version: number }>(
      'SELECT version FROM gigi_boot_schema_migrations ORDER BY version',
    );
    expect(versions.map((row) => row.version)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(await columns(store, 'config')).toEqual([
      'key text NO -',
      'value text YES -',
      'created_at timestamp with time zone NO now()',
      'updated_at timestamp with time zone NO now()',
    ]);
    expect((await columns(store, 'gigi_boot_runs')).map((c) => c.split(' ')[0])).toEqual([
      'run_id',
      'volume_id',
      'machine_id',
      'machine_version',
      'fingerprint',
      'status',
      'state_value',
      'snapshot',
      'error',
      'seq',
      'started_at',
      'updated_at',
      'finished_at',
    ]);
    expect((await columns(store, 'gigi_boot_journal')).map((c) => c.split(' ')[0])).toEqual([
      'id',
      'run_id',
      'step',
      'attempt',
      'started_at',
      'finished_at',
      'duration_ms',
      'outcome',
      'error',
      'detail',
    ]);
    const indexes = await store.db.query<{ indexdef: string }>(
      "SELECT indexdef FROM pg_indexes WHERE tablename = 'gigi_boot_runs'",
    );
    expect(indexes.map((i) => i.indexdef).join('\n')).toMatch(/\(volume_id, started_at DESC\)/);
  });

  it('reads no lock waits (no error) from a database an older gigi-boot migrated, then records them once migrated', async () => {
    const store = await migratedTo(3);
    expect(await store.lockWaits('some-volume')).toEqual([]);
    await store.migrate();
    const wait = {
      volumeId: 'some-volume',
      runId: null,
      waiterHost: 'box',
      waiterPid: 7,
      holder: null,
      startedAt: new Date(),
      waitedMs: 5,
      then: 'warm',
    };
    await store.recordLockWait(wait);
    expect(await store.lockWaits('some-volume')).toEqual([wait]);
  });

  it('applies the pending migrations all or none: one that fails leaves the schema as it was', async () => {
    const store = await migratedTo(2);
    const broken = [
      ...MIGRATIONS,
      { version: 99, name: 'broken', sql: 'SELECT no_such_column FROM gigi_boot_runs' },
    ];
    await expect(applyMigrations(store.db, broken)).rejects.toThrow(/no_such_column/);
    const versions = await store.db.query<{ version: number }>(
      'SELECT version FROM gigi_boot_schema_migrations ORDER BY version',
    );
    expect(versions.map((r) => Number(r.version))).toEqual([1, 2]);
    expect(await store.db.query("SELECT to_regclass('gigi_boot_lock_waits')::text AS t")).toEqual([
      { t: null },
    ]);
    // Fixed, the same call applies everything pending (3 to the newest) at once.
    expect(await applyMigrations(store.db)).toEqual(
      MIGRATIONS.filter((m) => m.version > 2).map((m) => m.version),
    );
  });

  it('keeps a config table the app created already, with its rows and shape', async () => {
    const harness = await fresh.create();
    await harness.asApp(`
      CREATE TABLE config (
        key text PRIMARY KEY,
        value text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        note text
      );
      INSERT INTO config (key, value, created_at) VALUES ('APP_SETTING', 'kept', '2020-01-01T00:00:00Z');
    `);
    const store = await fresh.open();
    await store.migrate();

    expect((await columns(store, 'config')).map((c) => c.split(' ')[0])).toEqual([
      'key',
      'value',
      'created_at',
      'updated_at',
      'note',
    ]);
    const config = await store.readConfig();
    expect(config.get('APP_SETTING')?.value).toBe('kept');
    expect(config.get('APP_SETTING')?.createdAt.toISOString()).toBe('2020-01-01T00:00:00.000Z');
  });

  it('serialises concurrent migrations so each version is applied once', async () => {
    await fresh.create();
    const first = await fresh.open();
    // Postgres: two processes' worth of connections; PGlite: one process, concurrent callers.
    const second = backend.name === 'postgres' ? await fresh.open() : first;
    await Promise.all([first.migrate(), second.migrate(), first.migrate()]);
    const versions = await first.db.query<{ version: number }>(
      'SELECT version FROM gigi_boot_schema_migrations ORDER BY version',
    );
    expect(versions.map((row) => row.version)).toEqual(MIGRATIONS.map((m) => m.version));
  });
});
