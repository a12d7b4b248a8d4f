// The simulated `gitea` CLI: secrets, `admin user create` outputs and exit codes (CONTRACT §B),
// generate-access-token (§A.6), root refusal (§G.4), and the config/schema fatals.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './api-client.ts';
import { chownToGiteaUser, defaultAppIni, readCases, runGiteaCli, type RunningSimulator } from './harness.ts';
import { startScratchSimulator, stopScratchSimulator } from './scratch.ts';

const ROOT_MESSAGE =
  'Gitea is not supposed to be run as root. Sorry. If you need to use privileged TCP ports please instead use setcap and the `cap_net_bind_service` permission';
const FATAL_LINE = /^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2} \S+\.go:\d+:\w+\(\) \[F\] /m;

let dir: string;
let sim: RunningSimulator;
let api: ApiClient;

const create = (args: string[]) =>
  runGiteaCli(['admin', 'user', 'create', ...args], { configPath: sim.configPath });

beforeAll(async () => {
  ({ dir, sim, api } = await startScratchSimulator('gitea-sim-cli-'));
  const first = await create([
    '--username',
    'root-admin',
    '--email',
    'ra@example.com',
    '--password',
    'pw-12345678',
    '--admin',
  ]);
  expect(first.code, first.stderr).toBe(0);
});

afterAll(() => stopScratchSimulator({ dir, sim }));

describe('gitea generate secret', () => {
  it('prints each secret kind in Gitea’s format, with no newline when not a TTY', async () => {
    const key = await runGiteaCli(['generate', 'secret', 'SECRET_KEY'], { asRoot: true });
    expect(key.code).toBe(0);
    expect(key.stdout).toMatch(/^[a-zA-Z0-9]{64}$/);
    const jwt = await runGiteaCli(['generate', 'secret', 'JWT_SECRET']);
    expect(jwt.stdout).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(jwt.stdout, 'base64url')).toHaveLength(32);
    const lfs = await runGiteaCli(['generate', 'secret', 'LFS_JWT_SECRET']);
    expect(lfs.stdout).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const internal = await runGiteaCli(['generate', 'secret', 'INTERNAL_TOKEN']);
    const parts = internal.stdout.split('.');
    expect(parts).toHaveLength(3);
    expect(JSON.parse(Buffer.from(parts[0]!, 'base64url').toString())).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(Object.keys(JSON.parse(Buffer.from(parts[1]!, 'base64url').toString()))).toEqual(['nbf']);
  });

  it('rejects an unknown secret name with exit 1', async () => {
    const r = await runGiteaCli(['generate', 'secret', 'NOPE']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
  });
});

describe('process checks', () => {
  it('refuses to run as root, on stdout through the console logger, exit 1', async () => {
    const root = mkdtempSync(join(tmpdir(), 'gitea-sim-root-'));
    const cfg = join(root, 'app.ini');
    writeFileSync(cfg, defaultAppIni(root, 1).replace(/^RUN_USER = .*$/m, ''));
    for (const args of [
      ['web'],
      ['admin', 'user', 'create', '--username', 'x', '--email', 'x@y.z', '--password', 'p'],
    ]) {
      const r = await runGiteaCli(args, { configPath: cfg, asRoot: true });
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(FATAL_LINE);
      expect(r.stdout).toContain(ROOT_MESSAGE);
    }
    const unsafe = await runGiteaCli(
      ['admin', 'user', 'create', '--username', 'x', '--email', 'x@y.z', '--password', 'p'],
      {
        configPath: cfg,
        asRoot: true,
        env: { GITEA_I_AM_BEING_UNSAFE_RUNNING_AS_ROOT: 'true' },
      },
    );
    expect(unsafe.stdout).not.toContain(ROOT_MESSAGE);
    expect(unsafe.stderr).toBe('Command error: IsTableNotEmpty: no such table: user\n'); // web never ran here
    rmSync(root, { recursive: true, force: true });
  });

  it('insists on RUN_USER matching the current user', async () => {
    const other = mkdtempSync(join(tmpdir(), 'gitea-sim-runuser-'));
    writeFileSync(
      join(other, 'app.ini'),
      defaultAppIni(other, 1).replace(/^RUN_USER = .*$/m, 'RUN_USER = git'),
    );
    chownToGiteaUser(other);
    const r = await runGiteaCli(
      ['admin', 'user', 'create', '--username', 'x', '--email', 'x@y.z', '--password', 'p'],
      {
        configPath: join(other, 'app.ini'),
      },
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/\[F\] Expect user 'git' but current user is: \w+/);
    rmSync(other, { recursive: true, force: true });
  });

  it('dies with Gitea’s message when the config file is missing', async () => {
    const r = await runGiteaCli(
      ['admin', 'user', 'create', '--username', 'x', '--email', 'x@y.z', '--password', 'p'],
      {
        configPath: '/nonexistent/app.ini',
      },
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      'Unable to load config file for a installed Gitea instance, you should either use "--config" to set your config file (app.ini), or run "gitea web" command to install Gitea.',
    );
  });

  it('needs HOME', async () => {
    const r = await runGiteaCli(
      ['admin', 'user', 'create', '--username', 'x', '--email', 'x@y.z', '--password', 'p'],
      {
        configPath: sim.configPath,
        env: { HOME: undefined },
      },
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Failed to get home directory: cannot get home directory');
  });
});

describe('gitea admin user create', () => {
  // Each case: the flags given, and the command error Gitea 1.24 prints for them (CONTRACT §B).
  const cases = readCases<{ name: string; args: string[]; message: string }>('cli-create-errors.json');
  for (const { name, args, message } of cases) {
    it(`${name}: Command error on stderr, exit 1`, async () => {
      const r = await create(args);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`Command error: ${message}\n`);
      expect(r.stdout).not.toContain('has been successfully created');
    });
  }

  it('an unknown flag is a usage error with exit 1', async () => {
    const r = await create(['--username', 'z', '--email', 'z@example.com', '--password', 'p', '--bogus']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('flag provided but not defined: -bogus');
  });

  it('later users default to must-change-password: every API call is 403 (shape d)', async () => {
    const r = await create(['--username', 'later', '--email', 'later@example.com', '--password', 'later-pw']);
    expect(r.code).toBe(0);
    expect(sim.readState().users.find((u) => u.name === 'later')?.mustChangePassword).toBe(true);
    const res = await api.request('GET', '/version', { auth: { basic: ['later', 'later-pw'] } });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      message: `You must change your password. Change it at: ${sim.url}//user/change_password`,
    });
  });

  it('--access-token prints a working token after the success line; global flags work after the subcommand', async () => {
    const r = await runGiteaCli([
      'admin',
      'user',
      'create',
      '-c',
      sim.configPath,
      '--username',
      'tokened',
      '--email',
      'tok@example.com',
      '--password',
      'tok-pw',
      '--must-change-password=false',
      '--access-token',
      '--access-token-scopes',
      'read:user',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toContain("New user 'tokened' has been successfully created!");
    const token = /^Access token was successfully created\.\.\. ([0-9a-f]{40})$/m.exec(r.stdout)?.[1];
    expect(token).toBeDefined();
    const me = await api.request('GET', '/user', { auth: { token: token! } });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ login: 'tokened' });
  });

  it('--name is deprecated but works; bots have no password and are invisible to /users', async () => {
    const r = await create([
      '--name',
      'oldstyle',
      '--email',
      'old@example.com',
      '--password',
      'p',
      '--must-change-password=false',
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('--name flag is deprecated. Use --username instead.\n');
    const bot = await create(['--username', 'robo', '--email', 'robo@example.com', '--user-type', 'bot']);
    expect(bot.code, bot.stderr).toBe(0);
    const res = await api.request('GET', '/users/robo');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      message: 'user redirect does not exist [name: robo]',
      url: `${sim.url}/api/swagger`,
    });
  });
});

describe('gitea admin user generate-access-token', () => {
  it('creates a token (raw or with the prefix) and rejects duplicates and bad scopes', async () => {
    const gen = (args: string[]) =>
      runGiteaCli(['admin', 'user', 'generate-access-token', ...args], { configPath: sim.configPath });
    const raw = await gen(['-u', 'root-admin', '-t', 'cli-1', '--raw']);
    expect(raw.code).toBe(0);
    expect(raw.stdout).toMatch(/^[0-9a-f]{40}\n$/);
    const pretty = await gen(['--username', 'root-admin', '--token-name', 'cli-2', '--scopes', 'read:admin']);
    expect(pretty.stdout).toMatch(/^Access token was successfully created: [0-9a-f]{40}\n$/);
    const dup = await gen(['-u', 'root-admin', '-t', 'cli-1']);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toBe('Command error: access token name has been used already\n');
    const bad = await gen(['-u', 'root-admin', '-t', 'cli-3', '--scopes', 'read:everything']);
    expect(bad.stderr).toBe(
      'Command error: invalid access token scope provided: invalid access token scope: read:everything\n',
    );
    const pub = await gen(['-u', 'root-admin', '-t', 'cli-4', '--scopes', 'public-only']);
    expect(pub.stderr).toBe('Command error: access token does not have any permission\n');
    const hooks = await api.request('GET', '/admin/hooks', { auth: { token: raw.stdout.trim() } });
    expect(hooks.status).toBe(200);
  });

  it('answered every request within the OpenAPI subset and the contract’s error shapes', () => {
    expect(api.problems).toEqual([]);
  });
});
