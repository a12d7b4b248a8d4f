// A volume the bash entrypoint booted (aio-plan.md Task 3), made by running its own init steps
// (fixtures/seed-entrypoint-init.sh) against the simulator as the `gigi` user, then booted by the
// real `gigi-boot run`: nothing is lost or hidden — the same Gitea database and users, the
// repositories' files untouched, the seed's app.ini keys kept, the admin's password unchanged,
// gigi's token still the app's — the default webhook to the app replaced by one system webhook,
// the config table updated in place, the adoption in the journal and in `inspect`.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startSimulator } from '../gitea-sim/harness.ts';
import { iniGet, parseIni } from '../gitea-sim/ini.ts';
import type { DbState } from '../gitea-sim/state-store.ts';
import { bootEnv, processesUsing, REPO_ROOT, runCli, SIMULATOR_BIN } from '../support/boot-process.ts';
import { testServerUrl } from '../support/env.ts';
import { basic, readConfigTable } from '../support/gitea-state.ts';
import { createTestDatabase, freePort } from '../support/postgres.ts';

const SEED_INIT = join(REPO_ROOT, 'test', 'e2e', 'fixtures', 'seed-entrypoint-init.sh');
const HOOK_URL = 'http://localhost:3000/webhook/gitea';
/** Keys gigi-boot owns (src/gitea/app-ini.ts ownedSettings): the only seed keys it may change. */
const OWNED = new Set(['server.HTTP_PORT', 'server.ROOT_URL', 'database.PATH', 'security.INSTALL_LOCK']);
const KILL_STEPS: string[] = [
  'writeAppIni',
  'createUsers',
  'createTokens',
  'registerWebhook',
  'persistConfig',
];

interface SeedVolume {
  env: Record<string, string>;
  dataDir: string;
  databaseUrl: string;
  seedAppIni: string;
  /** The seed's config table as it wrote it. */
  seedConfig: Record<string, string>;
}

/** Run the bash entrypoint's init on a fresh volume, with DATABASE_URL as the seed had it. */
async function seedVolume(name: string, options: { stopAfter?: 'users' } = {}): Promise<SeedVolume> {
  const databaseUrl = await createTestDatabase(testServerUrl(), name);
  const env = await bootEnv({ databaseUrl, extra: { ADMIN_USER: 'mauro', ORG_NAME: 'gigi-org' } });
  const dataDir = env.GIGI_DATA_DIR!;
  const templates = mkdtempSync(join(tmpdir(), 'seed-templates-'));
  const seedPort = await freePort();
  const run = spawnSync('bash', [SEED_INIT], {
    env: {
      PATH: process.env.PATH,
      DATA: dataDir,
      GITEA: SIMULATOR_BIN,
      PORT: String(seedPort),
      HOOK_URL,
      TEMPLATES_SRC: templates,
      DATABASE_URL: databaseUrl,
      ...(options.stopAfter ? { SEED_STOP_AFTER: options.stopAfter } : {}),
    },
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect(run.status, run.stdout + run.stderr).toBe(0);
  // A repository's files, as Gitea keeps them under the data path (the simulator keeps none).
  const repo = join(dataDir, 'gitea', 'data', 'gitea-repositories', 'mauro', 'notes.git');
  mkdirSync(repo, { recursive: true });
  writeFileSync(join(repo, 'HEAD'), 'ref: refs/heads/main\n');
  chownSync(
    join(dataDir, 'gitea', 'data', 'gitea-repositories'),
    Number(spawnSync('id', ['-u', 'gigi'], { encoding: 'utf8' }).stdout.trim()),
    -1,
  );
  const seedAppIni = readFileSync(join(dataDir, 'gitea', 'conf', 'app.ini'), 'utf8');
  // A seed that died before its last section wrote no config table at all.
  const seedConfig = await readConfigTable(databaseUrl).catch((error: Error) => {
    if (/relation "config" does not exist/.test(error.message)) return {};
    throw error;
  });
  return { env, dataDir, databaseUrl, seedAppIni, seedConfig };
}

function giteaDb(dataDir: string): DbState {
  return JSON.parse(readFileSync(join(dataDir, 'gitea', 'gitea.db'), 'utf8')) as DbState;
}

/** Start the adopted volume's Gitea again (another port) and ask it with these credentials. */
async function withGitea<T>(dataDir: string, fn: (url: string) => Promise<T>): Promise<T> {
  const appIni = readFileSync(join(dataDir, 'gitea', 'conf', 'app.ini'), 'utf8');
  const port = await freePort();
  const sim = await startSimulator({
    dir: join(dataDir, 'verify'),
    port,
    appIni: appIni
      .replace(/^HTTP_ADDR\s*=.*$/m, 'HTTP_ADDR = 127.0.0.1')
      .replace(/^HTTP_PORT\s*=.*$/m, `HTTP_PORT = ${port}`)
      .replace(/^START_SSH_SERVER\s*=.*$/m, 'START_SSH_SERVER = false'),
  });
  try {
    return await fn(sim.url);
  } finally {
    await sim.stop();
  }
}

async function status(url: string, path: string, auth: string): Promise<number> {
  return (await fetch(`${url}/api/v1${path}`, { headers: { authorization: auth } })).status;
}

/** What a finished adoption must show, however it got there. */
async function expectAdopted(volume: SeedVolume, before: DbState, opts: { seedToken: boolean }) {
  const { dataDir, databaseUrl } = volume;
  const db = giteaDb(dataDir);
  // Same Gitea database: every account the seed made is still there, with the same id.
  for (const user of before.users)
    expect(db.users.find((u) => u.name === user.name)).toMatchObject({ id: user.id, isAdmin: user.isAdmin });
  // Nothing moved: the repository's files and the seed's paths are where they were.
  expect(
    readFileSync(join(dataDir, 'gitea', 'data', 'gitea-repositories', 'mauro', 'notes.git', 'HEAD'), 'utf8'),
  ).toBe('ref: refs/heads/main\n');
  const appIni = readFileSync(join(dataDir, 'gitea', 'conf', 'app.ini'), 'utf8');
  expect(appIni).toMatch(new RegExp(`^PATH\\s*=\\s*${join(dataDir, 'gitea', 'gitea.db')}$`, 'm'));
  expect(appIni).toMatch(/^DEFAULT_THEME\s*=\s*gitea-dark$/m);
  // The key Gitea used all along (none was set: its built-in one), written down as Gitea reads
  // it, so what it encrypted stays readable; every other seed key is as the seed wrote it.
  const ini = parseIni(appIni);
  expect(iniGet(ini, 'security', 'SECRET_KEY')).toBe('!#@FDEWREWR&*(');
  const seedIni = parseIni(volume.seedAppIni);
  for (const section of seedIni.sections)
    for (const { kind, key } of section.lines)
      if (kind === 'key' && key !== undefined && !OWNED.has(`${section.name}.${key}`))
        expect(iniGet(ini, section.name, key), `${section.name}.${key}`).toBe(
          iniGet(seedIni, section.name, key),
        );
  expect(spawnSync('test', ['-e', join(dataDir, 'gitea', 'custom', 'conf', 'app.ini')]).status).toBe(1);

  // One system webhook to the app; the seed's default one is gone (never two deliveries).
  const toApp = db.hooks.filter((h) => h.url === HOOK_URL);
  expect(toApp.map((h) => h.isSystemWebhook)).toEqual([true]);

  const config = await readConfigTable(databaseUrl);
  expect(config.admin_user).toBe('mauro');
  expect(config.admin_password).toBeUndefined();
  expect(config.gitea_password).toBe('gigi-local-dev');
  expect(config.gitea_url).toMatch(/^http:\/\/localhost:\d+$/);
  if (opts.seedToken) {
    // The token the seed gave the app is kept, and the webhook secret the app already knows.
    expect(config.gitea_token).toBe(volume.seedConfig.gitea_token);
    expect(config.webhook_secret).toBe(volume.seedConfig.webhook_secret);
  }
  expect(toApp[0]!.secret).toBe(config.webhook_secret);

  await withGitea(dataDir, async (url) => {
    // The human admin's password is the seed's, unchanged.
    expect(await status(url, '/user', basic('mauro', 'admin'))).toBe(200);
    expect(await status(url, '/user', basic('gigi', 'gigi-local-dev'))).toBe(200);
    const me = await fetch(`${url}/api/v1/user`, {
      headers: { authorization: `token ${config.gitea_token}` },
    });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { login: string }).login).toBe('gigi');
    expect(await status(url, '/orgs/gigi-org', `token ${config.gitea_token}`)).toBe(200);
  });

  // The adoption is in the journal, as inspect shows it.
  const inspect = await runCli(['inspect', '--json'], volume.env);
  expect(inspect.code, inspect.stderr).toBe(0);
  const report = JSON.parse(inspect.stdout) as {
    run: { status: string };
    journal: Array<{ step: string; detail?: { outcome?: string } }>;
    adoption: string | null;
  };
  expect(report.run.status).toBe('completed');
  const modes = report.journal.find((r) => r.step === 'detectModes' && r.detail?.outcome);
  expect(modes?.detail?.outcome).toMatch(/volume:bash-entrypoint\((marker|no-marker)\)/);
  expect(report.adoption).toMatch(
    /^a volume the bash entrypoint booted \(its init (done|unfinished: no \.aio-init-done)\), kept in its layout: gitea\/conf\/app\.ini, gitea\/gitea\.db$/,
  );
  const text = await runCli(['inspect'], volume.env);
  expect(text.stdout).toContain(`Adopted: ${report.adoption}`);
  expect(processesUsing(dataDir)).toEqual([]);
  return { config, db };
}

describe('a volume the bash entrypoint booted', () => {
  it('is adopted in place: same users, repository, token and admin password; one system webhook; config updated; adoption in inspect', async () => {
    const volume = await seedVolume('adopt');
    const before = giteaDb(volume.dataDir);
    expect(before.hooks.filter((h) => h.url === HOOK_URL).map((h) => h.isSystemWebhook)).toEqual([false]);

    // Every gitea command line gigi-boot runs is logged by the simulator (the seed's own are not).
    const argvLog = join(mkdtempSync(join(tmpdir(), 'adopt-argv-')), 'argv.jsonl');
    writeFileSync(argvLog, '');
    chmodSync(argvLog, 0o666);
    chmodSync(dirname(argvLog), 0o755);
    const result = await runCli(['run', '--no-handoff'], { ...volume.env, GITEA_SIM_ARGV_LOG: argvLog });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('adopting a volume the bash entrypoint booted (init done)');
    // No secret of the seed is printed.
    for (const secret of [
      'gigi-local-dev',
      volume.seedConfig.gitea_token!,
      volume.seedConfig.webhook_secret!,
    ])
      expect(result.stdout + result.stderr).not.toContain(secret);
    const { config } = await expectAdopted(volume, before, { seedToken: true });

    // The admin was reached through a CLI-minted token, and no secret was on a command line.
    const argvs = readFileSync(argvLog, 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { argv: string[] }).argv);
    expect(
      argvs.some((a) => a.includes('generate-access-token') && a[a.indexOf('--username') + 1] === 'mauro'),
    ).toBe(true);
    expect(config.gigi_boot_admin_token).toMatch(/^[0-9a-f]{40}$/);
    const secrets = [
      config.gigi_boot_admin_token!,
      config.gitea_token!,
      'gigi-local-dev',
      config.webhook_secret!,
    ];
    for (const argv of argvs) {
      for (const secret of secrets) expect(argv.join(' ')).not.toContain(secret);
      expect(argv).not.toContain('--password');
    }
    expect(result.stdout + result.stderr).not.toContain(config.gigi_boot_admin_token);

    // A second boot changes nothing.
    const again = await runCli(['run', '--no-handoff'], volume.env);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    await expectAdopted(volume, before, { seedToken: true });
  }, 240_000);

  it('a half-done seed init (accounts made, then the container died: no marker, no token, no config) is adopted too', async () => {
    const volume = await seedVolume('adopthalf', { stopAfter: 'users' });
    expect(volume.seedConfig).toEqual({});
    const before = giteaDb(volume.dataDir);
    expect(before.users.map((u) => u.name).sort()).toEqual(['gigi', 'mauro']);

    const result = await runCli(['run', '--no-handoff'], volume.env);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain(
      'adopting a volume the bash entrypoint booted (init unfinished (no .aio-init-done))',
    );
    await expectAdopted(volume, before, { seedToken: false });
  }, 240_000);

  it.for(KILL_STEPS)(
    'killed (SIGKILL) at %s mid-adoption, the next run resumes and ends the same',
    { timeout: 240_000 },
    async (step) => {
      const volume = await seedVolume(`adoptkill${step.toLowerCase()}`);
      const before = giteaDb(volume.dataDir);
      const crashed = await runCli(['run', '--no-handoff'], {
        ...volume.env,
        GIGI_BOOT_FAILPOINTS: `${step}=crash`,
      });
      expect(crashed.signal, crashed.stdout + crashed.stderr).toBe('SIGKILL');
      await expect.poll(() => processesUsing(volume.dataDir), { timeout: 20_000 }).toEqual([]);
      const rerun = await runCli(['run', '--no-handoff'], volume.env);
      expect(rerun.code, rerun.stdout + rerun.stderr).toBe(0);
      await expectAdopted(volume, before, { seedToken: true });
    },
  );
});
