// The two store backends the store tests run against: a fresh database on the throwaway
// Postgres cluster, and a fresh embedded PGlite in a temp data dir (copied from a template
// initialised once, because PGlite's initdb takes seconds).
import { cp, mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { openStore } from '../../src/store/index.ts';
import { pglitePaths } from '../../src/store/pglite.ts';
import { SqlStore } from '../../src/store/sql-store.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { testServerUrl } from '../support/env.ts';
import type { JournalEntry } from '../../src/store/types.ts';

export interface BackendHarness {
  /** DATABASE_URL for this backend (undefined for PGlite). */
  databaseUrl: string | undefined;
  dataDir: string;
  open(options?: { lockWaitMs?: number }): Promise<SqlStore>;
  /** Run SQL as "the Gigi app" would, before any store is open on this database. */
  asApp(sql: string): Promise<void>;
  cleanup(): Promise<void>;
}

export interface BackendFactory {
  name: 'postgres' | 'pglite';
  create(): Promise<BackendHarness>;
}

async function tempDataDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'gigi-boot-store-'));
}

function asSqlStore(store: unknown): SqlStore {
  if (!(store instanceof SqlStore)) throw new Error('openStore did not return a SqlStore');
  return store;
}

const pgliteVersion = (
  JSON.parse(
    readFileSync(
      join(dirname(fileURLToPath(import.meta.resolve('@electric-sql/pglite'))), '..', 'package.json'),
      'utf8',
    ),
  ) as { version: string }
).version;

/** An initdb'ed PGlite directory shared by all test files (created once, atomically). */
async function pgliteTemplate(): Promise<string> {
  const template = join(tmpdir(), `gigi-boot-test-pglite-template-${pgliteVersion}`);
  if (await stat(join(template, 'PG_VERSION')).catch(() => null)) return template;
  const building = await mkdtemp(join(tmpdir(), 'gigi-boot-test-pglite-building-'));
  const db = await PGlite.create(building);
  await db.close();
  await rename(building, template).catch(async () => {
    await rm(building, { recursive: true, force: true }); // another file built it first
  });
  return template;
}

export const postgresBackend: BackendFactory = {
  name: 'postgres',
  create: async () => {
    const databaseUrl = await createTestDatabase(testServerUrl(), 'store');
    const dataDir = await tempDataDir();
    return {
      databaseUrl,
      dataDir,
      open: async () => asSqlStore(await openStore({ databaseUrl, dataDir })),
      asApp: async (sql) => {
        const client = new pg.Client({ connectionString: databaseUrl });
        await client.connect();
        try {
          await client.query(sql);
        } finally {
          await client.end();
        }
      },
      cleanup: () => rm(dataDir, { recursive: true, force: true }),
    };
  },
};

export const pgliteBackend: BackendFactory = {
  name: 'pglite',
  create: async () => {
    const dataDir = await tempDataDir();
    const paths = pglitePaths(dataDir);
    await mkdir(paths.root, { recursive: true });
    await cp(await pgliteTemplate(), paths.database, { recursive: true });
    return {
      databaseUrl: undefined,
      dataDir,
      open: async (options) =>
        asSqlStore(await openStore({ databaseUrl: undefined, dataDir, lockWaitMs: options?.lockWaitMs })),
      asApp: async (sql) => {
        const db = await PGlite.create(paths.database);
        try {
          await db.exec(sql);
        } finally {
          await db.close();
        }
      },
      cleanup: () => rm(dataDir, { recursive: true, force: true }),
    };
  },
};

export const BACKENDS: readonly BackendFactory[] = [postgresBackend, pgliteBackend];

/** A journal row with sensible defaults. */
export function journalEntry(runId: string, overrides: Partial<JournalEntry> = {}): JournalEntry {
  const startedAt = new Date(Date.now() - 1500);
  return {
    runId,
    step: 'writeAppIni',
    attempt: 1,
    startedAt,
    finishedAt: new Date(startedAt.getTime() + 1500),
    durationMs: 1500,
    outcome: 'ok',
    error: null,
    detail: null,
    ...overrides,
  };
}

/**
 * A fresh `backend` for each test of the enclosing describe block: `create()` makes it, `open()`
 * opens a store on it that is closed after the test, before the backend is removed.
 * `beforeCleanup` runs first (to stop processes still holding the database).
 */
export function useFreshBackend(
  backend: BackendFactory,
  beforeCleanup: () => Promise<unknown> = async () => {},
): {
  create: () => Promise<BackendHarness>;
  open: (options?: Parameters<BackendHarness['open']>[0]) => Promise<SqlStore>;
} {
  let harness: BackendHarness | undefined;
  const stores: SqlStore[] = [];
  afterEach(async () => {
    await beforeCleanup();
    await Promise.all(stores.splice(0).map((store) => store.close()));
    await harness?.cleanup();
    harness = undefined;
  });
  return {
    create: async () => (harness = await backend.create()),
    open: async (options) => {
      if (!harness) throw new Error('create() the backend first');
      const store = await harness.open(options);
      stores.push(store);
      return store;
    },
  };
}

/**
 * A migrated store on a fresh `backend` for the enclosing describe block (opened in beforeAll,
 * closed and removed in afterAll); call the accessors inside tests.
 */
export function useMigratedStore(backend: BackendFactory): {
  store: () => SqlStore;
  harness: () => BackendHarness;
} {
  return useStore(backend, { migrate: true });
}

/** useMigratedStore, or with `migrate: false` a store on a database gigi-boot never touched. */
export function useStore(
  backend: BackendFactory,
  { migrate }: { migrate: boolean },
): {
  store: () => SqlStore;
  harness: () => BackendHarness;
} {
  let harness: BackendHarness | undefined;
  let store: SqlStore | undefined;
  beforeAll(async () => {
    harness = await backend.create();
    store = await harness.open();
    if (migrate) await store.migrate();
  });
  afterAll(async () => {
    await store?.close();
    await harness?.cleanup();
  });
  const opened = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the store is opened in beforeAll: use it inside a test');
    return value;
  };
  return { store: () => opened(store), harness: () => opened(harness) };
}
