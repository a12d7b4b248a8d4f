// waitForSocket: immediate when the socket is there, event-driven when a sidecar creates it late
// (also inside a directory that does not exist yet), bounded by the deadline, abortable.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitForSocket } from '../../src/docker/wait-for-socket.ts';
import { rejection } from './rejection.ts';

const dirs: string[] = [];
const servers: Server[] = [];
const timers: NodeJS.Timeout[] = [];
afterEach(async () => {
  for (const t of timers.splice(0)) clearTimeout(t);
  for (const server of servers.splice(0)) await new Promise((r) => server.close(r));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gigi-wait-sock-'));
  dirs.push(dir);
  return dir;
}

function listenAt(path: string): Promise<void> {
  const server = createServer((c) => c.destroy());
  servers.push(server);
  return new Promise((resolve) => server.listen(path, resolve));
}

function later(ms: number, fn: () => void): void {
  timers.push(setTimeout(fn, ms));
}

describe('waitForSocket', () => {
  it('resolves at once when the socket is already there', async () => {
    const path = join(tempDir(), 'docker.sock');
    await listenAt(path);
    const result = await waitForSocket(path, { deadlineMs: 10_000 });
    expect(result.appeared).toBe(false);
    expect(result.waitedMs).toBeLessThan(100);
  });

  it('resolves when a sidecar creates the socket after a delay, soon after it appears', async () => {
    const path = join(tempDir(), 'docker.sock');
    let createdAt = 0;
    later(400, () => {
      createdAt = performance.now();
      void listenAt(path);
    });
    const started = performance.now();
    const result = await waitForSocket(path, { deadlineMs: 10_000 });
    const resolvedAt = performance.now();
    expect(result.appeared).toBe(true);
    expect(createdAt).toBeGreaterThan(0);
    expect(result.waitedMs).toBeGreaterThanOrEqual(350);
    expect(resolvedAt - started).toBeLessThan(5_000);
    expect(resolvedAt - createdAt).toBeLessThan(1_000);
  });

  it('follows directories that are created later on the way down to the socket', async () => {
    const root = tempDir();
    const path = join(root, 'run', 'dind', 'docker.sock');
    later(200, () => mkdirSync(join(root, 'run')));
    later(400, () => mkdirSync(join(root, 'run', 'dind')));
    later(600, () => void listenAt(path));
    const result = await waitForSocket(path, { deadlineMs: 10_000 });
    expect(result.appeared).toBe(true);
    expect(result.waitedMs).toBeGreaterThanOrEqual(550);
  });

  it('ignores other files appearing beside it', async () => {
    const dir = tempDir();
    later(100, () => void listenAt(join(dir, 'other.sock')));
    const error = await rejection(waitForSocket(join(dir, 'docker.sock'), { deadlineMs: 600 }));
    expect(error.reason).toBe('no-socket');
  });

  it('gives up at the deadline with no-socket, naming the path, the wait and the setting to raise', async () => {
    const path = join(tempDir(), 'docker.sock');
    const started = performance.now();
    const error = await rejection(waitForSocket(path, { deadlineMs: 500 }));
    const elapsed = performance.now() - started;
    expect(error.reason).toBe('no-socket');
    expect(error.message).toBe(`No Docker socket at ${path} (waited 0.5s for it to appear)`);
    expect(error.hint).toMatch(/socket wait deadline/);
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(3_000);

    const immediate = await rejection(waitForSocket(path, { deadlineMs: 0 }));
    expect(immediate.reason).toBe('no-socket');
  });

  it('stops waiting when aborted, with reason aborted', async () => {
    const path = join(tempDir(), 'docker.sock');
    const controller = new AbortController();
    later(200, () => controller.abort());
    const started = performance.now();
    const error = await rejection(waitForSocket(path, { deadlineMs: 30_000, signal: controller.signal }));
    expect(error.reason).toBe('aborted');
    expect(performance.now() - started).toBeLessThan(2_000);

    const already = await rejection(waitForSocket(path, { deadlineMs: 30_000, signal: AbortSignal.abort() }));
    expect(already.reason).toBe('aborted');
  });
});
