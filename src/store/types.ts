// The store's contract: what the boot runner, `inspect` and the tests rely on.
// Implemented over node-postgres (DATABASE_URL) and PGlite (embedded default).

export type RunStatus = 'running' | 'completed' | 'degraded' | 'failed' | 'interrupted';

export interface RunRecord {
  runId: string; // uuid
  volumeId: string;
  machineId: string;
  machineVersion: string;
  /** sha256 of the machine definition; a snapshot is only restored into the same fingerprint. */
  fingerprint: string;
  status: RunStatus;
  /** The state value the run is in (JSON), for inspect without restoring. */
  stateValue: unknown;
  /** XState persisted snapshot (never holds a secret: context refers to config keys). */
  snapshot: unknown;
  startedAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
  /** Why the run stopped (redacted), when failed/degraded/interrupted. */
  error: string | null;
  /** sequence number of the last checkpoint written for this run */
  seq: number;
}

/** 'reset': not a step attempt but an operator's `gigi-boot reset --from STEP` (detail says which). */
export type StepOutcome = 'ok' | 'error' | 'interrupted' | 'skipped' | 'reset';

/** Left on a run by `gigi-boot reset --from STEP`: the next boot starts a fresh run. */
export interface ResetMark {
  /** The step the operator asked to re-run from. */
  from: string;
  /** ISO time of the reset. */
  at: string;
  /** `--reason TEXT`: why the operator reset (known secrets scrubbed); null when none given. */
  reason: string | null;
}

/** One row per step attempt; append-only. */
export interface JournalEntry {
  runId: string;
  step: string;
  attempt: number;
  startedAt: Date;
  finishedAt: Date;
  durationMs: number;
  outcome: StepOutcome;
  /** Redacted error message, null on success. */
  error: string | null;
  /** Small JSON detail (e.g. "created" vs "already existed"), never secrets. */
  detail: Record<string, unknown> | null;
}

export interface Checkpoint {
  runId: string;
  status: RunStatus;
  stateValue: unknown;
  snapshot: unknown;
  error?: string | null;
  /** Journal rows finished by this transition, written in the same transaction. */
  journal: JournalEntry[];
}

export interface ConfigRow {
  key: string;
  value: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface LockHolder {
  pid: number | null;
  applicationName: string | null;
  clientAddr: string | null;
  backendStart: Date | null;
}

/** A boot that had to wait for the volume's boot lock, recorded against the run it waited for. */
export interface LockWait {
  volumeId: string;
  /** The volume's latest run when the lock was granted (what the holder did); null if none. */
  runId: string | null;
  waiterHost: string;
  waiterPid: number;
  /** Who held the lock, as the lock reported it (application name or lock-file label). */
  holder: string | null;
  startedAt: Date;
  waitedMs: number;
  /** What the waiter then did: its start plan (warm, resume, fresh, runner). */
  then: string;
}

export interface BootLockOptions {
  timeoutMs: number;
  onWait?: (holder: LockHolder | null) => void;
  /**
   * Postgres: how long the held lock's heartbeat may go unanswered before the lock counts as
   * lost (default 30 s: long enough for a loaded server, short against a silent network).
   */
  heartbeatTimeoutMs?: number;
}

export interface BootLock {
  /**
   * Aborts (reason: a StoreError) if the lock is lost while held — its Postgres session ended —
   * so the boot holding it can stop. Never aborts for the embedded store's lock file.
   */
  readonly lost: AbortSignal;
  release(): Promise<void>;
}

/** What Store.readStartFacts reads. */
export interface StartFacts {
  database: DatabaseBinding;
  /** Every migration this gigi-boot knows is applied: migrate() would do nothing. */
  schemaCurrent: boolean;
  latestRun: RunRecord | null;
  config: Map<string, ConfigRow>;
}

/** The database's half of the volume ↔ database binding (table gigi_boot_database). */
export interface DatabaseBinding {
  /** The random id gigi-boot gave this database; null before the first boot (or migration). */
  databaseId: string | null;
  /** The volume this database belongs to; null until a boot claims it. */
  volumeId: string | null;
  /** The volume of the latest run in this database when it has no owner (an older gigi-boot kept none). */
  lastRunVolumeId: string | null;
}

export interface Store {
  /** 'postgres' or 'pglite', for logs and inspect. */
  readonly kind: 'postgres' | 'pglite';
  /** Apply pending schema migrations (idempotent, serialised with an advisory lock). */
  migrate(): Promise<void>;
  /**
   * Take the per-volume boot lock (a session advisory lock on a dedicated connection held
   * until release()). Calls onWait once with the holder if it must wait; throws
   * LockTimeoutError after timeoutMs.
   */
  acquireBootLock(volumeId: string, options: BootLockOptions): Promise<BootLock>;

  startRun(run: {
    volumeId: string;
    machineId: string;
    machineVersion: string;
    fingerprint: string;
  }): Promise<RunRecord>;
  /** Latest run of this volume, whatever its status. */
  latestRun(volumeId: string): Promise<RunRecord | null>;
  listRuns(volumeId: string, limit?: number): Promise<RunRecord[]>;
  /** Status, state, snapshot and journal rows in one transaction; also NOTIFY gigi_boot_progress. */
  saveCheckpoint(checkpoint: Checkpoint): Promise<void>;
  appendJournal(entries: JournalEntry[]): Promise<void>;
  /**
   * Record an operator's reset on a run: merge `resetFrom` into its snapshot (status, state and
   * timestamps untouched) and append the journal row, in one transaction; also NOTIFY.
   */
  markReset(runId: string, mark: ResetMark, entry: JournalEntry): Promise<void>;
  journal(runId: string): Promise<JournalEntry[]>;
  /** Record a boot that waited for the boot lock (only then: a warm start without a wait writes nothing). */
  recordLockWait(wait: LockWait): Promise<void>;
  /** The recorded lock waits of a volume, oldest first. */
  lockWaits(volumeId: string): Promise<LockWait[]>;

  /** Read-only, also before migrate(): which database this is and which volume it belongs to. */
  readDatabaseBinding(): Promise<DatabaseBinding>;
  /**
   * Read-only, also before migrate(): what a start of a volume that has its id reads before it
   * decides (the binding, whether the schema is current, the volume's latest run, the config
   * table), in one round trip. null: a database without gigi-boot's tables (never migrated).
   */
  readStartFacts(volumeId: string): Promise<StartFacts | null>;
  /** This database's id, created on first use (after migrate()). */
  ensureDatabaseId(): Promise<string>;
  /**
   * Make this database belong to the volume unless it already belongs to another (replace: even
   * then, for `gigi-boot reset --database`); returns the volume it belongs to afterwards.
   */
  claimDatabase(volumeId: string, options?: { replace?: boolean }): Promise<string>;

  /** The app's `config` table (key text primary key, value text, created_at, updated_at). */
  readConfig(): Promise<Map<string, ConfigRow>>;
  getConfigValue(key: string): Promise<string | undefined>;
  /** Upsert all entries in one transaction, parameterised. */
  writeConfig(entries: Record<string, string>): Promise<void>;

  /**
   * Call listener with the run id of every committed checkpoint (LISTEN gigi_boot_progress).
   * Resolves once listening; the returned function stops it. onLost is called once if the
   * listening session ends (Postgres restarted): call onProgress again to go on listening.
   */
  onProgress(
    listener: (runId: string) => void,
    onLost?: (error: Error) => void,
  ): Promise<() => Promise<void>>;

  close(): Promise<void>;
}
