// app.ini as the bash entrypoint's deployment expects it (issue 10 items 2 and 3): its settings
// where the operator has none, Gitea's own GITEA__ variables over the file, the listen address
// per phase, and values that go-ini would cut or unquote written so Gitea reads them back
// exactly. Read back with the simulator's independent go-ini reader (test/gitea-sim/ini.ts).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BOOT_HTTP_ADDR, writeGiteaAppIni } from '../../src/boot/gitea-app-ini.ts';
import { bootPaths } from '../../src/boot/paths.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import {
  ensureAppIni,
  isValidJwtSecret,
  ownedSettings,
  SEED_APP_INI_DEFAULTS,
  webhookAllowedHostFor,
  type EnsureAppIniOptions,
} from '../../src/gitea/app-ini.ts';
import { GIGI_BOOT_OWNED_INI_KEYS, type GiteaIniSetting } from '../../src/config/gitea-env.ts';
import { lazyRunAs } from '../../src/gitea/run-as.ts';
import { startSimulator } from '../gitea-sim/harness.ts';
import { iniGet, parseIni as parseLikeGitea } from '../gitea-sim/ini.ts';
import { freePort } from '../support/postgres.ts';
import { GITEA_TEST_USER } from '../support/system-users.ts';

const runUser = userInfo().uid === 0 ? GITEA_TEST_USER : userInfo().username;
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gigi-appini-seed-'));
  dirs.push(dir);
  return dir;
}

function options(dir: string, extra: Partial<EnsureAppIniOptions> = {}): EnsureAppIniOptions {
  return {
    path: join(dir, 'app.ini'),
    httpPort: 3300,
    dataDir: join(dir, 'gitea'),
    runUser,
    rootUrl: 'http://localhost:3300/',
    secretKeyGenerator: () => 'generated-secret',
    ...extra,
  };
}

const setting = (section: string, key: string, value: string): GiteaIniSetting => ({
  variable: `GITEA__${section}__${key}`,
  section,
  key,
  value,
  secret: false,
});

/** What Gitea reads from the file ensureAppIni wrote. */
function asGiteaReads(dir: string) {
  const ini = parseLikeGitea(readFileSync(join(dir, 'app.ini'), 'utf8'));
  return (section: string, key: string) => iniGet(ini, section, key);
}

describe("the bash entrypoint's app.ini settings", () => {
  it('are written into a new app.ini: SSH server on 2222, no registration, reverse-proxy sign-in, dark theme, webhooks to any host', async () => {
    const dir = tempDir();
    await ensureAppIni(options(dir));
    const read = asGiteaReads(dir);
    expect(read('server', 'START_SSH_SERVER')).toBe('true');
    expect(read('server', 'SSH_PORT')).toBe('2222');
    expect(read('server', 'SSH_LISTEN_PORT')).toBe('2222');
    expect(read('server', 'SSH_DOMAIN')).toBe('localhost');
    expect(read('server', 'BUILTIN_SSH_SERVER_USER')).toBe('git');
    expect(read('service', 'DISABLE_REGISTRATION')).toBe('true');
    expect(read('service', 'ENABLE_REVERSE_PROXY_AUTHENTICATION')).toBe('true');
    expect(read('service', 'ENABLE_REVERSE_PROXY_AUTO_REGISTRATION')).toBe('false');
    expect(read('ui', 'DEFAULT_THEME')).toBe('gitea-dark');
    expect(read('webhook', 'ALLOWED_HOST_LIST')).toBe('*');
    // The keys of the bash entrypoint's file that gigi-boot sets itself.
    expect(read('server', 'HTTP_PORT')).toBe('3300');
    expect(read('security', 'INSTALL_LOCK')).toBe('true');
    expect(read('database', 'DB_TYPE')).toBe('sqlite3');
  });

  it("never replace the operator's own values (only missing keys are added)", async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'app.ini'),
      [
        '[server]',
        'START_SSH_SERVER = false',
        'SSH_PORT = 22',
        '',
        '[service]',
        'DISABLE_REGISTRATION = false',
        '',
        '[ui]',
        'DEFAULT_THEME = gitea-light',
        '',
        '[webhook]',
        'ALLOWED_HOST_LIST = external',
        '',
      ].join('\n'),
    );
    const result = await ensureAppIni(options(dir));
    const read = asGiteaReads(dir);
    expect(read('server', 'START_SSH_SERVER')).toBe('false');
    expect(read('server', 'SSH_PORT')).toBe('22');
    expect(read('server', 'SSH_LISTEN_PORT')).toBe('2222');
    expect(read('service', 'DISABLE_REGISTRATION')).toBe('false');
    expect(read('ui', 'DEFAULT_THEME')).toBe('gitea-light');
    // Only the item the system webhook needs is added to the operator's list.
    expect(read('webhook', 'ALLOWED_HOST_LIST')).toBe('external,loopback');
    expect(result.changedKeys).not.toContain('server.START_SSH_SERVER');
    expect(result.changedKeys).toContain('server.SSH_LISTEN_PORT');
  });

  it('none of them is a key gigi-boot owns, and loadConfig refuses exactly the owned keys', () => {
    const owned = ownedSettings(options('/x')).map(([s, k]) => `${s}.${k}`);
    for (const [s, k] of SEED_APP_INI_DEFAULTS) expect(owned).not.toContain(`${s}.${k}`);
    // ROOT_URL is the one owned key an operator may replace (GITEA__server__ROOT_URL).
    expect(GIGI_BOOT_OWNED_INI_KEYS.map((o) => `${o.section}.${o.key}`).sort()).toEqual(
      owned.filter((k) => k !== 'server.ROOT_URL').sort(),
    );
  });
});

describe('GITEA__ settings in app.ini', () => {
  it("replace the file's and the seed's values, ROOT_URL included, and are applied again on every run", async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'app.ini'),
      '[ui]\nDEFAULT_THEME = gitea-light\n[server]\nROOT_URL = http://old/\n',
    );
    const giteaSettings = [
      setting('ui', 'DEFAULT_THEME', 'gitea-auto'),
      setting('server', 'ROOT_URL', 'https://prod.gigi.local/'),
      setting('log.console', 'STDERR', 'true'),
      setting('', 'APP_NAME', 'Gigi forge'),
    ];
    await ensureAppIni(options(dir, { giteaSettings }));
    let read = asGiteaReads(dir);
    expect(read('ui', 'DEFAULT_THEME')).toBe('gitea-auto');
    expect(read('server', 'ROOT_URL')).toBe('https://prod.gigi.local/');
    expect(read('log.console', 'STDERR')).toBe('true');
    expect(read('', 'APP_NAME')).toBe('Gigi forge');
    // An operator edits the file by hand; the next run applies the variables again, as
    // Gitea's images do on every start, and leaves everything else alone.
    const edited =
      readFileSync(join(dir, 'app.ini'), 'utf8').replace('gitea-auto', 'gitea-light') + '[x]\nY = z\n';
    writeFileSync(join(dir, 'app.ini'), edited);
    const again = await ensureAppIni(options(dir, { giteaSettings }));
    expect(again.changedKeys).toEqual(['ui.DEFAULT_THEME']);
    read = asGiteaReads(dir);
    expect(read('ui', 'DEFAULT_THEME')).toBe('gitea-auto');
    expect(read('x', 'Y')).toBe('z');
    expect(await ensureAppIni(options(dir, { giteaSettings }))).toEqual({
      action: 'unchanged',
      changedKeys: [],
    });
  });

  it('a value with #, ;, quotes, backticks and edge spaces round-trips through app.ini as Gitea reads it', async () => {
    const values = [
      'a#b;c',
      'pa;ss#word',
      '"quoted"',
      "'single'",
      '`ticks`',
      'a`b#c',
      '"mixed `all` #; \'kinds\'"',
      '  padded  ',
      '"""triple',
      'ends with """',
      'back\\slash\\',
      '"',
      '`',
      '#',
      '',
      'plain value with = and : inside',
      'smtp+starttls://user@mail.example:587',
    ];
    const dir = tempDir();
    const giteaSettings = values.map((v, i) => setting('mailer', `K${i}`, v));
    await ensureAppIni(options(dir, { giteaSettings }));
    const read = asGiteaReads(dir);
    for (const [i, v] of values.entries()) expect(read('mailer', `K${i}`), `K${i} = ${v}`).toBe(v);
    // Stable: written once, the next run finds every value as it wants it.
    expect((await ensureAppIni(options(dir, { giteaSettings }))).action).toBe('unchanged');
  });
});

describe("Gitea's own write-back", () => {
  it('finds nothing to write: INTERNAL_TOKEN and a valid JWT_SECRET are pre-filled, so a "quoted" value is never rewritten by go-ini', async () => {
    const dir = tempDir();
    const port = await freePort();
    const giteaSettings = [setting('other', 'NOTE', '"quoted"'), setting('other', 'PADDED', ' x ')];
    // The simulator's work dir is `dir`, as GITEA_WORK_DIR of the supervised program is the work dir.
    const result = await ensureAppIni(
      options(dir, { dataDir: dir, httpPort: port, httpAddr: '127.0.0.1', giteaSettings }),
    );
    expect(result.changedKeys).toEqual(
      expect.arrayContaining(['security.INTERNAL_TOKEN', 'oauth2.JWT_SECRET']),
    );
    const written = readFileSync(join(dir, 'app.ini'), 'utf8');
    expect(isValidJwtSecret(iniGet(parseLikeGitea(written), 'oauth2', 'JWT_SECRET'))).toBe(true);
    const sim = await startSimulator({ dir, port });
    try {
      expect(readFileSync(join(dir, 'app.ini'), 'utf8')).toBe(written);
    } finally {
      await sim.stop();
    }
    expect(asGiteaReads(dir)('other', 'NOTE')).toBe('"quoted"');
    expect(asGiteaReads(dir)('other', 'PADDED')).toBe(' x ');
    // An operator's own are kept; an invalid JWT_SECRET is replaced, as Gitea itself would.
    writeFileSync(
      join(dir, 'app.ini'),
      '[security]\nINTERNAL_TOKEN_URI = file:///run/token\n[oauth2]\nJWT_SECRET = 0123abcd\n',
    );
    const again = await ensureAppIni(options(dir, { dataDir: dir }));
    expect(again.changedKeys).toContain('oauth2.JWT_SECRET');
    expect(again.changedKeys).not.toContain('security.INTERNAL_TOKEN');
  });
});

describe('the listen address per phase', () => {
  it('the temporary Gitea listens on loopback, the supervised one on GITEA_HTTP_ADDR (default 0.0.0.0)', async () => {
    const dir = tempDir();
    const { config } = await loadConfig({ GIGI_DATA_DIR: dir, GIGI_BOOT_GITEA_USER: runUser });
    const paths = bootPaths(config);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(paths.giteaWorkDir, 'custom', 'conf'), { recursive: true });
    const ctx = { config, paths, runAs: lazyRunAs(config.giteaRunUser) };
    const read = () => iniGet(parseLikeGitea(readFileSync(paths.appIni, 'utf8')), 'server', 'HTTP_ADDR');

    await writeGiteaAppIni(ctx, 'boot');
    expect(read()).toBe(BOOT_HTTP_ADDR);
    expect(BOOT_HTTP_ADDR).toBe('127.0.0.1');
    const supervised = await writeGiteaAppIni(ctx, 'supervised');
    expect(supervised.changedKeys).toEqual(['server.HTTP_ADDR']);
    expect(read()).toBe('0.0.0.0');

    const loopback = await loadConfig({
      GIGI_DATA_DIR: dir,
      GIGI_BOOT_GITEA_USER: runUser,
      GITEA_HTTP_ADDR: '127.0.0.1',
    });
    await writeGiteaAppIni({ ...ctx, config: loopback.config }, 'supervised');
    expect(read()).toBe('127.0.0.1');
  });

  it('the webhook host list gets what WEBHOOK_URL needs', () => {
    expect(webhookAllowedHostFor('http://localhost:3000/webhook/gitea')).toBe('loopback');
    expect(webhookAllowedHostFor('http://127.0.0.1:3000/x')).toBe('loopback');
    expect(webhookAllowedHostFor('http://[::1]:3000/x')).toBe('loopback');
    expect(webhookAllowedHostFor('http://Gigi-App:3000/x')).toBe('gigi-app');
    expect(webhookAllowedHostFor('https://10.0.0.7/x')).toBe('10.0.0.7');
  });
});

describe("gigi-boot's app.ini reader agrees with Gitea's (go-ini)", () => {
  const text = [
    '\uFEFFAPP_NAME = "Team Forge"',
    'RUN_MODE = prod ; inline comment',
    '[DEFAULT]',
    "WORK_PATH = '/srv/gitea'",
    '[ server ]',
    'X = 1',
    '[server] # trailing comment',
    'DOMAIN: git.example',
    'SSH_DOMAIN = "a"b"',
    "QUOTES = 'it''s'",
    'HASH = a#b',
    'TICK = `a # b` ignored',
    'TRIPLE = """x`y"""',
    'MULTI = """first',
    'second # not a comment',
    'last""" # comment',
    'BACKSLASH = C:\\gitea\\',
    'EMPTY =',
    'DUP = one',
    'DUP = two',
    '`QUOTED:KEY` = v',
    '[webhook]',
    'ALLOWED_HOST_LIST = private ; the docker network',
    '',
  ].join('\n');

  it('reads every value as the simulator (an independent go-ini port) does, and writes the file back byte for byte', async () => {
    const { getIniValue, parseIni, serialiseIni } = await import('../../src/gitea/ini.ts');
    const ours = parseIni(text);
    const gitea = parseLikeGitea(text);
    const cases: Array<[string, string]> = [
      ['', 'APP_NAME'],
      ['', 'RUN_MODE'],
      ['', 'WORK_PATH'],
      [' server ', 'X'],
      ['server', 'DOMAIN'],
      ['server', 'SSH_DOMAIN'],
      ['server', 'QUOTES'],
      ['server', 'HASH'],
      ['server', 'TICK'],
      ['server', 'TRIPLE'],
      ['server', 'MULTI'],
      ['server', 'BACKSLASH'],
      ['server', 'EMPTY'],
      ['server', 'DUP'],
      ['server', 'QUOTED:KEY'],
      ['webhook', 'ALLOWED_HOST_LIST'],
    ];
    for (const [section, key] of cases)
      expect(getIniValue(ours, section, key), `[${section}] ${key}`).toBe(iniGet(gitea, section, key));
    expect(getIniValue(ours, 'server', 'MULTI')).toBe('first\nsecond # not a comment\nlast');
    expect(getIniValue(ours, 'server', 'TICK')).toBe('a # b');
    expect(getIniValue(ours, 'webhook', 'ALLOWED_HOST_LIST')).toBe('private');
    expect(serialiseIni(ours)).toBe(text.replace(/^\uFEFF/, ''));
  });
});
