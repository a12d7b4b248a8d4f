// connectDocker end to end: a "sidecar" socket that appears late in front of the real engine is
// waited for and then used; a socket that never appears is no-socket; the shipped
// runner-worker context is a valid, stable context.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectDocker } from '../../src/docker/connect.ts';
import { readBuildContext } from '../../src/docker/context.ts';
import { ensureRunnerImage } from '../../src/docker/runner-image.ts';
import { type DockerError, isBootError } from '../../src/errors.ts';
import { cleanupContexts, endpoint, makeContext, requireEngine } from './helpers.ts';

const dirs: string[] = [];
const servers: Server[] = [];
const sockets = new Set<Socket>();
let timer: NodeJS.Timeout | undefined;
afterEach(async () => {
  clearTimeout(timer);
  for (const s of sockets) s.destroy();
  sockets.clear();
  for (const server of servers.splice(0)) await new Promise((r) => server.close(r));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  await cleanupContexts();
});
beforeAll(requireEngine);

/** A unix socket that forwards every connection to the real engine, like a DinD sidecar's socket. */
function proxyToEngine(path: string): Promise<void> {
  if (endpoint.kind !== 'unix') throw new Error('the proxy needs the test engine on a unix socket');
  const target = endpoint.socketPath;
  const server = createServer((client) => {
    const upstream = connect(target);
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  servers.push(server);
  return new Promise((resolve) => server.listen(path, resolve));
}

describe('connectDocker', () => {
  it('waits for a socket that appears late, then talks to the engine through it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gigi-dind-'));
    dirs.push(dir);
    const socketPath = join(dir, 'docker.sock');
    timer = setTimeout(() => void proxyToEngine(socketPath), 500);

    const connection = await connectDocker({ dockerHost: `unix://${socketPath}`, socketWaitMs: 10_000 });
    expect(connection.endpoint).toEqual({ kind: 'unix', socketPath });
    expect(connection.socketWaitedMs).toBeGreaterThanOrEqual(450);
    expect(connection.info.serverVersion).toMatch(/^\d+\.\d+/);

    // And the image step works through the late socket.
    const ctx = makeContext();
    const result = await ensureRunnerImage({
      docker: connection.docker,
      endpoint: connection.endpoint,
      contextDir: ctx.dir,
      image: ctx.image,
    });
    expect(result.action).toBe('built');
  });

  it('reports no-socket when the socket does not appear before the deadline', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gigi-dind-'));
    dirs.push(dir);
    const error: unknown = await connectDocker({
      socketPath: join(dir, 'docker.sock'),
      socketWaitMs: 300,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isBootError(error) && (error as DockerError).reason).toBe('no-socket');
  });
});

describe('the shipped runner-worker context', () => {
  it('is a readable context whose Dockerfile starts from the Gitea runner image, with a stable hash', async () => {
    const dir = join(process.cwd(), 'runner-worker');
    const first = await readBuildContext(dir);
    expect(first.entries.map((e) => e.path)).toContain('Dockerfile');
    expect(readFileSync(join(dir, 'Dockerfile'), 'utf8')).toMatch(
      /^FROM docker\.gitea\.com\/runner-images:ubuntu-latest$/m,
    );
    expect((await readBuildContext(dir)).hash).toBe(first.hash);
  });
});
