// Postgres sessions that die under the store (a restart, pg_terminate_backend): every one of
// them must end as an error the caller handles, never as an unhandled 'error' event that kills
// the process. And one session is never sent a query while another runs (pg 8 warns, pg 9 drops
// the queue). Postgres only: PGlite runs in-process and has no session to lose.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.ts';
import { isBootError } from '../../src/errors.ts';
import { REPO_ROOT } from '../support/boot-process.ts';
import { testServerUrl } from '../support/env.ts';
import { createTestDatabase } from '../support/postgres.ts';
import pg from 'pg';

const STORE = new URL('../../src/store/index.ts', import.meta.url).pathname;
const WAIT = new URL('../support/wait.ts', import.meta.url).pathname;

/** Run a script in a process of its own: an unhandled 'error' event there is its exit code, not ours. */
function runScript(
  script: string,
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

/** Terminate, from another session, the backends whose application_name matches. */
const TERMINATE = `
import pg from 'pg';
export async function admin(sql, params) {
  const c = new pg.Client({ connectionString: process.env.DB });
  await c.connect();
  try { return (await c.query(sql, params)).rows; } finally { await c.end(); }
}`;

describe('Postgres sessions lost under the store', () => {
  it('a session terminated inside a checkpoint transaction rejects the transaction; the process lives on', async () => {
    const databaseUrl = await createTestDatabase(testServerUrl(), 'loss');
    const script = `${TERMINATE}
import { openStore } from ${JSON.stringify(STORE)};
import { waitFor } from ${JSON.stringify(WAIT)};
const store = await openStore({ databaseUrl: process.env.DB, dataDir: '/nonexistent' });
await store.migrate();
const error = await store.db.transaction(async (tx) => {
  const [{ pid }] = await tx.query('select pg_backend_pid() as pid');
  await admin('select pg_terminate_backend($1)', [pid]);
  // The session's end arrives while the client is checked out: its backend is gone.
  await waitFor('the terminated backend to exit', async () =>
    (await admin('select 1 from pg_stat_activity where pid = $1', [pid])).length === 0,
    { timeout: 10_000, interval: 20 });
  await tx.query('select 1');
}).then(() => 'no error', (e) => e.message);
console.log('transaction:', error);
// The pool goes on with a new session.
console.log('after:', JSON.stringify(await store.db.query('select 1 as ok')));
await store.close();`;
    const { code, output } = await runScript(script, { DB: databaseUrl });
    expect(output).not.toContain("Unhandled 'error' event");
    expect(code, output).toBe(0);
    expect(output).toMatch(/transaction: .*(terminat|connection error)/i);
    expect(output).toContain('after: [{"ok":1}]');
  });

  it("the boot lock's heartbeat and its release never overlap on the lock's session", async () => {
    const databaseUrl = await createTestDatabase(testServerUrl(), 'serial');
    // The lock session's backend is frozen (SIGSTOP) so that a heartbeat is in flight when
    // release() runs; then it is let go.
    const script = `${TERMINATE}
import { openStore } from ${JSON.stringify(STORE)};
process.on('warning', (w) => console.log('WARNING', w.name, w.message));
// pg 9 refuses client.query() while the client runs a query (pg 8 queues it): record every such call.
const original = pg.Client.prototype.query;
const running = new WeakMap();
// The heartbeat ('SELECT 1'): how many are in flight, and a promise for the next one sent.
let beatsInFlight = 0;
let beatSent = () => undefined;
pg.Client.prototype.query = function (...args) {
  if (args[0] === 'SELECT 1') {
    beatsInFlight++;
    beatSent();
  }
  const n = running.get(this) ?? 0;
  if (n > 0) console.log('OVERLAP', String(args[0]?.text ?? args[0]).slice(0, 50));
  running.set(this, n + 1);
  const beat = args[0] === 'SELECT 1';
  const settle = () => {
    running.set(this, (running.get(this) ?? 1) - 1);
    if (beat) beatsInFlight--;
  };
  const last = args.length - 1;
  if (typeof args[last] === 'function') {
    const callback = args[last];
    args[last] = (...r) => { settle(); callback(...r); };
    return original.apply(this, args);
  }
  const result = original.apply(this, args);
  result?.then?.(settle, settle);
  return result;
};
const store = await openStore({ databaseUrl: process.env.DB, dataDir: '/nonexistent' });
await store.migrate();
const lock = await store.acquireBootLock('vol-serial', { timeoutMs: 1000 });
const [{ pid }] = await admin("select pid from pg_stat_activity where application_name like $1", ['gigi-boot pid=' + process.pid + ' host=%']);
process.kill(pid, 'SIGSTOP');
// A heartbeat waits on the frozen backend: one already in flight, or the next one sent.
if (beatsInFlight === 0) await new Promise((resolve) => (beatSent = resolve));
const released = lock.release();
// Not a synchronisation: the window in which an overlapping query would be sent (and recorded).
await new Promise((r) => setTimeout(r, 200));
process.kill(pid, 'SIGCONT');
await released;
const held = await admin("select count(*)::int as n from pg_locks where locktype = 'advisory' and granted");
console.log('locks after release:', held[0].n);
await store.close();`;
    const { code, output } = await runScript(script, { DB: databaseUrl });
    expect(code, output).toBe(0);
    expect(output).not.toContain('WARNING');
    expect(output).not.toContain('OVERLAP');
    expect(output).toContain('locks after release: 0');
  });

  it('a LISTEN session that ends is reported, and listening again works', async () => {
    const databaseUrl = await createTestDatabase(testServerUrl(), 'listen');
    const store = await openStore({ databaseUrl, dataDir: '/nonexistent' });
    try {
      await store.migrate();
      let lost: unknown;
      const stop = await store.onProgress(
        () => undefined,
        (error) => (lost = error),
      );
      const admin = new pg.Client({ connectionString: databaseUrl });
      await admin.connect();
      try {
        await admin.query(
          "select pg_terminate_backend(pid) from pg_stat_activity where application_name like 'gigi-boot listen pid=%' and datname = current_database()",
        );
        await expect.poll(() => lost, { timeout: 10_000 }).toBeDefined();
        expect(isBootError(lost) && lost.domain).toBe('store');
        await stop();
        const heard: string[] = [];
        const again = await store.onProgress((runId) => heard.push(runId));
        await admin.query("select pg_notify('gigi_boot_progress', 'run-1')");
        await expect.poll(() => heard, { timeout: 10_000 }).toEqual(['run-1']);
        await again();
      } finally {
        await admin.end();
      }
    } finally {
      await store.close();
    }
  });
});
