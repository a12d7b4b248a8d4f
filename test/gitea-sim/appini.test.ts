// app.ini handling of `gitea web` (CONTRACT §G.1, §G.3, §G.5, §H): secret write-back and
// chmod, read-only configs, install mode, ROOT_URL normalisation, startup log, signals.
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/postgres.ts';
import { ApiClient } from './api-client.ts';
import {
  chownToGiteaUser,
  defaultAppIni,
  runGiteaCli,
  startSimulator,
  type RunningSimulator,
} from './harness.ts';
import { waitFor } from '../support/wait.ts';

const dirs: string[] = [];
const sims: RunningSimulator[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'gitea-sim-ini-'));
  dirs.push(d);
  return d;
}

/** A simulator (stopped after the test) on the default app.ini as `edit` changes it. */
async function simulatorOn(
  edit: (ini: string) => string,
  options: { waitReady?: boolean } = {},
): Promise<{ port: number; sim: RunningSimulator }> {
  const dir = tempDir();
  const port = await freePort();
  const sim = await startSimulator({ dir, port, appIni: edit(defaultAppIni(dir, port)), ...options });
  sims.push(sim);
  return { port, sim };
}

afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.stop('SIGKILL')));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('app.ini write-back', () => {
  it('writes INTERNAL_TOKEN, a valid JWT_SECRET and WORK_PATH, then tightens the mode to 0600', async () => {
    const dir = tempDir();
    const port = await freePort();
    const text = `# managed by a test\n${defaultAppIni(dir, port).replace(/^WORK_PATH = .*\n/m, '')}\n[oauth2]\nJWT_SECRET = ${'ab'.repeat(32)}\n`;
    const sim = await startSimulator({ dir, port, appIni: text });
    sims.push(sim);
    const saved = readFileSync(sim.configPath, 'utf8');
    expect(saved.startsWith('# managed by a test\n')).toBe(true);
    expect(saved).toMatch(/^INTERNAL_TOKEN = [\w-]+\.[\w-]+\.[\w-]+$/m);
    const jwt = /^JWT_SECRET = (.*)$/m.exec(saved)?.[1];
    expect(jwt).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(jwt).not.toBe('ab'.repeat(32));
    expect(saved).toMatch(new RegExp(`^WORK_PATH = ${dir}$`, 'm'));
    expect(saved).toMatch(/^HTTP_PORT = \d+$/m);

    await sim.stop();
    chmodSync(sim.configPath, 0o644);
    const again = await startSimulator({ dir, port });
    sims.push(again);
    expect(readFileSync(sim.configPath, 'utf8')).toBe(saved); // nothing left to write
    expect(statSync(sim.configPath).mode & 0o777).toBe(0o644);
  });

  it('chmods a loose config to 0600 when it has to write', async () => {
    const dir = tempDir();
    const port = await freePort();
    writeFileSync(join(dir, 'app.ini'), defaultAppIni(dir, port));
    chmodSync(join(dir, 'app.ini'), 0o664);
    const sim = await startSimulator({ dir, port });
    sims.push(sim);
    expect(statSync(sim.configPath).mode & 0o777).toBe(0o600);
  });

  it('is fatal when INTERNAL_TOKEN is missing and app.ini is not writable; fine once everything is set', async () => {
    const dir = tempDir();
    const port = await freePort();
    const cfg = join(dir, 'app.ini');
    writeFileSync(cfg, defaultAppIni(dir, port));
    chownToGiteaUser(dir);
    chownSync(cfg, 0, 0);
    chmodSync(cfg, 0o644);
    const web = await runGiteaCli(['web'], { configPath: cfg, env: { GITEA_WORK_DIR: dir } });
    expect(web.code).toBe(1);
    expect(web.stdout).toMatch(/\[F\] Error saving internal token: .*EACCES/);
    const cli = await runGiteaCli(
      ['admin', 'user', 'create', '--username', 'a', '--email', 'a@b.c', '--password', 'p'],
      {
        configPath: cfg,
      },
    );
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain('Error saving internal token');

    writeFileSync(
      cfg,
      `${defaultAppIni(dir, port)}\n[security]\nINTERNAL_TOKEN = preset-token\n\n[oauth2]\nJWT_SECRET = ${'A'.repeat(43)}\n`,
    );
    chmodSync(cfg, 0o444);
    const sim = await startSimulator({ dir, port });
    sims.push(sim);
    expect(statSync(cfg).mode & 0o777).toBe(0o444);
  });
});

describe('gitea web', () => {
  it('requires an absolute --work-path / GITEA_WORK_DIR', async () => {
    const flag = await runGiteaCli(['--work-path', 'relative/dir', 'web']);
    expect(flag.code).toBe(1);
    expect(flag.stdout).toContain('[F] --work-path must be absolute path');
    const env = await runGiteaCli(['web'], { env: { GITEA_WORK_DIR: 'relative' } });
    expect(env.code).toBe(1);
    expect(env.stdout).toContain('[F] GITEA_WORK_DIR (work path) must be absolute path');
  });

  it('finds <work>/custom/conf/app.ini when no --config is given', async () => {
    const dir = tempDir();
    const port = await freePort();
    mkdirSync(join(dir, 'custom', 'conf'), { recursive: true });
    writeFileSync(join(dir, 'custom', 'conf', 'app.ini'), defaultAppIni(dir, port));
    chownToGiteaUser(dir);
    const r = await runGiteaCli(
      ['admin', 'user', 'create', '--username', 'x', '--email', 'x@example.com', '--password', 'p'],
      {
        env: { GITEA_WORK_DIR: dir },
      },
    );
    expect(r.stderr).toBe('Command error: IsTableNotEmpty: no such table: user\n');
    expect(readFileSync(join(dir, 'custom', 'conf', 'app.ini'), 'utf8')).toContain('INTERNAL_TOKEN = ');
  });

  it('without INSTALL_LOCK serves only /api/healthz (install mode); the CLI refuses', async () => {
    const { sim } = await simulatorOn((ini) => ini.replace('INSTALL_LOCK = true', 'INSTALL_LOCK = false'), {
      waitReady: false,
    });
    const health = await waitFor('the simulator to listen', () => fetch(`${sim.url}/api/healthz`), {
      timeout: 10_000,
      interval: 50,
    });
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'pass', description: 'Gitea sim' });
    expect((await fetch(`${sim.url}/api/v1/version`)).status).toBe(404);
    expect(sim.output()).toContain('Prepare to run install page');
    expect(readFileSync(sim.configPath, 'utf8')).not.toContain('INTERNAL_TOKEN');
    const cli = await runGiteaCli(
      ['admin', 'user', 'create', '--username', 'a', '--email', 'a@b.c', '--password', 'p'],
      {
        configPath: sim.configPath,
      },
    );
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain('Unable to load config file for a installed Gitea instance');
  });

  it('logs Gitea’s startup lines, normalises ROOT_URL in error urls, and exits 0 on SIGINT', async () => {
    const { port, sim } = await simulatorOn((ini) =>
      ini.replace(/^ROOT_URL = .*$/m, 'ROOT_URL = http://git.example.com:80/sub//'),
    );
    expect(sim.output()).toMatch(
      new RegExp(
        `^\\d{4}/\\d\\d/\\d\\d \\d\\d:\\d\\d:\\d\\d \\S+ \\[I\\] Starting new Web server: tcp:127\\.0\\.0\\.1:${port} on PID: ${sim.pid}$`,
        'm',
      ),
    );
    expect(sim.output()).toContain('AppURL(ROOT_URL): http://git.example.com/sub/');
    const api = new ApiClient(sim.url);
    const res = await api.request('GET', '/user');
    expect(res.body).toEqual({ message: 'token is required', url: 'http://git.example.com/sub/api/swagger' });
    const health = await fetch(`${sim.url}/api/healthz`);
    const body = (await health.json()) as { status: string; checks: Record<string, { status: string }[]> };
    expect(health.status).toBe(200);
    expect(body.checks['database:ping']![0]!.status).toBe('pass');
    rmSync(sim.statePath);
    const failing = await fetch(`${sim.url}/api/healthz`);
    expect(failing.status).toBe(424);
    expect(await failing.json()).toMatchObject({ status: 'fail' });
    expect(await sim.stop('SIGINT')).toBe(0);
    expect(api.problems).toEqual([]);
  });
});
