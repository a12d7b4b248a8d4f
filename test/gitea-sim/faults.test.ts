// Fault injection (GITEA_SIM_FAULTS): startup delay, status/slow/die/refuse rules with `times`
// that survive restarts, live changes, CLI faults, and a genuinely held database lock.
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/postgres.ts';
import { ApiClient } from './api-client.ts';
import { createUserArgs, runGiteaCli, type RunningSimulator, startSimulator } from './harness.ts';
import { waitFor } from '../support/wait.ts';

const dirs: string[] = [];
const sims: RunningSimulator[] = [];

async function boot(
  faults?: Parameters<typeof startSimulator>[0]['faults'],
  waitReady = true,
): Promise<RunningSimulator> {
  const dir = mkdtempSync(join(tmpdir(), 'gitea-sim-faults-'));
  dirs.push(dir);
  const sim = await startSimulator({ dir, port: await freePort(), faults, waitReady });
  sims.push(sim);
  return sim;
}

async function createAdmin(sim: RunningSimulator): Promise<[string, string]> {
  const r = await runGiteaCli(
    createUserArgs('admin', 'admin@example.com', '--password', 'admin-pw', '--admin'),
    { configPath: sim.configPath },
  );
  expect(r.code, r.stderr).toBe(0);
  return ['admin', 'admin-pw'];
}

afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.stop('SIGKILL')));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('fault injection', () => {
  it('startupDelayMs: initialised but refusing connections until the delay is over', async () => {
    const sim = await boot({ startupDelayMs: 1500 }, false);
    await waitFor(
      'the ORM initialised line',
      () => sim.output().includes('ORM engine initialization successful!'),
      {
        timeout: 20_000,
        interval: 20,
      },
    );
    const started = Date.now();
    await expect(fetch(`${sim.url}/api/v1/version`)).rejects.toThrow();
    expect(sim.output()).not.toContain('Starting new Web server');
    await sim.waitReady();
    expect(Date.now() - started).toBeGreaterThan(1000);
    expect(sim.output()).toContain('Starting new Web server');
  });

  it('status rules answer with the given status `times` times, counted across restarts', async () => {
    const sim = await boot();
    const auth = { basic: await createAdmin(sim) };
    sim.setFaults({
      rules: [
        { method: 'POST', path: '/api/v1/orgs', action: 'status', status: 500, times: 1 },
        { path: '/api/v1/users/admin', action: 'status', status: 503, message: 'busy', times: 2 },
      ],
    });
    const api = new ApiClient(sim.url);
    const first = await api.request('POST', '/orgs/', { auth, json: { username: 'acme' } });
    expect(first.status).toBe(500);
    expect(first.body).toEqual({ message: '', url: `${sim.url}/api/swagger` });
    expect((await api.request('POST', '/orgs', { auth, json: { username: 'acme' } })).status).toBe(201);

    expect((await api.request('GET', '/users/admin')).status).toBe(503);
    expect(await sim.stop()).toBe(0);
    const again = await startSimulator({ dir: sim.dir, port: sim.port });
    sims.push(again);
    const res = await api.request('GET', '/users/admin');
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ message: 'busy' });
    expect((await api.request('GET', '/users/admin')).status).toBe(200);
  });

  it('slow rules delay the answer; rules can be changed while running', async () => {
    const sim = await boot();
    let t = Date.now();
    await fetch(`${sim.url}/api/v1/version`);
    expect(Date.now() - t).toBeLessThan(700);
    sim.setFaults({ rules: [{ method: 'GET', path: '/api/v1/version', action: 'slow', delayMs: 800 }] });
    t = Date.now();
    const res = await fetch(`${sim.url}/api/v1/version`);
    expect(res.status).toBe(200);
    expect(Date.now() - t).toBeGreaterThanOrEqual(790);
  });

  it('refuse destroys the socket; the server keeps running', async () => {
    const sim = await boot();
    sim.setFaults({ rules: [{ path: '/api/v1/user', action: 'refuse', times: 1 }] });
    await expect(fetch(`${sim.url}/api/v1/user`)).rejects.toThrow();
    expect((await fetch(`${sim.url}/api/v1/user`)).status).toBe(401);
  });

  it('die makes the process exit abruptly with code 1', async () => {
    const sim = await boot();
    sim.setFaults({ rules: [{ method: 'POST', path: '/api/v1/orgs', action: 'die' }] });
    await expect(
      fetch(`${sim.url}/api/v1/orgs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      }),
    ).rejects.toThrow();
    expect((await sim.exited).code).toBe(1);
  });

  it('cliFaults make `admin user create` fail like a locked database, `times` times', async () => {
    const sim = await boot({
      cliFaults: [{ command: 'admin user create', message: 'CreateUser: database is locked', times: 1 }],
    });
    const args = createUserArgs('admin', 'a@example.com', '--password', 'p');
    const failed = await runGiteaCli(args, { configPath: sim.configPath });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toBe('Command error: CreateUser: database is locked\n');
    expect((await runGiteaCli(args, { configPath: sim.configPath })).code).toBe(0);
  });

  it('a database lock held longer than SQLITE_TIMEOUT fails the CLI with "database is locked"', async () => {
    const sim = await boot();
    const lock = `${sim.statePath}.lock`;
    writeFileSync(lock, 'held by the test');
    const r = await runGiteaCli(
      ['admin', 'user', 'create', '--username', 'x', '--email', 'x@example.com', '--password', 'p'],
      {
        configPath: sim.configPath,
      },
    );
    unlinkSync(lock);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Command error: CreateUser: database is locked\n');
  });
});
