// The temporary Gitea's lifecycle with real processes: start (returning once its own socket
// listens), graceful stop (idempotent, recorded by the simulator), cleanup of a leftover from a
// crashed boot, no orphan when gigi-boot is SIGKILLed, a stale pidfile that names another
// Gitea, a port someone else holds, and early-exit errors with the log tail.
import { execa } from 'execa';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GiteaClient, waitForApi } from '../../src/gitea/api.ts';
import { ensureAppIni } from '../../src/gitea/app-ini.ts';
import { listenersOn, socketInodesOf } from '../../src/gitea/listeners.ts';
import {
  isOurGiteaWeb,
  startTemporaryGitea,
  stopTemporaryGitea,
  temporaryGiteaLiveness,
} from '../../src/gitea/process.ts';
import { VersionSchema } from '../../src/gitea/schemas.ts';
import {
  isBootError,
  type BootError,
  type GiteaApiError,
  type GiteaPortInUseError,
  type GiteaProcessError,
} from '../../src/errors.ts';
import { startSimulator } from '../gitea-sim/harness.ts';
import { readWebRuns } from '../gitea-sim/web-runs.ts';
import { freePort } from '../support/postgres.ts';
import { RUN_USER, startTestGitea, type TestGitea } from './helpers.ts';

let gitea: TestGitea;

beforeAll(async () => {
  gitea = await startTestGitea();
});

afterAll(async () => {
  await gitea?.stop();
});

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

async function bootFailure(promise: Promise<unknown>): Promise<BootError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isBootError(error)).toBe(true);
  return error as BootError;
}

function pidOf(pidFile: string): number {
  return Number(readFileSync(pidFile, 'utf8').trim());
}

/** How each simulated `gitea web` of the test Gitea ended, by pid. */
function stopOf(pid: number): string | null | undefined {
  return readWebRuns(join(gitea.workDir, 'data', 'gitea.db')).find((r) => r.pid === pid)?.stoppedBy;
}

function startOptions(extra: Partial<Parameters<typeof startTemporaryGitea>[0]> = {}) {
  return {
    bin: gitea.bin,
    configPath: gitea.configPath,
    workDir: gitea.workDir,
    runAs: gitea.runAs,
    pidFile: gitea.pidFile,
    logFile: gitea.logFile,
    port: gitea.port,
    ...extra,
  };
}

async function restart(): Promise<number> {
  await startTemporaryGitea(startOptions());
  await waitForApi({
    baseUrl: gitea.baseUrl,
    timeoutMs: 60_000,
    checkAlive: temporaryGiteaLiveness(gitea.pidFile, gitea.logFile),
  });
  return pidOf(gitea.pidFile);
}

const stop = (graceMs = 10_000) =>
  stopTemporaryGitea({ pidFile: gitea.pidFile, configPath: gitea.configPath, graceMs });

describe('temporary gitea process', () => {
  it('runs gitea web as the run user, answering the API, tracked by its pidfile', async () => {
    const pid = pidOf(gitea.pidFile);
    expect(isOurGiteaWeb(pid, gitea.configPath)).toBe(true);
    const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    expect(Number(uid)).toBe(gitea.runAs.uid);
    const version = await new GiteaClient({ baseUrl: gitea.baseUrl }).get('/version', VersionSchema);
    expect(version.version).toMatch(/\d/);
  });

  it('returns only once its own socket listens on the port (no fixed settle, no answer from elsewhere)', async () => {
    await stop();
    // Gitea initialises for a while before it binds: the start must wait for the bind itself.
    gitea.setFaults({ startupDelayMs: 1_500 });
    try {
      const started = await startTemporaryGitea(startOptions());
      const listeners = listenersOn(gitea.port, '127.0.0.1');
      expect(listeners).toHaveLength(1);
      const inodes = await socketInodesOf(started.pid);
      expect(inodes?.has(listeners[0]!.inode)).toBe(true);
      // The first request answers: nothing left to poll for.
      const version = await new GiteaClient({ baseUrl: gitea.baseUrl }).get('/version', VersionSchema);
      expect(version.version).toMatch(/\d/);
    } finally {
      gitea.setFaults({});
    }
  });

  it('stops it gracefully (TERM, handled by Gitea) and removes the pidfile; stopping again is a no-op', async () => {
    const pid = pidOf(gitea.pidFile);
    expect(await stop()).toEqual({ action: 'stopped', pid });
    expect(alive(pid)).toBe(false);
    expect(stopOf(pid)).toBe('SIGTERM');
    expect(existsSync(gitea.pidFile)).toBe(false);
    expect(await stop(1_000)).toEqual({ action: 'not-running', pid: undefined });
  });

  it('stops a gitea left running by a crashed boot (gracefully) before starting a new one', async () => {
    const first = await restart();
    const second = await restart(); // same pidfile: the first one is the "leftover"
    expect(second).not.toBe(first);
    await expect.poll(() => alive(first), { timeout: 10_000, interval: 50 }).toBe(false);
    expect(stopOf(first)).toBe('SIGTERM');
    expect(isOurGiteaWeb(second, gitea.configPath)).toBe(true);
  });

  it('never signals an unrelated process a stale pidfile names', async () => {
    await stop();
    const bystander = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      writeFileSync(gitea.pidFile, `${bystander.pid}\n`);
      expect(await stop(500)).toEqual({ action: 'not-running', pid: bystander.pid });
      expect(alive(bystander.pid!)).toBe(true);
      expect(existsSync(gitea.pidFile)).toBe(false);
    } finally {
      bystander.kill('SIGKILL');
    }
  });

  it('never stops another `gitea web` (another app.ini) that a stale pidfile names', async () => {
    await stop();
    const other = await startSimulator({ dir: join(gitea.root, 'operators-gitea'), port: await freePort() });
    try {
      expect(isOurGiteaWeb(other.pid, other.configPath)).toBe(true);
      expect(isOurGiteaWeb(other.pid, gitea.configPath)).toBe(false);
      writeFileSync(gitea.pidFile, `${other.pid}\n`);
      expect(await stop(500)).toEqual({ action: 'not-running', pid: other.pid });
      expect(alive(other.pid)).toBe(true);
      await other.waitReady();
    } finally {
      await other.stop();
    }
  });

  it('refuses to start when another Gitea holds the port, naming it, and starts nothing', async () => {
    await stop();
    const other = await startSimulator({ dir: join(gitea.root, 'squatting-gitea'), port: gitea.port });
    try {
      const error = (await bootFailure(startTemporaryGitea(startOptions()))) as GiteaPortInUseError;
      expect(error.name).toBe('GiteaPortInUseError');
      expect(error.domain).toBe('gitea-process');
      expect(error.transient).toBe(false);
      expect(error.port).toBe(gitea.port);
      expect(error.message).toContain(`127.0.0.1:${gitea.port}`);
      expect(error.message).toContain(`pid ${other.pid}`);
      expect(error.message).toContain(other.configPath);
      expect(error.hint).toMatch(/GITEA_HTTP_PORT/);
      expect(existsSync(gitea.pidFile)).toBe(false);
    } finally {
      await other.stop();
    }
  });

  it('names the process (not a timeout) when something else listens on the port', async () => {
    const squatter: Server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => squatter.listen(gitea.port, '127.0.0.1', resolve));
    try {
      const error = await bootFailure(startTemporaryGitea(startOptions({ readyTimeoutMs: 600_000 })));
      expect(error.name).toBe('GiteaPortInUseError');
      expect(error.message).toContain(`pid ${process.pid}`);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it('an IPv6-only listener on the port number does not stop it (the kernel lets both bind)', async () => {
    await stop();
    const v6only: Server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) =>
      v6only.listen({ port: gitea.port, host: '::', ipv6Only: true }, resolve),
    );
    try {
      const started = await startTemporaryGitea(startOptions());
      expect(isOurGiteaWeb(started.pid, gitea.configPath)).toBe(true);
      const version = await new GiteaClient({ baseUrl: gitea.baseUrl }).get('/version', VersionSchema);
      expect(version.version).toMatch(/\d/);
    } finally {
      await new Promise((resolve) => v6only.close(resolve));
    }
  });

  it('stops with gigi-boot when gigi-boot is SIGKILLed: gracefully (parent-death TERM), no orphan', async () => {
    const script = join(import.meta.dirname, 'fixtures', 'start-and-wait.ts');
    const child = execa('node', ['--import', 'tsx', script, JSON.stringify(startOptions())], {
      reject: false,
      buffer: { stdout: false, stderr: true },
      env: process.env,
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      void child.then((r) => reject(new Error(`fixture exited early: ${String(r.stderr)}`)));
    });
    expect(isOurGiteaWeb(pid, gitea.configPath)).toBe(true);
    child.kill('SIGKILL');
    await child;
    await expect.poll(() => alive(pid), { timeout: 10_000, interval: 50 }).toBe(false);
    expect(stopOf(pid)).toBe('SIGTERM');
    // The pidfile is left behind; the next stop/start treats it as stale.
    expect(await stop(500)).toEqual({ action: 'not-running', pid });
  });

  it('an aborted start (SIGTERM to gigi-boot) stops the starting Gitea gracefully', async () => {
    gitea.setFaults({ startupDelayMs: 60_000 });
    const controller = new AbortController();
    const starting = startTemporaryGitea(startOptions({ signal: controller.signal, stopGraceMs: 10_000 }));
    try {
      await expect.poll(() => existsSync(gitea.pidFile) && stopOf(pidOf(gitea.pidFile)) === null).toBe(true);
      const pid = pidOf(gitea.pidFile);
      controller.abort(new Error('received SIGTERM'));
      await expect(starting).rejects.toThrow('received SIGTERM');
      expect(alive(pid)).toBe(false);
      expect(stopOf(pid)).toBe('SIGTERM');
      expect(existsSync(gitea.pidFile)).toBe(false);
    } finally {
      gitea.setFaults({});
    }
  });

  it('fails at once with the log tail and a hint when gitea exits right away (RUN_USER mismatch)', async () => {
    const dir = join(gitea.root, 'mismatch');
    mkdirSync(dir, { recursive: true });
    const configPath = join(gitea.workDir, 'custom', 'conf', 'mismatch.ini');
    const port = await freePort();
    await ensureAppIni({
      path: configPath,
      httpPort: port,
      httpAddr: '127.0.0.1',
      dataDir: gitea.workDir,
      runUser: RUN_USER === 'nobody' ? 'daemon' : 'nobody',
      owner: { uid: gitea.runAs.uid, gid: gitea.runAs.gid },
      rootUrl: `http://127.0.0.1:${port}/`,
      secretKeyGenerator: () => 'k',
      // The bash entrypoint's built-in SSH server (a default ensureAppIni adds) makes Gitea skip
      // the RUN_USER check (§G.4): turn it off, as an operator may, to get the mismatch.
      giteaSettings: [
        {
          variable: 'GITEA__server__START_SSH_SERVER',
          section: 'server',
          key: 'START_SSH_SERVER',
          value: 'false',
          secret: false,
        },
      ],
    });
    const pidFile = join(dir, 'mismatch.pid');
    const error = (await bootFailure(
      startTemporaryGitea({
        ...startOptions({ configPath, pidFile, logFile: join(dir, 'mismatch.log'), port }),
        // Not a timeout: the exit itself is what ends the wait.
        readyTimeoutMs: 600_000,
      }),
    )) as GiteaProcessError;
    expect(error.domain).toBe('gitea-process');
    expect(error.exitCode).toBe(1);
    expect(error.message).toMatch(/exited \(exit code 1\)/);
    expect(error.outputTail).toMatch(/Expect user/);
    expect(error.hint).toMatch(/RUN_USER/);
    expect(existsSync(pidFile)).toBe(false);
  });

  it('names GITEA_BIN when the binary is missing', async () => {
    const error = (await bootFailure(
      startTemporaryGitea(
        startOptions({ bin: join(gitea.root, 'no-gitea-here'), pidFile: join(gitea.root, 'x.pid') }),
      ),
    )) as GiteaProcessError;
    expect(error.message).toContain(`GITEA_BIN=${join(gitea.root, 'no-gitea-here')}`);
    expect(error.transient).toBe(false);
    await restart();
  });
});

describe('waitForApi and the client', () => {
  it('gives up after the deadline with a hint naming GIGI_BOOT_GITEA_READY_TIMEOUT', async () => {
    const port = await freePort();
    const started = Date.now();
    const error = (await bootFailure(
      waitForApi({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 700 }),
    )) as GiteaApiError;
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(error.transient).toBe(false);
    expect(error.hint).toMatch(/GIGI_BOOT_GITEA_READY_TIMEOUT/);
    expect(error.message).toMatch(/ECONNREFUSED/);
  });

  it('stops waiting when the caller aborts', async () => {
    const port = await freePort();
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('boot cancelled')), 200);
    await expect(
      waitForApi({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 30_000, signal: controller.signal }),
    ).rejects.toThrow('boot cancelled');
  });

  it('rejects an answer that does not match the schema, and marks 5xx transient', async () => {
    const client = new GiteaClient({ baseUrl: gitea.baseUrl, timeoutMs: 5_000 });
    gitea.setFaults({ rules: [{ method: 'GET', path: '/api/v1/version', action: 'status', status: 200 }] });
    try {
      const shape = (await bootFailure(client.get('/version', VersionSchema))) as GiteaApiError;
      expect(shape.message).toMatch(/unexpected answer shape: version/);
      expect(shape.transient).toBe(false);
      expect(shape.status).toBe(200);
      gitea.setFaults({
        rules: [{ method: 'GET', path: '/api/v1/version', action: 'status', status: 503, message: 'busy' }],
      });
      const busy = (await bootFailure(client.get('/version', VersionSchema))) as GiteaApiError;
      expect(busy.status).toBe(503);
      expect(busy.transient).toBe(true);
      expect(busy.message).toContain('busy');
      gitea.setFaults({
        rules: [{ method: 'GET', path: '/api/v1/version', action: 'slow', delayMs: 2_000 }],
      });
      const slow = new GiteaClient({ baseUrl: gitea.baseUrl, timeoutMs: 300 });
      const timeout = (await bootFailure(slow.get('/version', VersionSchema))) as GiteaApiError;
      expect(timeout.transient).toBe(true);
      expect(timeout.hint).toMatch(/GIGI_BOOT_HTTP_TIMEOUT/);
    } finally {
      gitea.setFaults({});
    }
  });
});
