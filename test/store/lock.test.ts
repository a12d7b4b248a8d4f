import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import pg from 'pg';
import { isBootError, LockTimeoutError, StoreError } from '../../src/errors.ts';
import { openStore } from '../../src/store/index.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import type { LockHolder } from '../../src/store/types.ts';
import { BACKENDS, useFreshBackend, type BackendHarness } from './backends.ts';

const FIXTURE = new URL('./fixtures/hold-boot-lock.ts', import.meta.url).pathname;

/** Start a real process holding the boot lock; resolves once it says "locked". */
async function spawnLockHolder(harness: BackendHarness, volumeId: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    env: {
      ...process.env,
      DATABASE_URL: harness.databaseUrl ?? '',
      GIGI_DATA_DIR: harness.dataDir,
      VOLUME_ID: volumeId,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`lock holder did not start:\n${output}`)), 30_000);
    child.stdout.on('data', () => {
      if (output.includes('locked')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`lock holder exited with ${code}:\n${output}`));
    });
  });
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

describe.each(BACKENDS)('boot lock ($name)', (backend) => {
  const children: ChildProcess[] = [];
  const fresh = useFreshBackend(backend, () => Promise.all(children.splice(0).map(kill)));

  it('makes a second acquirer wait, tells it who holds the lock, then times out', async () => {
    await fresh.create();
    const store = await fresh.open();
    await store.migrate();
    const volumeId = randomUUID();

    const first = await store.acquireBootLock(volumeId, { timeoutMs: 1000 });
    const holders: (LockHolder | null)[] = [];
    const started = Date.now();
    const error = await store
      .acquireBootLock(volumeId, { timeoutMs: 700, onWait: (holder) => holders.push(holder) })
      .catch((e: unknown) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(650);
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect(isBootError(error) && error.hint).toMatch(/GIGI_BOOT_LOCK_TIMEOUT/);
    expect((error as Error).message).toContain(volumeId);
    expect(holders).toHaveLength(1);
    expect(holders[0]!.applicationName).toContain(`pid=${process.pid}`);
    expect(holders[0]!.pid).toEqual(expect.any(Number));

    // A different volume is not blocked, and the lock is free again after release().
    const other = await store.acquireBootLock(randomUUID(), { timeoutMs: 0 });
    await other.release();
    const waitedOn: (LockHolder | null)[] = [];
    const waiting = store.acquireBootLock(volumeId, { timeoutMs: 5000, onWait: (h) => waitedOn.push(h) });
    await expect.poll(() => waitedOn.length).toBe(1); // it waits on the first holder, then...
    await first.release();
    const second = await waiting;
    await second.release();
    await first.release(); // idempotent
  });

  it('is freed when the process holding it is SIGKILLed', async () => {
    const harness = await fresh.create();
    if (backend.name === 'pglite') {
      // PGlite is single-process: the holder owns the whole database directory.
      const setup = await harness.open();
      await setup.migrate();
      await setup.close();
    }
    const volumeId = randomUUID();
    const child = await spawnLockHolder(harness, volumeId);
    children.push(child);

    let store: SqlStore;
    if (backend.name === 'postgres') {
      store = await fresh.open();
      const holders: (LockHolder | null)[] = [];
      const waiting = store.acquireBootLock(volumeId, { timeoutMs: 20_000, onWait: (h) => holders.push(h) });
      await expect.poll(() => holders.length, { timeout: 5000 }).toBe(1);
      expect(holders[0]!.applicationName).toContain(`pid=${child.pid}`);
      await kill(child);
      const lock = await waiting;
      await lock.release();
    } else {
      const error = await harness.open({ lockWaitMs: 300 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LockTimeoutError);
      expect((error as Error).message).toContain(`pid ${child.pid}`);
      expect((error as Error).message).toContain('pglite.lock');
      await kill(child);
      store = await fresh.open({ lockWaitMs: 5000 });
      const lock = await store.acquireBootLock(volumeId, { timeoutMs: 0 });
      await lock.release();
      expect(await store.listRuns(volumeId)).toEqual([]);
    }
  });
});

/** A TCP relay to Postgres that can stop passing bytes without closing anything. */
async function freezableProxy(databaseUrl: string) {
  const target = new URL(databaseUrl);
  const sockets = new Set<Socket>();
  let replies = 0;
  const server = createServer((inbound) => {
    const outbound = connect(Number(target.port || 5432), target.hostname);
    outbound.on('data', () => replies++);
    sockets.add(inbound).add(outbound);
    inbound.pipe(outbound).pipe(inbound);
    const drop = () => {
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on('error', drop);
    outbound.on('error', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as AddressInfo).port);
  return {
    url: url.toString(),
    /** How many chunks the server has sent back through the proxy. */
    replies: () => replies,
    freeze: () => {
      for (const socket of sockets) {
        socket.unpipe();
        socket.pause();
      }
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('boot lock lost (postgres)', () => {
  const postgres = BACKENDS.find((b) => b.name === 'postgres')!;
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function heldLock() {
    const harness = await postgres.create();
    cleanup.push(() => harness.cleanup());
    const store = await harness.open();
    cleanup.push(() => store.close());
    await store.migrate();
    const volumeId = randomUUID();
    const lock = await store.acquireBootLock(volumeId, { timeoutMs: 1000 });
    // The lock's own session, as another client sees it.
    const admin = new pg.Client({ connectionString: harness.databaseUrl });
    await admin.connect();
    cleanup.push(() => admin.end());
    const { rows } = await admin.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'gigi-boot pid=${process.pid} host=%' AND datname = current_database()`,
    );
    expect(rows).toHaveLength(1);
    return { store, lock, volumeId, admin, lockBackend: rows[0]!.pid };
  }

  it('aborts `lost` with a StoreError when its session is terminated, and the lock is free for another boot', async () => {
    const { store, lock, volumeId, admin, lockBackend } = await heldLock();
    expect(lock.lost.aborted).toBe(false);
    await admin.query('SELECT pg_terminate_backend($1)', [lockBackend]);
    await expect.poll(() => lock.lost.aborted, { timeout: 10_000 }).toBe(true);
    const reason: unknown = lock.lost.reason;
    expect(reason).toBeInstanceOf(StoreError);
    expect((reason as Error).message).toContain(`Lost the boot lock of volume ${volumeId}`);
    expect(isBootError(reason) && reason.hint).toMatch(/resumes from the last checkpoint/);
    // Another boot can now take it: the reason `lost` exists.
    const other = await store.acquireBootLock(volumeId, { timeoutMs: 0 });
    await other.release();
    await lock.release(); // still safe to call
  });

  it('notices a session whose network goes silent (no error, no close) through its heartbeat', async () => {
    const harness = await postgres.create();
    cleanup.push(() => harness.cleanup());
    const proxy = await freezableProxy(harness.databaseUrl!);
    cleanup.push(() => proxy.close());
    const store = await openStore({ databaseUrl: proxy.url, dataDir: harness.dataDir });
    cleanup.push(() => store.close().catch(() => undefined));
    await store.migrate();
    const volumeId = randomUUID();
    // A short heartbeat deadline for the test (30 s by default).
    const lock = await store.acquireBootLock(volumeId, { timeoutMs: 1000, heartbeatTimeoutMs: 5000 });
    // Heartbeats get answered: the pool is idle, so what the server sends now answers them.
    const acquired = proxy.replies();
    await expect.poll(() => proxy.replies(), { timeout: 10_000 }).toBeGreaterThan(acquired + 1);
    expect(lock.lost.aborted).toBe(false);
    proxy.freeze();
    await expect.poll(() => lock.lost.aborted, { timeout: 20_000, interval: 200 }).toBe(true);
    expect((lock.lost.reason as Error).message).toMatch(/heartbeat query has had no answer for \d+ ms/);
    await lock.release();
  });

  it('never aborts once released', async () => {
    const { lock } = await heldLock();
    await lock.release();
    // Not a synchronisation: a window past one heartbeat (2 s), in which an abort would show.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(lock.lost.aborted).toBe(false);
  });
});

describe('embedded database lock (pglite)', () => {
  it('lets a second opener in this process wait for close(), reporting the holder', async () => {
    const harness = await BACKENDS.find((b) => b.name === 'pglite')!.create();
    try {
      const first = await harness.open();
      const holders: (LockHolder | null)[] = [];
      const second = openStore({
        databaseUrl: undefined,
        dataDir: harness.dataDir,
        lockWaitMs: 20_000,
        onWait: (holder) => holders.push(holder),
      });
      await expect.poll(() => holders.length, { timeout: 5000 }).toBe(1);
      expect(holders[0]).toMatchObject({
        pid: process.pid,
        applicationName: expect.stringContaining('gigi-boot'),
      });
      await first.close();
      const store = await second;
      await store.migrate();
      await store.close();
    } finally {
      await harness.cleanup();
    }
  });
});
