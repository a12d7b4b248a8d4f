// The network the seed's infrastructure expects (issue 10 item 2), as processes: a real boot
// against the Gitea simulator, then real supervisord on the rendered config. The temporary
// Gitea of the boot listens on 127.0.0.1 only; the supervised one on 0.0.0.0, so the prod
// Caddyfile's `/v2/* → gigi:3300` and the act_runner reach it from other hosts, or on
// GITEA_HTTP_ADDR=127.0.0.1 for an operator who keeps it inside (applied on a warm start too).
// GITEA__ settings are in app.ini, as Gitea reads it, and kept out of the programs' environment.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { supervisorPaths } from '../../src/supervisor/paths.ts';
import { iniGet, parseIni } from '../gitea-sim/ini.ts';
import { bootEnv, REPO_ROOT, runCli } from '../support/boot-process.ts';
import { testServerUrl } from '../support/env.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { waitFor } from '../support/wait.ts';

const exec = promisify(execFile);
const HAND_OFF = join(REPO_ROOT, 'test', 'support', 'aio-hand-off.ts');
const APP_NAME = 'Gigi #1; "the" `forge`';

let env: Record<string, string>;
let port: number;
let appIni: string;

/** An address of this host other than loopback: what another container or host connects to. */
function outsideAddress(): string {
  const found = Object.values(networkInterfaces())
    .flat()
    .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal);
  if (!found) throw new Error('this host has no non-loopback IPv4 address to test from');
  return found.address;
}

/** The local addresses a TCP socket listens on for `port` (kernel socket table, IPv4). */
function listeners(p: number): string[] {
  const hex = p.toString(16).toUpperCase().padStart(4, '0');
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[1]?.endsWith(`:${hex}`) && f[3] === '0A')
    .map((f) => {
      const ip = f[1]!.split(':')[0]!;
      return [3, 2, 1, 0].map((i) => parseInt(ip.slice(i * 2, i * 2 + 2), 16)).join('.');
    });
}

/** The environment of each process running `gitea web --config <this volume's app.ini>`. */
function giteaProcessEnvirons(): string[][] {
  const out: string[][] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const at = argv.indexOf('web');
      if (at === -1 || argv[at + 1] !== '--config' || argv[at + 2] !== appIni) continue;
      out.push(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0'));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

async function version(host: string): Promise<number> {
  const res = await fetch(`http://${host}:${port}/api/v1/version`, { signal: AbortSignal.timeout(5000) });
  await res.arrayBuffer();
  return res.status;
}

/** Start gigi-boot's real hand-off on the rendered config (supervisord), as `gigi-boot run` does. */
function handOff(extra: Record<string, string> = {}): { child: ChildProcess; output: () => string } {
  const outFile = join(env.GIGI_DATA_DIR!, `container-${Date.now()}.log`);
  const out = openSync(outFile, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', HAND_OFF], {
    cwd: REPO_ROOT,
    env: { ...env, ...extra },
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  return { child, output: () => readFileSync(outFile, 'utf8') };
}

async function stop(run: { child: ChildProcess }): Promise<void> {
  const exited = new Promise((resolve) => run.child.once('exit', resolve));
  run.child.kill('SIGTERM');
  await exited;
}

beforeAll(async () => {
  env = await bootEnv({
    databaseUrl: await createTestDatabase(testServerUrl(), 'listen'),
    extra: {
      // Gitea and the app only: no Chromium stack in this suite.
      CHROME_CDP_URL: 'http://127.0.0.1:9',
      GITEA____APP_NAME: APP_NAME,
      GITEA__ui__DEFAULT_THEME: 'gitea-auto',
    },
  });
  port = Number(env.GITEA_HTTP_PORT);
  appIni = join(env.GIGI_DATA_DIR!, 'gitea', 'custom', 'conf', 'app.ini');
  const boot = await runCli(['run', '--no-handoff'], env);
  expect(boot.code, boot.stdout + boot.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  await exec('supervisorctl', [
    '-c',
    supervisorPaths({ dataDir: env.GIGI_DATA_DIR! }).confFile,
    'shutdown',
  ]).catch(() => undefined);
  rmSync(env.GIGI_DATA_DIR!, { recursive: true, force: true });
});

describe('where Gitea listens', () => {
  it('the temporary Gitea of the boot listened on 127.0.0.1 only', () => {
    const log = readFileSync(join(env.GIGI_DATA_DIR!, 'gigi-boot', 'temporary-gitea.log'), 'utf8');
    expect(log).toContain(`Listen: http://127.0.0.1:${port}`);
    expect(log).not.toContain(`Listen: http://0.0.0.0:${port}`);
  });

  it("app.ini, as Gitea reads it, has the supervised address, the seed's settings and the GITEA__ ones", () => {
    const ini = parseIni(readFileSync(appIni, 'utf8'));
    expect(iniGet(ini, 'server', 'HTTP_ADDR')).toBe('0.0.0.0');
    expect(iniGet(ini, 'server', 'START_SSH_SERVER')).toBe('true');
    expect(iniGet(ini, 'server', 'SSH_LISTEN_PORT')).toBe('2222');
    expect(iniGet(ini, 'service', 'DISABLE_REGISTRATION')).toBe('true');
    expect(iniGet(ini, '', 'APP_NAME')).toBe(APP_NAME);
    expect(iniGet(ini, 'ui', 'DEFAULT_THEME')).toBe('gitea-auto');
  });

  it('the supervised Gitea listens on 0.0.0.0: its API answers on an address other hosts use', async () => {
    const run = handOff();
    try {
      const outside = outsideAddress();
      expect(
        await waitFor('the supervised Gitea on the outside address', async () => version(outside), {
          timeout: 60_000,
          interval: 200,
        }),
      ).toBe(200);
      expect(listeners(port)).toEqual(['0.0.0.0']);
      expect(await version('127.0.0.1')).toBe(200);
      // The app's environment carries no GITEA__ setting (they are app.ini's, and may be secrets).
      const environs = giteaProcessEnvirons();
      expect(environs.length).toBeGreaterThan(0);
      for (const environ of environs) {
        expect(environ).toContain(`GITEA_WORK_DIR=${join(env.GIGI_DATA_DIR!, 'gitea')}`);
        expect(environ.filter((v) => v.startsWith('GITEA__'))).toEqual([]);
      }
    } finally {
      await stop(run);
    }
  });

  it('GITEA_HTTP_ADDR=127.0.0.1 keeps it inside; a warm start applies it', async () => {
    env.GITEA_HTTP_ADDR = '127.0.0.1';
    const warm = await runCli(['run', '--no-handoff'], env);
    expect(warm.code, warm.stdout + warm.stderr).toBe(0);
    expect(warm.stdout).toContain('already initialised');
    expect(iniGet(parseIni(readFileSync(appIni, 'utf8')), 'server', 'HTTP_ADDR')).toBe('127.0.0.1');
    const run = handOff();
    try {
      expect(
        await waitFor('the supervised Gitea on loopback', async () => version('127.0.0.1'), {
          timeout: 60_000,
          interval: 200,
        }),
      ).toBe(200);
      expect(listeners(port)).toEqual(['127.0.0.1']);
      await expect(version(outsideAddress())).rejects.toThrow();
    } finally {
      await stop(run);
    }
  });
});
