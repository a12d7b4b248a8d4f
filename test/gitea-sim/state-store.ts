// The simulator's "database": one JSON file at [database] PATH, replaced atomically
// (temp + rename) under a lock file, re-read on every access so separate processes (web and
// `admin user create`) see each other's writes at once, as with sqlite.
import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';

/**
 * What was asked of this Gitea, one line per process start (`web`, `cli …`) and per API request
 * (`api METHOD /path`), appended to `<[database] PATH>.calls`: tests count them (a boot that must
 * not touch Gitea makes none). Never secrets: no argv values, no query strings, no bodies.
 */
export function recordCall(dbPath: string, what: string): void {
  try {
    appendFileSync(`${dbPath}.calls`, `${what}\n`, { mode: 0o644 });
  } catch {
    // A read-only or missing data dir fails the request elsewhere; the log is only a witness.
  }
}

/** The calls recorded beside this database (none: no file). */
export function readCalls(dbPath: string): string[] {
  return existsSync(`${dbPath}.calls`)
    ? readFileSync(`${dbPath}.calls`, 'utf8').split('\n').filter(Boolean)
    : [];
}

export type UserType = 'individual' | 'organization' | 'bot';

export interface UserRow {
  id: number;
  name: string;
  lowerName: string;
  type: UserType;
  email: string;
  fullName: string;
  passwdHash: string;
  salt: string;
  isAdmin: boolean;
  isActive: boolean;
  prohibitLogin: boolean;
  mustChangePassword: boolean;
  restricted: boolean;
  visibility: 'public' | 'limited' | 'private';
  description: string;
  website: string;
  location: string;
  repoAdminChangeTeamAccess: boolean;
  createdUnix: number;
  lastLoginUnix: number;
  /** Set by the admin API (§L.2, §L.3); absent for users the CLI created. */
  loginName?: string;
}

export interface TokenRow {
  id: number;
  uid: number;
  name: string;
  tokenHash: string;
  tokenSalt: string;
  tokenLastEight: string;
  scope: string;
  createdUnix: number;
  updatedUnix: number;
}

export interface TeamRow {
  id: number;
  orgId: number;
  name: string;
  lowerName: string;
  description: string;
  permission: 'none' | 'read' | 'write' | 'admin' | 'owner';
  includesAllRepositories: boolean;
  canCreateOrgRepo: boolean;
}

export interface HookRow {
  id: number;
  isSystemWebhook: boolean;
  type: string;
  url: string;
  contentType: 'json' | 'form';
  secret: string; // kept so tests can check it; never returned by the API
  meta: Record<string, string>; // slack channel/username/icon_url/color
  events: string[];
  branchFilter: string;
  authorizationHeader: string;
  active: boolean;
  createdUnix: number;
  updatedUnix: number;
}

export interface DbState {
  schemaVersion: 1;
  seq: { user: number; token: number; team: number; hook: number };
  users: UserRow[];
  tokens: TokenRow[];
  teams: TeamRow[];
  teamMembers: { teamId: number; uid: number }[];
  orgMembers: { orgId: number; uid: number }[];
  hooks: HookRow[];
}

/** sqlite-driver-like errors, so the CLI can print `Command error: ...` as Gitea would. */
export class DbError extends Error {}

function emptyState(): DbState {
  return {
    schemaVersion: 1,
    seq: { user: 0, token: 0, team: 0, hook: 0 },
    users: [],
    tokens: [],
    teams: [],
    teamMembers: [],
    orgMembers: [],
    hooks: [],
  };
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export class StateStore {
  constructor(
    readonly path: string,
    private readonly busyTimeoutMs = 500,
  ) {}

  /** Is the schema there? (an empty or missing file is a database without tables) */
  hasSchema(): boolean {
    try {
      return statSync(this.path).size > 0;
    } catch {
      return false;
    }
  }

  /** What `gitea web` does on a fresh database: create parent dirs and the schema. */
  migrate(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    if (!this.hasSchema()) this.transaction(() => undefined, true);
  }

  /** Open like sqlite with mode=rwc: creates an empty file when missing. */
  open(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    if (!existsSync(this.path)) closeSync(openSync(this.path, 'a'));
  }

  /** Read the current state; `no such table` when the schema was never created. */
  read(table = 'user'): DbState {
    if (!this.hasSchema()) throw new DbError(`no such table: ${table}`);
    return JSON.parse(readFileSync(this.path, 'utf8')) as DbState;
  }

  private lock(): () => void {
    const lockPath = `${this.path}.lock`;
    const deadline = Date.now() + this.busyTimeoutMs;
    for (;;) {
      try {
        const fd = openSync(lockPath, 'wx');
        writeFileSync(fd, String(process.pid));
        closeSync(fd);
        return () => {
          try {
            unlinkSync(lockPath);
          } catch {
            /* already gone */
          }
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        try {
          if (Date.now() - statSync(lockPath).mtimeMs > 10_000) unlinkSync(lockPath); // stale
        } catch {
          /* raced with the holder */
        }
        if (Date.now() > deadline) throw new DbError('database is locked');
        sleepSync(5);
      }
    }
  }

  /** Read-modify-write under the lock; the write is a temp file renamed over the db. */
  transaction<T>(fn: (state: DbState) => T, create = false, table = 'user'): T {
    const unlock = this.lock();
    try {
      const state = create && !this.hasSchema() ? emptyState() : this.read(table);
      const result = fn(state);
      const tmp = `${this.path}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(state, null, 2));
      renameSync(tmp, this.path);
      return result;
    } finally {
      unlock();
    }
  }
}
