// Which engine we talk to, and how each way of not reaching it is reported: a missing socket, a
// stale socket nobody listens on, a socket the user may not open, a refused tcp port — each
// through the same path ensureRunnerImage takes, against real sockets and the real engine.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createDockerClient,
  DEFAULT_DOCKER_SOCKET,
  type DockerEndpoint,
  pingDocker,
  resolveDockerEndpoint,
} from '../../src/docker/client.ts';
import { ensureRunnerImage } from '../../src/docker/runner-image.ts';
import { ConfigError } from '../../src/errors.ts';
import { freePort } from '../support/postgres.ts';
import { GITEA_TEST_USER } from '../support/system-users.ts';
import { cleanupContexts, docker, endpoint, makeContext, requireEngine } from './helpers.ts';
import { rejection } from './rejection.ts';

const dirs: string[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((r) => server.close(r));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  await cleanupContexts();
});
beforeAll(requireEngine);

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gigi-docker-sock-'));
  dirs.push(dir);
  return dir;
}

describe('resolveDockerEndpoint', () => {
  it('prefers the socket path setting, then DOCKER_HOST, then the default socket', () => {
    expect(resolveDockerEndpoint({})).toEqual({ kind: 'unix', socketPath: DEFAULT_DOCKER_SOCKET });
    expect(resolveDockerEndpoint({ dockerHost: '' })).toEqual({
      kind: 'unix',
      socketPath: DEFAULT_DOCKER_SOCKET,
    });
    expect(resolveDockerEndpoint({ dockerHost: 'unix:///run/dind/docker.sock' })).toEqual({
      kind: 'unix',
      socketPath: '/run/dind/docker.sock',
    });
    expect(resolveDockerEndpoint({ socketPath: '/a.sock', dockerHost: 'unix:///b.sock' })).toEqual({
      kind: 'unix',
      socketPath: '/a.sock',
    });
    expect(resolveDockerEndpoint({ dockerHost: 'tcp://dind:2375' })).toEqual({
      kind: 'tcp',
      host: 'dind',
      port: 2375,
    });
    expect(resolveDockerEndpoint({ dockerHost: 'tcp://10.0.0.5' })).toEqual({
      kind: 'tcp',
      host: '10.0.0.5',
      port: 2375,
    });
    expect(resolveDockerEndpoint({ dockerHost: 'tcp://[::1]:2376' })).toEqual({
      kind: 'tcp',
      host: '::1',
      port: 2376,
    });
  });

  it('rejects what it cannot use with a ConfigError naming the setting and the accepted forms', () => {
    const cases: [Parameters<typeof resolveDockerEndpoint>[0], RegExp][] = [
      [
        { dockerHost: 'ssh://me@host' },
        /DOCKER_HOST "ssh:\/\/me@host" is not supported: use unix:\/\/\/path/,
      ],
      [{ dockerHost: 'npipe:////./pipe/docker_engine' }, /is not supported/],
      [{ dockerHost: 'unix://relative.sock' }, /must name an absolute socket path/],
      [{ dockerHost: 'tcp://host:2375/path' }, /tcp:\/\/host:port with nothing after the port/],
      [{ socketPath: 'docker.sock' }, /Docker socket path "docker.sock" must be an absolute path/],
    ];
    for (const [input, message] of cases) {
      let caught: unknown;
      try {
        resolveDockerEndpoint(input);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ConfigError);
      expect((caught as ConfigError).message).toMatch(message);
    }
  });
});

describe('reaching the engine', () => {
  it('pings the real engine', async () => {
    const info = await pingDocker(docker, endpoint);
    expect(info.serverVersion).toMatch(/^\d+\.\d+/);
    expect(info.apiVersion).toMatch(/^1\.\d+$/);
  });

  it('reports a socket path with nothing there as no-socket, naming the path and the fix', async () => {
    const missing: DockerEndpoint = { kind: 'unix', socketPath: join(tempDir(), 'docker.sock') };
    const error = await rejection(pingDocker(await createDockerClient(missing), missing));
    expect(error.reason).toBe('no-socket');
    expect(error.transient).toBe(true);
    expect(error.message).toContain(missing.socketPath);
    expect(error.hint).toMatch(/DOCKER_HOST/);

    // The same through ensureRunnerImage, which is what the boot step calls.
    const ctx = makeContext();
    const viaEnsure = await rejection(
      ensureRunnerImage({ docker: await createDockerClient(missing), contextDir: ctx.dir, image: ctx.image }),
    );
    expect(viaEnsure.reason).toBe('no-socket');
    expect(viaEnsure.message).toContain(missing.socketPath);
  });

  it('reports a stale socket (the daemon died, the file stayed) as daemon-down', async () => {
    const socketPath = join(tempDir(), 'docker.sock');
    // A process that listens and is SIGKILLed leaves its socket file behind, like a crashed dockerd.
    const child = spawn(process.execPath, [
      '-e',
      `require('net').createServer().listen(${JSON.stringify(socketPath)}, () => console.log('up'))`,
    ]);
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(existsSync(socketPath)).toBe(true);

    const stale: DockerEndpoint = { kind: 'unix', socketPath };
    const error = await rejection(pingDocker(await createDockerClient(stale), stale));
    expect(error.reason).toBe('daemon-down');
    expect(error.message).toContain(`unix://${socketPath}`);
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.hint).toMatch(/Start the Docker daemon/);
  });

  it('reports a refused tcp:// DOCKER_HOST as daemon-down', async () => {
    const port = await freePort();
    const tcp = resolveDockerEndpoint({ dockerHost: `tcp://127.0.0.1:${port}` });
    const error = await rejection(pingDocker(await createDockerClient(tcp), tcp));
    expect(error.reason).toBe('daemon-down');
    expect(error.message).toContain(`tcp://127.0.0.1:${port}`);
  });

  it('reports a socket the user may not open as permission-denied (checked as the unprivileged user)', async () => {
    // Root may open any socket, so the check runs as the image's `gigi` user against a
    // root-owned 0600 socket in a directory that user can traverse.
    const dir = tempDir();
    chmodSync(dir, 0o755);
    const socketPath = join(dir, 'docker.sock');
    const server = createServer((c) => c.destroy());
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    chmodSync(socketPath, 0o600);

    const script = `
      import { createDockerClient, pingDocker } from ${JSON.stringify(join(process.cwd(), 'src/docker/client.ts'))};
      const endpoint = { kind: 'unix', socketPath: ${JSON.stringify(socketPath)} };
      try { await pingDocker(await createDockerClient(endpoint), endpoint); console.log(JSON.stringify({ ok: true })); }
      catch (e) { console.log(JSON.stringify({ reason: e.reason, message: e.message, hint: e.hint })); }`;
    const out = execFileSync(
      'setpriv',
      [
        `--reuid=${GITEA_TEST_USER}`,
        `--regid=${GITEA_TEST_USER}`,
        '--clear-groups',
        process.execPath,
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        script,
      ],
      { cwd: process.cwd(), env: { ...process.env, HOME: `/home/${GITEA_TEST_USER}` }, encoding: 'utf8' },
    );
    const result = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as {
      reason?: string;
      message?: string;
      hint?: string;
    };
    expect(result.reason).toBe('permission-denied');
    expect(result.message).toContain(socketPath);
    expect(result.message).toContain('EACCES');
    expect(result.hint).toMatch(/--group-add/);
  });
});
