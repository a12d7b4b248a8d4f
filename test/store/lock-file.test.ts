import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tryLockFile, waitForLockFile } from '../../src/store/lock-file.ts';

function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

function ownerJson(pid: number, host = hostname()): string {
  return JSON.stringify({
    pid,
    hostname: host,
    startTime: null,
    acquiredAt: new Date().toISOString(),
    label: `gigi-boot pid=${pid} host=${host}`,
  });
}

describe('lock files (PGlite directory and boot locks)', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gigi-boot-lockfile-'));
    path = join(dir, 'test.lock');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is exclusive while held and records pid and host', async () => {
    const first = await tryLockFile(path);
    expect('handle' in first).toBe(true);
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({
      pid: process.pid,
      hostname: hostname(),
    });
    const second = await tryLockFile(path);
    expect(second).toEqual({ holder: expect.objectContaining({ pid: process.pid }) });
    if ('handle' in first) await first.handle.release();
    const third = await tryLockFile(path);
    expect('handle' in third).toBe(true);
    if ('handle' in third) await third.handle.release();
  });

  it('takes over a lock left by a dead process on this host', async () => {
    await writeFile(path, ownerJson(deadPid()));
    const result = await tryLockFile(path);
    expect('handle' in result).toBe(true);
    if ('handle' in result) await result.handle.release();
  });

  it('takes over a lock naming our own pid that this process does not hold (pid reused after a restart)', async () => {
    await writeFile(path, ownerJson(process.pid));
    const result = await tryLockFile(path);
    expect('handle' in result).toBe(true);
    if ('handle' in result) await result.handle.release();
  });

  it('respects a live process on this host', async () => {
    await writeFile(path, ownerJson(process.ppid));
    const waited: unknown[] = [];
    const result = await waitForLockFile(path, { timeoutMs: 300, onWait: (holder) => waited.push(holder) });
    expect(result).toEqual({ timedOutHolder: expect.objectContaining({ pid: process.ppid }) });
    expect(waited).toHaveLength(1);
  });

  it('respects another host while its heartbeat is fresh, and takes over once it stops', async () => {
    await writeFile(path, ownerJson(1, 'some-other-container'));
    expect(await tryLockFile(path)).toEqual({
      holder: expect.objectContaining({ hostname: 'some-other-container' }),
    });
    const old = new Date(Date.now() - 60_000);
    await utimes(path, old, old);
    const result = await tryLockFile(path);
    expect('handle' in result).toBe(true);
    if ('handle' in result) await result.handle.release();
  });
});
