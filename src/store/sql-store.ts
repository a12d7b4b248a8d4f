// The Store over any SqlDatabase: runs, checkpoints, the journal and the app's `config`
// table. Backend specifics (boot lock, LISTEN, closing) come from a StoreBackend.
import { isBootError, StoreError } from '../errors.ts';
import { applyMigrations, LATEST_SCHEMA_VERSION } from './migrations.ts';
import type { Queryable, SqlDatabase } from './sql.ts';
import type {
  BootLockOptions,
  BootLock,
  Checkpoint,
  ConfigRow,
  DatabaseBinding,
  JournalEntry,
  LockWait,
  ResetMark,
  RunRecord,
  RunStatus,
  StartFacts,
  Store,
} from './types.ts';
import { randomUUID } from 'node:crypto';

export const PROGRESS_CHANNEL = 'gigi_boot_progress';

const TERMINAL: ReadonlySet<RunStatus> = new Set(['completed', 'degraded', 'failed', 'interrupted']);

export interface StoreBackend {
  readonly kind: 'postgres' | 'pglite';
  readonly db: SqlDatabase;
  acquireBootLock(volumeId: string, options: BootLockOptions): Promise<BootLock>;
  /** onLost: the listening session ended (Postgres only); nothing more is heard until listen() again. */
  listen(
    channel: string,
    listener: (payload: string) => void,
    onLost?: (error: Error) => void,
  ): Promise<() => Promise<void>>;
  /** A one-line reason for a failed query (password scrubbed) and whether retrying may help. */
  describeFailure(error: unknown): { reason: string; transient: boolean };
  /** Which database this is, for messages: the server and DATABASE_URL (redacted), or PGlite's directory. */
  readonly where?: string;
  close(): Promise<void>;
}

interface RunRow {
  run_id: string;
  volume_id: string;
  machine_id: string;
  machine_version: string;
  fingerprint: string;
  status: RunStatus;
  state_value: unknown;
  snapshot: unknown;
  error: string | null;
  seq: number;
  // Dates from a query's columns, ISO strings from readStartFacts' JSON.
  started_at: Date | string;
  updated_at: Date | string;
  finished_at: Date | string | null;
}

interface JournalRow {
  run_id: string;
  step: string;
  attempt: number;
  started_at: Date;
  finished_at: Date;
  duration_ms: number;
  outcome: JournalEntry['outcome'];
  error: string | null;
  detail: Record<string, unknown> | null;
}

const RUN_COLUMNS =
  'run_id, volume_id, machine_id, machine_version, fingerprint, status, state_value, snapshot, error, seq, started_at, updated_at, finished_at';

function toRun(row: RunRow): RunRecord {
  return {
    runId: row.run_id,
    volumeId: row.volume_id,
    machineId: row.machine_id,
    machineVersion: row.machine_version,
    fingerprint: row.fingerprint,
    status: row.status,
    stateValue: row.state_value,
    snapshot: row.snapshot,
    error: row.error,
    seq: Number(row.seq),
    startedAt: new Date(row.started_at),
    updatedAt: new Date(row.updated_at),
    finishedAt: row.finished_at === null ? null : new Date(row.finished_at),
  };
}

function toJournal(row: JournalRow): JournalEntry {
  return {
    runId: row.run_id,
    step: row.step,
    attempt: Number(row.attempt),
    startedAt: new Date(row.started_at),
    finishedAt: new Date(row.finished_at),
    durationMs: Number(row.duration_ms),
    outcome: row.outcome,
    error: row.error,
    detail: row.detail,
  };
}

interface ConfigTableRow {
  key: string;
  value: string;
  created_at: Date | string;
  updated_at: Date | string;
}

function configMap(rows: readonly ConfigTableRow[]): Map<string, ConfigRow> {
  return new Map(
    rows.map((row) => [
      row.key,
      {
        key: row.key,
        value: row.value,
        createdAt: new Date(row.created_at),
        updatedAt: new Date(row.updated_at),
      },
    ]),
  );
}

/** readStartFacts' one row: what the separate reads return, the rows of other tables as JSON. */
interface StartFactsRow {
  binding: { database_id: string; volume_id: string | null } | null;
  last_run_volume_id: string | null;
  schema_version: number | null;
  latest_run: RunRow | null;
  config: ConfigTableRow[];
}

// The same columns and order as readDatabaseBinding, migrate()'s version check, latestRun and
// readConfig. A timestamp in JSON is an ISO string, which toRun/configMap read as a Date does.
const START_FACTS_QUERY = `SELECT
  (SELECT jsonb_build_object('database_id', database_id, 'volume_id', volume_id) FROM gigi_boot_database) AS binding,
  CASE WHEN (SELECT volume_id FROM gigi_boot_database) IS NULL THEN
    (SELECT volume_id FROM gigi_boot_runs ORDER BY started_at DESC, updated_at DESC LIMIT 1) END AS last_run_volume_id,
  (SELECT max(version) FROM gigi_boot_schema_migrations) AS schema_version,
  (SELECT to_jsonb(r) FROM (SELECT ${RUN_COLUMNS} FROM gigi_boot_runs WHERE volume_id = $1
     ORDER BY started_at DESC, updated_at DESC LIMIT 1) r) AS latest_run,
  (SELECT coalesce(jsonb_agg(c ORDER BY c.key), '[]'::jsonb) FROM (SELECT key, value, created_at, updated_at
     FROM config WHERE value IS NOT NULL) c) AS config`;

/** JSON for a jsonb parameter; undefined becomes SQL NULL. */
function json(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

async function insertJournal(tx: Queryable, entries: readonly JournalEntry[]): Promise<void> {
  for (const entry of entries) {
    await tx.query(
      `INSERT INTO gigi_boot_journal
         (run_id, step, attempt, started_at, finished_at, duration_ms, outcome, error, detail)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)`,
      [
        entry.runId,
        entry.step,
        entry.attempt,
        entry.startedAt,
        entry.finishedAt,
        Math.max(0, Math.round(entry.durationMs)),
        entry.outcome,
        entry.error,
        json(entry.detail ?? null),
      ],
    );
  }
}

/**
 * Is an `inspect --follow` listening on this database (its LISTEN session names itself so)? A
 * NOTIFY makes its transaction take Postgres's one cluster-wide notification-queue lock at
 * commit, held through the WAL flush: every checkpoint of every box on the server would queue
 * behind every other's. Only notify when someone listens (rare: an operator following a boot).
 */
const LISTENER_CONNECTED = `EXISTS (SELECT 1 FROM pg_stat_activity
   WHERE datname = current_database() AND application_name LIKE 'gigi-boot listen %')`;

export class SqlStore implements Store {
  readonly kind: 'postgres' | 'pglite';
  /** The underlying database, for tests and diagnostics; the Store methods are the API. */
  readonly db: SqlDatabase;
  private readonly backend: StoreBackend;

  constructor(backend: StoreBackend) {
    this.backend = backend;
    this.kind = backend.kind;
    this.db = backend.db;
  }

  private async wrap<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (isBootError(error)) throw error;
      const { reason, transient } = this.backend.describeFailure(error);
      throw new StoreError(`${action} failed (${this.backend.where ?? `${this.kind} store`}): ${reason}`, {
        hint: transient
          ? 'The database connection was interrupted; gigi-boot retries, check that Postgres (DATABASE_URL) is up.'
          : 'This looks like a schema or data problem; run `gigi-boot inspect` and report it if it persists.',
        transient,
        cause: error,
      });
    }
  }

  /** Why: the schema must be current before any run is read or written. */
  async migrate(): Promise<void> {
    await this.wrap('Applying schema migrations', () => applyMigrations(this.db));
  }

  /** Why: two boots of one volume must never run their steps at the same time. */
  acquireBootLock(volumeId: string, options: BootLockOptions): Promise<BootLock> {
    return this.backend.acquireBootLock(volumeId, options);
  }

  /** Why: each boot attempt is one run row that checkpoints update in place. */
  async startRun(run: {
    volumeId: string;
    machineId: string;
    machineVersion: string;
    fingerprint: string;
  }): Promise<RunRecord> {
    return this.wrap('Starting a boot run', async () => {
      const rows = await this.db.query<RunRow>(
        `INSERT INTO gigi_boot_runs (run_id, volume_id, machine_id, machine_version, fingerprint, status)
         VALUES ($1, $2, $3, $4, $5, 'running')
         RETURNING ${RUN_COLUMNS}`,
        [randomUUID(), run.volumeId, run.machineId, run.machineVersion, run.fingerprint],
      );
      return toRun(rows[0]!);
    });
  }

  /** Why: a boot decides whether to resume from the volume's latest run. */
  async latestRun(volumeId: string): Promise<RunRecord | null> {
    const runs = await this.listRuns(volumeId, 1);
    return runs[0] ?? null;
  }

  /** Why: `inspect` shows a volume's recent runs, newest first. */
  async listRuns(volumeId: string, limit = 20): Promise<RunRecord[]> {
    return this.wrap('Listing boot runs', async () => {
      const rows = await this.db.query<RunRow>(
        `SELECT ${RUN_COLUMNS} FROM gigi_boot_runs WHERE volume_id = $1
         ORDER BY started_at DESC, updated_at DESC LIMIT $2`,
        [volumeId, limit],
      );
      return rows.map(toRun);
    });
  }

  /**
   * Why: a transition's state and the journal rows it finished must be durable together. One
   * statement (its own transaction): one round trip and one WAL flush per checkpoint, where
   * BEGIN … COMMIT took five round trips. Listeners are notified on commit only.
   */
  async saveCheckpoint(checkpoint: Checkpoint): Promise<void> {
    await this.wrap(`Saving the checkpoint of run ${checkpoint.runId}`, async () => {
      const journal = checkpoint.journal.map((entry) => ({
        step: entry.step,
        attempt: entry.attempt,
        started_at: entry.startedAt,
        finished_at: entry.finishedAt,
        duration_ms: Math.max(0, Math.round(entry.durationMs)),
        outcome: entry.outcome,
        error: entry.error,
        detail: entry.detail ?? null,
      }));
      const updated = await this.db.query<{ run_id: string }>(
        `WITH updated AS (
           UPDATE gigi_boot_runs
              SET status = $2, state_value = $3::jsonb, snapshot = $4::jsonb, error = $5,
                  seq = seq + 1, updated_at = clock_timestamp(),
                  finished_at = CASE WHEN $6::boolean THEN clock_timestamp() ELSE NULL END
            WHERE run_id = $1
        RETURNING run_id
         ), journal AS (
           INSERT INTO gigi_boot_journal
             (run_id, step, attempt, started_at, finished_at, duration_ms, outcome, error, detail)
           SELECT updated.run_id, j.step, j.attempt, j.started_at, j.finished_at, j.duration_ms,
                  j.outcome, j.error, j.detail
             FROM updated,
                  ROWS FROM (
                    jsonb_to_recordset($7::jsonb)
                      AS (step text, attempt integer, started_at timestamptz, finished_at timestamptz,
                          duration_ms integer, outcome text, error text, detail jsonb)
                  ) WITH ORDINALITY
                    AS j(step, attempt, started_at, finished_at, duration_ms, outcome, error, detail, ord)
            ORDER BY j.ord
         )
         SELECT run_id, CASE WHEN ${this.kind === 'pglite' ? 'true' : LISTENER_CONNECTED} THEN pg_notify($8, run_id::text) END
           FROM updated`,
        [
          checkpoint.runId,
          checkpoint.status,
          json(checkpoint.stateValue),
          json(checkpoint.snapshot),
          checkpoint.error ?? null,
          TERMINAL.has(checkpoint.status),
          JSON.stringify(journal),
          PROGRESS_CHANNEL,
        ],
      );
      if (updated.length === 0) {
        throw new StoreError(`Cannot save a checkpoint: run ${checkpoint.runId} does not exist`, {
          hint: 'Start the run with startRun() before checkpointing it (this is a gigi-boot bug).',
        });
      }
    });
  }

  /** Why: steps that finish outside a transition (e.g. on shutdown) still get journalled. */
  async appendJournal(entries: JournalEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.wrap('Appending to the boot journal', () =>
      this.db.transaction((tx) => insertJournal(tx, entries)),
    );
  }

  /** Why: `gigi-boot reset` must change what the next boot does without rewriting the run's history. */
  async markReset(runId: string, mark: ResetMark, entry: JournalEntry): Promise<void> {
    await this.wrap(`Recording a reset of run ${runId}`, () =>
      this.db.transaction(async (tx) => {
        const updated = await tx.query<{ run_id: string }>(
          `UPDATE gigi_boot_runs
             SET snapshot = (CASE WHEN jsonb_typeof(snapshot) = 'object' THEN snapshot ELSE '{}'::jsonb END)
                            || jsonb_build_object('resetFrom', $2::jsonb)
           WHERE run_id = $1
           RETURNING run_id`,
          [runId, json(mark)],
        );
        if (updated.length === 0) {
          throw new StoreError(`Cannot record a reset: run ${runId} does not exist`, {
            hint: 'Run `gigi-boot inspect --history` to see the runs of this volume.',
          });
        }
        await insertJournal(tx, [entry]);
        await tx.query('SELECT pg_notify($1, $2)', [PROGRESS_CHANNEL, runId]);
      }),
    );
  }

  /** Why: `inspect` and the tests read a run's step history in order. */
  async journal(runId: string): Promise<JournalEntry[]> {
    return this.wrap(`Reading the journal of run ${runId}`, async () => {
      const rows = await this.db.query<JournalRow>(
        `SELECT run_id, step, attempt, started_at, finished_at, duration_ms, outcome, error, detail
         FROM gigi_boot_journal WHERE run_id = $1 ORDER BY id`,
        [runId],
      );
      return rows.map(toJournal);
    });
  }

  /** Why: a boot that waited for another's lock is otherwise only in its own log (issue 13). */
  async recordLockWait(wait: LockWait): Promise<void> {
    await this.wrap('Recording a wait for the boot lock', async () => {
      await this.db.query(
        `INSERT INTO gigi_boot_lock_waits
           (volume_id, run_id, waiter_host, waiter_pid, holder, started_at, waited_ms, then_plan)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          wait.volumeId,
          wait.runId,
          wait.waiterHost,
          wait.waiterPid,
          wait.holder,
          wait.startedAt,
          Math.max(0, Math.round(wait.waitedMs)),
          wait.then,
        ],
      );
    });
  }

  /** Why: `inspect --history` shows who waited for which run. */
  async lockWaits(volumeId: string): Promise<LockWait[]> {
    return this.wrap('Reading the waits for the boot lock', async () => {
      // inspect never migrates: a database an older gigi-boot booted has no such table (none waited).
      const rows = await this.tableRows<{
        volume_id: string;
        run_id: string | null;
        waiter_host: string;
        waiter_pid: number;
        holder: string | null;
        started_at: Date;
        waited_ms: number;
        then_plan: string;
      }>(
        `SELECT volume_id, run_id, waiter_host, waiter_pid, holder, started_at, waited_ms, then_plan
         FROM gigi_boot_lock_waits WHERE volume_id = $1 ORDER BY id`,
        [volumeId],
      );
      return rows.map((row) => ({
        volumeId: row.volume_id,
        runId: row.run_id,
        waiterHost: row.waiter_host,
        waiterPid: Number(row.waiter_pid),
        holder: row.holder,
        startedAt: new Date(row.started_at),
        waitedMs: Number(row.waited_ms),
        then: row.then_plan,
      }));
    });
  }

  /** Why: a volume pointed at the wrong database must be refused before anything is written. */
  async readDatabaseBinding(): Promise<DatabaseBinding> {
    return this.wrap('Reading which volume this database belongs to', async () => {
      const binding = await this.optionalRow<{ database_id: string; volume_id: string | null }>(
        'SELECT database_id, volume_id FROM gigi_boot_database',
      );
      // Only a database without an owner needs its runs asked (an older gigi-boot's).
      const lastRun = binding?.volume_id
        ? undefined
        : await this.optionalRow<{ volume_id: string }>(
            'SELECT volume_id FROM gigi_boot_runs ORDER BY started_at DESC, updated_at DESC LIMIT 1',
          );
      return {
        databaseId: binding?.database_id ?? null,
        volumeId: binding?.volume_id ?? null,
        lastRunVolumeId: lastRun?.volume_id ?? null,
      };
    });
  }

  async readStartFacts(volumeId: string): Promise<StartFacts | null> {
    return this.wrap('Reading the start state of this volume', async () => {
      // One statement, so one round trip: what bindVolumeToDatabase, migrate() and decideStart
      // would each have asked for. Rows of several tables come back as JSON.
      let rows: StartFactsRow[];
      try {
        rows = await this.db.query<StartFactsRow>(START_FACTS_QUERY, [volumeId]);
      } catch (error) {
        if ((error as { code?: unknown }).code === '42P01') return null; // undefined_table
        throw error;
      }
      const row = rows[0]!;
      return {
        database: {
          databaseId: row.binding?.database_id ?? null,
          volumeId: row.binding?.volume_id ?? null,
          lastRunVolumeId: row.last_run_volume_id,
        },
        schemaCurrent: (row.schema_version ?? 0) >= LATEST_SCHEMA_VERSION,
        latestRun: row.latest_run ? toRun(row.latest_run) : null,
        config: configMap(row.config),
      };
    });
  }

  /** The rows of a query on a table that may not exist yet (a database not yet migrated): none. */
  private async tableRows<R>(text: string, params: unknown[]): Promise<R[]> {
    try {
      return await this.db.query<R>(text, params);
    } catch (error) {
      if ((error as { code?: unknown }).code === '42P01') return []; // undefined_table
      throw error;
    }
  }

  /** The first row of a query on a table that may not exist yet (a database never booted). */
  private async optionalRow<R>(text: string): Promise<R | undefined> {
    try {
      return (await this.db.query<R>(text))[0];
    } catch (error) {
      if ((error as { code?: unknown }).code === '42P01') return undefined; // undefined_table
      throw error;
    }
  }

  /** Why: the volume remembers its database by this id, which pg_dump/pg_restore carries along. */
  async ensureDatabaseId(): Promise<string> {
    return this.wrap('Giving this database its id', async () => {
      await this.db.query(
        'INSERT INTO gigi_boot_database (database_id) VALUES ($1) ON CONFLICT (singleton) DO NOTHING',
        [randomUUID()],
      );
      const rows = await this.db.query<{ database_id: string }>('SELECT database_id FROM gigi_boot_database');
      return rows[0]!.database_id;
    });
  }

  /** Why: the config table belongs to one volume; the first boot to claim the database owns it. */
  async claimDatabase(volumeId: string, options: { replace?: boolean } = {}): Promise<string> {
    return this.wrap('Recording which volume this database belongs to', async () => {
      const rows = await this.db.query<{ volume_id: string }>(
        `UPDATE gigi_boot_database SET volume_id = $1, bound_at = now()
         WHERE volume_id IS NULL OR $2::boolean
         RETURNING volume_id`,
        [volumeId, options.replace === true],
      );
      if (rows[0]) return rows[0].volume_id;
      const current = await this.db.query<{ volume_id: string }>('SELECT volume_id FROM gigi_boot_database');
      if (!current[0]) throw new StoreError('claimDatabase() before ensureDatabaseId() (a gigi-boot bug)');
      return current[0].volume_id;
    });
  }

  /** Why: the boot reuses what an earlier run wrote (tokens, users) instead of recreating it. Rows whose value is SQL NULL count as unset. */
  async readConfig(): Promise<Map<string, ConfigRow>> {
    return this.wrap('Reading the config table', async () =>
      configMap(
        await this.db.query<ConfigTableRow>(
          'SELECT key, value, created_at, updated_at FROM config WHERE value IS NOT NULL ORDER BY key',
        ),
      ),
    );
  }

  /** Why: one key lookup without reading the whole table. */
  async getConfigValue(key: string): Promise<string | undefined> {
    return this.wrap(`Reading config key ${key}`, async () => {
      const rows = await this.db.query<{ value: string | null }>('SELECT value FROM config WHERE key = $1', [
        key,
      ]);
      return rows[0]?.value ?? undefined;
    });
  }

  /** Why: the app reads its settings from `config`; all keys land together or not at all. */
  async writeConfig(entries: Record<string, string>): Promise<void> {
    const pairs = Object.entries(entries);
    if (pairs.length === 0) return;
    // One statement (atomic on its own, one round trip): a boot saves each secret before it
    // uses it, so these writes are on its critical path.
    await this.wrap(`Writing config keys ${pairs.map(([key]) => key).join(', ')}`, () =>
      this.db.query(
        `INSERT INTO config (key, value) SELECT * FROM unnest($1::text[], $2::text[])
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now()
         WHERE config.value IS DISTINCT FROM excluded.value`,
        [pairs.map(([key]) => key), pairs.map(([, value]) => value)],
      ),
    );
  }

  /** Why: `inspect --follow` and tests react to checkpoints as they commit (LISTEN gigi_boot_progress). */
  async onProgress(
    listener: (runId: string) => void,
    onLost?: (error: Error) => void,
  ): Promise<() => Promise<void>> {
    return this.wrap('Listening for boot progress', () =>
      this.backend.listen(PROGRESS_CHANNEL, listener, onLost),
    );
  }

  /** Why: release the pool, the PGlite directory lock and any boot lock still held. */
  async close(): Promise<void> {
    await this.backend.close();
  }
}
