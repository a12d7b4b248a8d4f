import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { isBootError, LockTimeoutError } from '../../src/errors.ts';
import { openStore } from '../../src/store/index.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import type { LockHolder } from '../../src/store/types.ts';
import { BACKENDS, type BackendHarness } from './backends.ts';

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
  let harness: BackendHarness;
  const stores: SqlStore[] = [];
  const children: ChildProcess[] = [];
  afterEach(async () => {
    await Promise.all(children.splice(0).map(kill));
    await Promise.all(stores.splice(0).map((store) => store.close()));
    await harness.cleanup();
  });

  it('makes a second acquirer wait, tells it who holds the lock, then times out', async () => {
    harness = await backend.create();
    const store = await harness.open();
    stores.push(store);
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
    const waiting = store.acquireBootLock(volumeId, { timeoutMs: 5000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await first.release();
    const second = await waiting;
    await second.release();
    await first.release(); // idempotent
  });

  it('is freed when the process holding it is SIGKILLed', async () => {
    harness = await backend.create();
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
      store = await harness.open();
      stores.push(store);
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
      store = await harness.open({ lockWaitMs: 5000 });
      stores.push(store);
      const lock = await store.acquireBootLock(volumeId, { timeoutMs: 0 });
      await lock.release();
      expect(await store.listRuns(volumeId)).toEqual([]);
    }
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
