// The node-postgres backend (DATABASE_URL set): a small pool for queries, and dedicated
// clients for the boot lock (a session advisory lock lives as long as its connection) and
// for LISTEN.
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { isErrorIn, LockTimeoutError, StoreError } from '../errors.ts';
import { databaseName, describeServer, redactDatabaseUrl, scrubPassword } from './database-url.ts';
import type { StoreBackend } from './sql-store.ts';
import { serializeQueries, type SerialQuery } from './serial-queries.ts';
import type { Queryable, SqlDatabase } from './sql.ts';
import type { BootLock, BootLockOptions, LockHolder } from './types.ts';

const CONNECT_TIMEOUT_MS = 10_000;
const LOCK_POLL_MS = 200;
/** How often a held boot lock's session is checked (and kept from being idle). */
const LOCK_HEARTBEAT_MS = 2_000;
/** A heartbeat unanswered this long means the session is gone (a silent network, a hung proxy). */
const LOCK_HEARTBEAT_TIMEOUT_MS = 30_000;
/** First int4 of every boot-lock key: 'gblk' in ASCII, so our locks are recognisable in pg_locks. */
export const BOOT_LOCK_NAMESPACE = 0x67626c6b;

const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'EPIPE',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up / shutting down)
  '53300', // too_many_connections
]);

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isTimeout(error: unknown): boolean {
  return /timeout/i.test(errorMessage(error));
}

function isTransient(error: unknown): boolean {
  const code = errorCode(error);
  if (code !== undefined && (TRANSIENT_CODES.has(code) || code.startsWith('08'))) return true;
  return isTimeout(error) || /Connection terminated/i.test(errorMessage(error));
}

/** Why: one clear message (server, redacted URL, cause, what to do) for every connection failure. */
export function connectionError(url: string, error: unknown): StoreError {
  const code = errorCode(error);
  const server = describeServer(url);
  const db = databaseName(url) ?? '(default)';
  let reason: string;
  let hint: string;
  switch (code) {
    case 'ECONNREFUSED':
      reason = 'connection refused (ECONNREFUSED): nothing is listening on that host and port';
      hint =
        'Start Postgres, or fix the host/port in DATABASE_URL; unset DATABASE_URL to use the embedded PGlite.';
      break;
    case 'ENOTFOUND':
      reason = `host not found (ENOTFOUND)`;
      hint = 'Fix the host name in DATABASE_URL (inside a container, use the service name, not localhost).';
      break;
    case 'EAI_AGAIN':
      reason = 'DNS lookup failed temporarily (EAI_AGAIN)';
      hint = 'Check the container network and the host name in DATABASE_URL.';
      break;
    case '28P01':
      reason = 'password authentication failed';
      hint = 'Fix the user name or password in DATABASE_URL.';
      break;
    case '28000':
      reason = `the server rejected the connection (${scrubPassword(errorMessage(error), url)})`;
      hint = "Allow this client in the server's pg_hba.conf, or use another user in DATABASE_URL.";
      break;
    case '3D000':
      reason = `database "${db}" does not exist`;
      hint = `Create it (e.g. \`createdb ${db}\`) or fix the database name in DATABASE_URL.`;
      break;
    case '57P03':
      reason = 'the server is starting up or shutting down';
      hint = 'Wait for Postgres to finish starting; gigi-boot retries this.';
      break;
    default:
      reason = isTimeout(error)
        ? `connection timed out after ${CONNECT_TIMEOUT_MS} ms`
        : `${scrubPassword(errorMessage(error), url)}${code ? ` (${code})` : ''}`;
      hint = 'Check that Postgres is running and reachable, and that DATABASE_URL is right.';
  }
  return new StoreError(
    `Cannot connect to Postgres at ${server} (DATABASE_URL=${redactDatabaseUrl(url)}): ${reason}`,
    { hint, transient: isTransient(error), cause: error },
  );
}

/** Why: advisory lock keys are two int4; derive a stable one from the volume id. */
export function bootLockKey(volumeId: string): [number, number] {
  const digest = createHash('sha256').update(volumeId).digest();
  return [BOOT_LOCK_NAMESPACE, digest.readUInt32BE(0) & 0x7fffffff];
}

function clientQueryable(client: pg.ClientBase): Queryable {
  return {
    query: async <R>(text: string, params: readonly unknown[] = []) =>
      (await client.query(text, params as unknown[])).rows as R[],
    exec: async (text: string) => {
      await client.query(text);
    },
  };
}

/**
 * Why: a pg.Client emits 'error' when its session ends (Postgres restarted: a FATAL 57P01, then
 * the socket's end), and an 'error' event nobody listens to kills the process. The pool's own
 * listener is off while a client is checked out, and a FATAL that arrives between two queries has
 * no query to go to. So every client this store makes — pooled, the lock's, LISTEN — listens
 * from birth to death; the failure reaches the caller through its query instead.
 */
class GuardedClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    this.on('error', () => undefined);
  }
}

/** How long a session waits for a free slot when the server is full (53300) before it fails. */
const SERVER_FULL_WAIT_MS = 30_000;

/**
 * Why: Postgres refuses a new session once max_connections are in use (53300), before any query
 * ran, so trying again is safe. Boots share one server (fifty boxes, each at most two sessions,
 * the pool's given back after a second idle): a slot frees within moments, so a boot that needs
 * a session again waits for one (bounded) instead of failing. Anything else is rethrown at once.
 */
async function whenServerHasRoom<T>(attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + SERVER_FULL_WAIT_MS;
  for (let delay = 25; ; delay = Math.min(1_000, delay * 2)) {
    try {
      return await attempt();
    } catch (error) {
      if (errorCode(error) !== '53300' || Date.now() + delay > deadline) throw error;
      await sleep(delay);
    }
  }
}

async function connectClient(url: string, applicationName: string): Promise<pg.Client> {
  try {
    return await whenServerHasRoom(async () => {
      const client = new GuardedClient({
        connectionString: url,
        application_name: applicationName,
        connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      });
      try {
        await client.connect();
        return client;
      } catch (error) {
        await client.end().catch(() => undefined);
        throw error;
      }
    });
  } catch (error) {
    throw connectionError(url, error);
  }
}

async function findHolder(query: SerialQuery, key: [number, number]): Promise<LockHolder | null> {
  const rows = (
    await query<{
      pid: number | null;
      application_name: string | null;
      client_addr: string | null;
      backend_start: Date | null;
    }>(
      `SELECT a.pid, a.application_name, a.client_addr::text AS client_addr, a.backend_start
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND l.classid::int8 = $1 AND l.objid::int8 = $2 AND l.objsubid = 2
       LIMIT 1`,
      key,
    )
  ).rows;
  const row = rows[0];
  if (!row) return null;
  return {
    pid: row.pid,
    applicationName: row.application_name,
    clientAddr: row.client_addr,
    backendStart: row.backend_start,
  };
}

function describeHolder(holder: LockHolder | null): string {
  if (holder === null) return 'another session (it released the lock or is not visible to this user)';
  const parts = [`backend pid ${holder.pid ?? '?'}`];
  if (holder.applicationName) parts.push(`application "${holder.applicationName}"`);
  if (holder.clientAddr) parts.push(`from ${holder.clientAddr}`);
  if (holder.backendStart) parts.push(`connected since ${holder.backendStart.toISOString()}`);
  return parts.join(', ');
}

/** The boot lock's own session (its application_name says whose it is, for pg_stat_activity). */
function connectLockSession(url: string): Promise<pg.Client> {
  return connectClient(url, `gigi-boot pid=${process.pid} host=${hostname()}`);
}

/** Why: the boot lock must die with its process, so it is a session lock on its own connection. */
async function acquireAdvisoryBootLock(
  url: string,
  volumeId: string,
  options: BootLockOptions,
  session: Promise<pg.Client> = connectLockSession(url),
): Promise<BootLock> {
  const key = bootLockKey(volumeId);
  const client = await session;
  // The heartbeat and release() share this session: one query at a time.
  const query = serializeQueries(client);
  const deadline = Date.now() + options.timeoutMs;
  let notified = false;
  let lastHolder: LockHolder | null = null;
  try {
    for (;;) {
      const { rows } = await query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock($1::int4, $2::int4) AS locked',
        key,
      );
      if (rows[0]?.locked) break;
      lastHolder = await findHolder(query, key);
      if (Date.now() >= deadline) {
        throw new LockTimeoutError(
          `Another boot of volume ${volumeId} still holds its lock after ${options.timeoutMs} ms: ${describeHolder(lastHolder)}`,
          {
            hint: 'Wait for that boot to finish or stop it (its lock is released when its process exits), or raise GIGI_BOOT_LOCK_TIMEOUT.',
            transient: true,
          },
        );
      }
      if (!notified) {
        notified = true;
        options.onWait?.(lastHolder);
      }
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(LOCK_POLL_MS, Math.max(1, deadline - Date.now()))),
      );
    }
  } catch (error) {
    await client.end().catch(() => undefined);
    if (isErrorIn(error, 'lock')) throw error;
    throw connectionError(url, error);
  }
  let released = false;
  const watch = watchLockSession(
    client,
    query,
    volumeId,
    () => released,
    options.heartbeatTimeoutMs ?? LOCK_HEARTBEAT_TIMEOUT_MS,
  );
  return {
    lost: watch.lost,
    release: async () => {
      if (released) return;
      released = true;
      watch.stop();
      try {
        // A lost session holds nothing any more (and cannot be queried).
        if (!watch.lost.aborted) await query('SELECT pg_advisory_unlock($1::int4, $2::int4)', key);
      } finally {
        // Ending the session releases the lock even if the unlock above failed.
        await client.end().catch(() => undefined);
      }
    },
  };
}

/**
 * Why: a session advisory lock lives exactly as long as its connection. If that connection drops
 * mid-boot (Postgres restarted, pg_terminate_backend, idle_session_timeout, a proxy closing it),
 * another container can take the lock while this boot goes on: both would initialise. So the
 * session is watched — its 'end'/'error' events and a heartbeat query, which also keeps it from
 * looking idle — and `lost` aborts the moment it is gone, for the boot to stop at a safe point.
 */
function watchLockSession(
  client: pg.Client,
  query: SerialQuery,
  volumeId: string,
  released: () => boolean,
  heartbeatTimeoutMs: number,
): { lost: AbortSignal; stop: () => void } {
  const controller = new AbortController();
  const lose = (cause: unknown) => {
    if (released() || controller.signal.aborted) return;
    clearInterval(heartbeat);
    controller.abort(
      new StoreError(
        `Lost the boot lock of volume ${volumeId}: its database session ended (${errorMessage(cause)}); another boot may take the volume, so this one stops`,
        {
          hint: 'The next gigi-boot run resumes from the last checkpoint. Check that Postgres stays up and that no idle_session_timeout or proxy closes idle sessions.',
          transient: true,
          cause,
        },
      ),
    );
  };
  // A session whose network went silent answers nothing and closes nothing: an unanswered
  // heartbeat counts as lost too.
  let beatStarted: number | undefined;
  const heartbeat = setInterval(() => {
    if (beatStarted !== undefined) {
      const waited = Date.now() - beatStarted;
      if (waited > heartbeatTimeoutMs)
        lose(new Error(`its heartbeat query has had no answer for ${waited} ms`));
      return;
    }
    beatStarted = Date.now();
    query('SELECT 1')
      .catch(lose)
      .finally(() => {
        beatStarted = undefined;
      });
  }, LOCK_HEARTBEAT_MS);
  heartbeat.unref();
  client.on('error', lose);
  client.on('end', () => lose(new Error('connection closed')));
  return {
    lost: controller.signal,
    stop: () => clearInterval(heartbeat),
  };
}

/**
 * Why: DATABASE_URL is set; fail fast with a clear message when the server can't be reached.
 * bootLock: connect the boot lock's session now, beside the pool's connection (a boot takes it
 * next); the first acquireBootLock uses it, close() ends it if none did.
 */
export async function openPostgresBackend(
  url: string,
  { bootLock = false }: { bootLock?: boolean } = {},
): Promise<StoreBackend> {
  const pool = new pg.Pool({
    connectionString: url,
    // One connection, plus the boot lock's own session: a boot holds at most two, so fifty
    // boxes fit in one Postgres's default max_connections. Checkpoints are serial anyway.
    max: 1,
    Client: GuardedClient,
    // …and that one only while in use: a boot waiting on Gitea gives it back after a second, so
    // fifty boots' lock sessions and busy connections fit in max_connections 100 together.
    idleTimeoutMillis: 1_000,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: `gigi-boot pid=${process.pid}`,
  });
  // An idle client losing its connection emits 'error' on the pool; the next query reconnects.
  pool.on('error', () => undefined);
  let lockSession = bootLock ? connectLockSession(url) : undefined;
  lockSession?.catch(() => undefined); // a failure is acquireBootLock's to report
  try {
    await whenServerHasRoom(() => pool.query('SELECT 1'));
  } catch (error) {
    await pool.end().catch(() => undefined);
    await lockSession?.then((client) => client.end()).catch(() => undefined);
    throw connectionError(url, error);
  }

  const held = new Set<BootLock>();
  const listeners = new Set<pg.Client>();
  const db: SqlDatabase = {
    // The pool gives its session back when idle: the next query may meet a full server.
    query: async <R>(text: string, params: readonly unknown[] = []) =>
      (await whenServerHasRoom(() => pool.query(text, params as unknown[]))).rows as R[],
    exec: async (text: string) => {
      await whenServerHasRoom(() => pool.query(text));
    },
    transaction: async <T>(fn: (tx: Queryable) => Promise<T>): Promise<T> => {
      const client = await whenServerHasRoom(() => pool.connect());
      let broken = false;
      // A checked-out client has no pool listener: without this one, the server ending its
      // session (a restart) mid-transaction would be an unhandled 'error' event — a crash. The
      // query in flight rejects on its own; the client is only marked for disposal.
      const onError = () => {
        broken = true;
      };
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const result = await fn(clientQueryable(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw error;
      } finally {
        client.removeListener('error', onError);
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };

  return {
    kind: 'postgres',
    where: `Postgres at ${describeServer(url)}, DATABASE_URL=${redactDatabaseUrl(url)}`,
    db,
    acquireBootLock: async (volumeId, options) => {
      const session = lockSession;
      lockSession = undefined;
      const lock = await acquireAdvisoryBootLock(url, volumeId, options, session);
      const tracked: BootLock = {
        lost: lock.lost,
        release: async () => {
          held.delete(tracked);
          await lock.release();
        },
      };
      held.add(tracked);
      return tracked;
    },
    listen: async (channel, listener, onLost) => {
      const client = await connectClient(url, `gigi-boot listen pid=${process.pid}`);
      let closing = false;
      // A LISTEN session that ends (Postgres restarted) hears nothing more: tell the caller once,
      // so it can listen again instead of waiting for notifications that never come.
      let reported = false;
      const lost = (cause: unknown) => {
        if (closing || reported) return;
        reported = true;
        onLost?.(connectionError(url, cause));
      };
      client.on('error', lost);
      client.on('end', () => lost(new Error('Connection terminated')));
      client.on('notification', (message) => {
        if (message.channel === channel) listener(message.payload ?? '');
      });
      try {
        await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      } catch (error) {
        closing = true;
        await client.end().catch(() => undefined);
        throw connectionError(url, error);
      }
      listeners.add(client);
      return async () => {
        closing = true;
        listeners.delete(client);
        await client.end().catch(() => undefined);
      };
    },
    describeFailure: (error) => ({
      reason: `${scrubPassword(errorMessage(error), url)}${errorCode(error) ? ` (${errorCode(error)})` : ''}`,
      transient: isTransient(error),
    }),
    close: async () => {
      await lockSession?.then((client) => client.end()).catch(() => undefined);
      lockSession = undefined;
      await Promise.all([...held].map((lock) => lock.release().catch(() => undefined)));
      await Promise.all([...listeners].map((client) => client.end().catch(() => undefined)));
      listeners.clear();
      await pool.end();
    },
  };
}
