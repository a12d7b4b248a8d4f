import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { MAX_SECRET_FILE_BYTES, readSecretFileBytes } from '../../src/config/read-secret-file.ts';
import { ConfigError, isBootError } from '../../src/errors.ts';

type Env = Record<string, string | undefined>;

/** Valid external-Gitea settings (ADMIN_PASSWORD is only allowed with GITEA_URL). */
const EXTERNAL: Env = {
  GITEA_URL: 'https://git.example.com',
  ADMIN_PASSWORD: 'a-long-admin-secret',
  WEBHOOK_URL: 'http://gigi.example.com:3000/webhook/gitea',
};
const REMOTE_WEBHOOK = EXTERNAL.WEBHOOK_URL!;

async function configError(env: Env, options?: Parameters<typeof loadConfig>[1]): Promise<ConfigError> {
  try {
    await loadConfig(env, options);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(Object.keys(env))}; expected a ConfigError`);
}

async function issuesFor(env: Env, options?: Parameters<typeof loadConfig>[1]): Promise<readonly string[]> {
  return (await configError(env, options)).issues;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'gigi-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function secretFile(name: string, content: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, content);
  return file;
}

describe('loadConfig defaults', () => {
  it('turns an empty environment into the documented defaults', async () => {
    const { config, warnings } = await loadConfig({});
    expect(config).toEqual({
      databaseUrl: undefined,
      dataDir: '/data',
      giteaBin: '/usr/local/bin/gitea',
      giteaUrl: undefined,
      giteaHttpPort: 3300,
      giteaHttpAddr: '0.0.0.0',
      chromeCdpUrl: undefined,
      browserMode: undefined,
      browserViewUrl: undefined,
      adminUser: 'gigi-admin',
      adminPassword: undefined,
      adminEmail: 'gigi-admin@gigi.local',
      orgName: 'gigi-org',
      webhookUrl: 'http://localhost:3000/webhook/gitea',
      telegramToken: undefined,
      claudeToken: undefined,
      tokenScopes: [
        'write:activitypub',
        'write:issue',
        'write:misc',
        'write:notification',
        'write:organization',
        'write:package',
        'write:repository',
        'write:user',
      ],
      giteaRunUser: 'gigi',
      deadlines: {
        giteaReadyMs: 60_000,
        lockWaitMs: 600_000,
        databaseWaitMs: 60_000,
        giteaStopMs: 10_000,
        httpRequestMs: 10_000,
        commandMs: 60_000,
        dockerSocketWaitMs: 30_000,
        runnerRetryMs: 300_000,
      },
      docker: {
        socketPath: undefined,
        dockerHost: undefined,
        runnerImage: 'gigi/runner-worker',
        runnerContextDir: '/opt/runner-worker',
        buildArgs: {},
        networkMode: undefined,
      },
      retry: { maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 10_000 },
      runDir: '/data/gigi-boot',
      failpoints: {},
      giteaIni: [],
    });
    expect(warnings).toEqual([
      'DATABASE_URL is not set: using embedded PGlite under /data/gigi-boot/pglite; the Gigi app cannot read this store, set DATABASE_URL for production',
    ]);
  });

  it('names the PGlite directory under the configured data dir', async () => {
    const { warnings } = await loadConfig({ GIGI_DATA_DIR: '/srv/gigi/' });
    expect(warnings[0]).toContain('embedded PGlite under /srv/gigi/gigi-boot/pglite;');
  });

  it('treats empty values as unset', async () => {
    const { config } = await loadConfig({
      GITEA_HTTP_PORT: '',
      GITEA_URL: '',
      ADMIN_USER: '',
      DATABASE_URL: '',
    });
    expect(config.giteaHttpPort).toBe(3300);
    expect(config.giteaUrl).toBeUndefined();
    expect(config.adminUser).toBe('gigi-admin');
    expect(config.databaseUrl).toBeUndefined();
  });

  it('derives the admin email from ADMIN_USER unless ADMIN_EMAIL is set', async () => {
    expect((await loadConfig({ ADMIN_USER: 'ops' })).config.adminEmail).toBe('ops@gigi.local');
    expect((await loadConfig({ ADMIN_USER: 'ops', ADMIN_EMAIL: 'ops@example.org' })).config.adminEmail).toBe(
      'ops@example.org',
    );
  });

  it("accepts every e-mail address Gitea's CLI accepts (CONTRACT §L.7.4), single-label domains included", async () => {
    for (const address of [
      'mauro@localhost',
      'a@b',
      'x@gigi.local',
      "o'hara+tag@mail.example.org",
      '!#$%&*/=?^_`{|}~-@x-y.example',
      'UPPER.case@Example.ORG',
    ]) {
      expect((await loadConfig({ ADMIN_EMAIL: address })).config.adminEmail).toBe(address);
    }
  });

  it("accepts the bash entrypoint's BROWSER_VIEW_URL=/browser/ (a path behind the reverse proxy) and absolute URLs", async () => {
    expect((await loadConfig({ BROWSER_VIEW_URL: '/browser/' })).config.browserViewUrl).toBe('/browser/');
    expect((await loadConfig({ BROWSER_VIEW_URL: '/vnc.html?autoconnect=1' })).config.browserViewUrl).toBe(
      '/vnc.html?autoconnect=1',
    );
    expect(
      (await loadConfig({ BROWSER_VIEW_URL: 'https://gigi.example/browser/' })).config.browserViewUrl,
    ).toBe('https://gigi.example/browser/');
  });

  it('reads every variable it documents', async () => {
    const { config, warnings } = await loadConfig({
      DATABASE_URL: 'postgresql://gigi:pw@db:5432/gigi',
      GIGI_DATA_DIR: '/var/lib/gigi',
      GITEA_BIN: '/opt/gitea/gitea',
      GITEA_HTTP_PORT: '3001',
      CHROME_CDP_URL: 'ws://chrome:9222/devtools/browser',
      BROWSER_MODE: '  neko  ',
      BROWSER_VIEW_URL: 'https://view.example.com/',
      ADMIN_USER: 'Root.Ops',
      ADMIN_EMAIL: 'root@example.com',
      ORG_NAME: 'acme',
      WEBHOOK_URL: 'http://gigi:3000/hook',
      TELEGRAM_TOKEN: '123456:ABC-def',
      CLAUDE_TOKEN: 'sk-ant-xyz',
      GITEA_TOKEN_SCOPES: 'write:repository,read:user',
      GIGI_BOOT_GITEA_USER: 'Git.Runner',
      GIGI_BOOT_GITEA_READY_TIMEOUT: '2m',
      GIGI_BOOT_LOCK_TIMEOUT: '1h',
      GIGI_BOOT_DATABASE_TIMEOUT: '90s',
      GIGI_BOOT_GITEA_STOP_TIMEOUT: '1500',
      GIGI_BOOT_HTTP_TIMEOUT: '2.5s',
      GIGI_BOOT_STEP_ATTEMPTS: '3',
      GIGI_BOOT_RETRY_BASE_DELAY: '0',
      GIGI_BOOT_RETRY_MAX_DELAY: '750ms',
    });
    expect(warnings).toEqual([]);
    expect(config).toMatchObject({
      databaseUrl: 'postgresql://gigi:pw@db:5432/gigi',
      dataDir: '/var/lib/gigi',
      giteaBin: '/opt/gitea/gitea',
      giteaHttpPort: 3001,
      chromeCdpUrl: 'ws://chrome:9222/devtools/browser',
      browserMode: 'neko',
      browserViewUrl: 'https://view.example.com/',
      adminUser: 'Root.Ops',
      adminEmail: 'root@example.com',
      orgName: 'acme',
      webhookUrl: 'http://gigi:3000/hook',
      telegramToken: '123456:ABC-def',
      claudeToken: 'sk-ant-xyz',
      tokenScopes: ['write:repository', 'read:user'],
      giteaRunUser: 'Git.Runner',
      deadlines: {
        giteaReadyMs: 120_000,
        lockWaitMs: 3_600_000,
        databaseWaitMs: 90_000,
        giteaStopMs: 1500,
        httpRequestMs: 2500,
      },
      retry: { maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 750 },
    });
  });

  it('selects external Gitea mode with GITEA_URL (trailing slash dropped) and the admin password', async () => {
    const { config, warnings } = await loadConfig({
      ...EXTERNAL,
      GITEA_URL: 'https://git.example.com/gitea/',
    });
    expect(config.giteaUrl).toBe('https://git.example.com/gitea');
    expect(config.adminPassword).toBe('a-long-admin-secret');
    expect(warnings.filter((w) => !w.startsWith('DATABASE_URL'))).toEqual([]);
  });

  it('warns that GITEA_BIN and GITEA_HTTP_PORT are ignored in external mode', async () => {
    const { warnings } = await loadConfig({ ...EXTERNAL, GITEA_BIN: '/x/gitea', GITEA_HTTP_PORT: '3000' });
    expect(warnings).toContain('GITEA_BIN and GITEA_HTTP_PORT ignored: GITEA_URL selects an external Gitea');
  });
});

describe('loadConfig rejects each invalid variable, naming it and what it expects', () => {
  it.each<[string, string, RegExp, Env?]>([
    ['GITEA_HTTP_PORT', 'abc', /^GITEA_HTTP_PORT: expected an integer port 1-65535, got "abc"$/],
    ['GITEA_HTTP_PORT', '0', /^GITEA_HTTP_PORT: expected an integer port 1-65535, got "0"$/],
    ['GITEA_HTTP_PORT', '65536', /^GITEA_HTTP_PORT: expected an integer port 1-65535/],
    ['GITEA_HTTP_PORT', '33.5', /^GITEA_HTTP_PORT: expected an integer port/],
    ['GITEA_HTTP_PORT', ' 3300', /^GITEA_HTTP_PORT: expected an integer port 1-65535, got " 3300"$/],
    ['GIGI_DATA_DIR', 'data', /^GIGI_DATA_DIR: expected an absolute path .*got "data"$/],
    [
      'GIGI_DATA_DIR',
      '/data\n[server]',
      /^GIGI_DATA_DIR: expected an absolute path .*got "\/data\\n\[server\]"$/,
    ],
    ['GITEA_BIN', 'gitea', /^GITEA_BIN: expected an absolute path/],
    [
      'GITEA_URL',
      'git.example.com',
      /^GITEA_URL: expected an http:\/\/ or https:\/\/ URL, got "git.example.com"$/,
      EXTERNAL,
    ],
    ['GITEA_URL', 'ftp://git.example.com', /^GITEA_URL: expected an http:\/\/ or https:\/\/ URL/, EXTERNAL],
    [
      'GITEA_URL',
      'https://git.example.com/?x=1',
      /^GITEA_URL: expected a base URL without \?query or #fragment/,
      EXTERNAL,
    ],
    [
      'CHROME_CDP_URL',
      'chrome:9222',
      /^CHROME_CDP_URL: expected an http:\/\/ or https:\/\/ or ws:\/\/ or wss:\/\//,
    ],
    ['BROWSER_MODE', '   ', /^BROWSER_MODE: expected a non-blank single-line value, got " {3}"$/],
    ['BROWSER_MODE', 'a\nb', /^BROWSER_MODE: expected a non-blank single-line value/],
    [
      'BROWSER_VIEW_URL',
      'ws://view',
      /^BROWSER_VIEW_URL: expected a path on the app's origin like \/browser\/, or an http:\/\/ or https:\/\/ URL, got "ws:\/\/view"$/,
    ],
    ['BROWSER_VIEW_URL', 'browser/', /^BROWSER_VIEW_URL: expected a path on the app's origin/],
    ['BROWSER_VIEW_URL', '//evil.example/x', /^BROWSER_VIEW_URL: expected a path on the app's origin/],
    ['BROWSER_VIEW_URL', '/my browser/', /^BROWSER_VIEW_URL: expected a path .*got "\/my browser\/"$/],
    [
      'BROWSER_VIEW_URL',
      'https://u:p@view.example/',
      /^BROWSER_VIEW_URL: must not contain credentials \(user:password@\); got "https:\/\/\*\*\*@view.example\/"$/,
    ],
    ['ADMIN_USER', 'bad name', /^ADMIN_USER: expected a Gitea user\/org name: .*; got "bad name"$/],
    [
      'ADMIN_EMAIL',
      'not-an-email',
      /^ADMIN_EMAIL: expected an e-mail address Gitea accepts, like admin@example.com or mauro@localhost: e-mail address contains unsupported character .*got "not-an-email"$/,
    ],
    ['ADMIN_EMAIL', 'a"b@example.com', /^ADMIN_EMAIL: expected an e-mail address .*unsupported character/],
    ['ADMIN_EMAIL', 'x@foo_bar.org', /^ADMIN_EMAIL: .*unsupported character .*got "x@foo_bar.org"$/],
    ['ADMIN_EMAIL', 'x@[127.0.0.1]', /^ADMIN_EMAIL: .*unsupported character/],
    ['ADMIN_EMAIL', 'x@-host', /^ADMIN_EMAIL: .*unsupported character/],
    ['ADMIN_EMAIL', 'x@host.', /^ADMIN_EMAIL: .*unsupported character/],
    ['ADMIN_EMAIL', '-x@example.org', /^ADMIN_EMAIL: .*e-mail invalid \(it must not start with "-"\)/],
    ['ADMIN_EMAIL', '@example.org', /^ADMIN_EMAIL: .*e-mail invalid \(nothing before the @\)/],
    ['ADMIN_EMAIL', 'a,b@example.org', /^ADMIN_EMAIL: .*e-mail invalid \(a "," before the @\)/],
    ['ADMIN_EMAIL', '.x@example.org', /^ADMIN_EMAIL: .*e-mail invalid \(a "\." at the start/],
    ['ADMIN_EMAIL', 'x.@example.org', /^ADMIN_EMAIL: .*e-mail invalid \(a "\." at the start/],
    ['ADMIN_EMAIL', 'a..b@example.org', /^ADMIN_EMAIL: .*e-mail invalid \(a "\." at the start/],
    ['ADMIN_EMAIL', 'a@b@example.org', /^ADMIN_EMAIL: .*unsupported character/],
    ['ADMIN_EMAIL', 'mé@example.org', /^ADMIN_EMAIL: .*unsupported character/],
    ['ORG_NAME', 'org.', /^ORG_NAME: expected a Gitea user\/org name: must not .* end with/],
    ['WEBHOOK_URL', '/webhook/gitea', /^WEBHOOK_URL: expected an http:\/\/ or https:\/\/ URL/],
    [
      'GITEA_TOKEN_SCOPES',
      'Write:user',
      /^GITEA_TOKEN_SCOPES: expected comma-separated .*unknown: "Write:user"$/,
    ],
    [
      'GITEA_TOKEN_SCOPES',
      'write:user, write:issue',
      /^GITEA_TOKEN_SCOPES: .*without spaces.*unknown: " write:issue"$/,
    ],
    ['GITEA_TOKEN_SCOPES', 'write:user,', /^GITEA_TOKEN_SCOPES: .*unknown: ""$/],
    [
      'GITEA_TOKEN_SCOPES',
      'public-only',
      /^GITEA_TOKEN_SCOPES: expected at least one read:\/write:\/all scope/,
    ],
    ['GIGI_BOOT_GITEA_USER', 'Gigi User', /^GIGI_BOOT_GITEA_USER: expected an OS user name/],
    ['GIGI_BOOT_GITEA_USER', 'gigi;id', /^GIGI_BOOT_GITEA_USER: expected an OS user name/],
    ['GIGI_BOOT_GITEA_USER', '-u0', /^GIGI_BOOT_GITEA_USER: expected an OS user name/],
    [
      'GIGI_BOOT_GITEA_READY_TIMEOUT',
      'soon',
      /^GIGI_BOOT_GITEA_READY_TIMEOUT: expected a duration .*"30s".*got "soon"$/,
    ],
    ['GIGI_BOOT_LOCK_TIMEOUT', '0', /^GIGI_BOOT_LOCK_TIMEOUT: expected a duration of 1ms to 2147483647ms/],
    ['GIGI_BOOT_GITEA_STOP_TIMEOUT', '10 s', /^GIGI_BOOT_GITEA_STOP_TIMEOUT: expected a duration/],
    ['GIGI_BOOT_HTTP_TIMEOUT', '600h', /^GIGI_BOOT_HTTP_TIMEOUT: expected a duration .*got "600h"$/],
    ['GIGI_BOOT_COMMAND_TIMEOUT', '0', /^GIGI_BOOT_COMMAND_TIMEOUT: expected a duration of 1ms/],
    [
      'GIGI_BOOT_COMMAND_TIMEOUT',
      'forever',
      /^GIGI_BOOT_COMMAND_TIMEOUT: expected a duration .*got "forever"$/,
    ],
    ['GIGI_BOOT_STEP_ATTEMPTS', '0', /^GIGI_BOOT_STEP_ATTEMPTS: expected an integer 1-100, got "0"$/],
    ['GIGI_BOOT_STEP_ATTEMPTS', 'many', /^GIGI_BOOT_STEP_ATTEMPTS: expected an integer 1-100/],
    ['GIGI_BOOT_RETRY_BASE_DELAY', '-1s', /^GIGI_BOOT_RETRY_BASE_DELAY: expected a duration of 0ms/],
    ['GIGI_BOOT_RETRY_MAX_DELAY', '1d', /^GIGI_BOOT_RETRY_MAX_DELAY: expected a duration/],
  ])('%s=%j', async (name, value, expected, base = {}) => {
    const issues = await issuesFor({ ...base, [name]: value });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(expected);
  });

  it('rejects a DATABASE_URL that is not postgres', async () => {
    expect(await issuesFor({ DATABASE_URL: 'mysql://db/gigi' })).toEqual([
      'DATABASE_URL: expected a postgres:// or postgresql:// URL (value not shown: it may contain a password)',
    ]);
  });

  it('rejects the insecure and short ADMIN_PASSWORD values', async () => {
    for (const password of ['admin', 'gigi-local-dev', 'password', 'PassWord', 'Gigi-Local-Dev']) {
      expect(await issuesFor({ ...EXTERNAL, ADMIN_PASSWORD: password })).toEqual([
        'ADMIN_PASSWORD: is a well-known default; choose a unique one (value not shown)',
      ]);
    }
    expect(await issuesFor({ ...EXTERNAL, ADMIN_PASSWORD: '11-chars-pw' })).toEqual([
      'ADMIN_PASSWORD: expected at least 12 characters (value not shown)',
    ]);
    expect((await loadConfig({ ...EXTERNAL, ADMIN_PASSWORD: '12-chars-pwd' })).config.adminPassword).toBe(
      '12-chars-pwd',
    );
  });

  it('rejects URLs with credentials without showing them', async () => {
    const issues = await issuesFor({ WEBHOOK_URL: 'http://user:hunter2hunter2@gigi:3000/hook' });
    expect(issues).toEqual([
      'WEBHOOK_URL: must not contain credentials (user:password@); got "http://***@gigi:3000/hook"',
    ]);
  });

  it('rejects a newline or tab inside a URL (WHATWG URL would drop it and the hook go elsewhere)', async () => {
    expect(
      await issuesFor({
        WEBHOOK_URL: 'http://gigi\n.evil.example:3000/hook',
        GITEA_URL: 'https://git.example.com/\tx',
        ADMIN_PASSWORD: 'a-long-admin-secret',
        DATABASE_URL: 'postgres://gigi:pw-secret-x@db/gi\ngi',
      }),
    ).toEqual([
      'DATABASE_URL: must not contain control characters such as a newline (value not shown: it may contain a password)',
      'GITEA_URL: expected an http:// or https:// URL on one line, without control characters; got "https://git.example.com/\\tx"',
      'WEBHOOK_URL: expected an http:// or https:// URL on one line, without control characters; got "http://gigi\\n.evil.example:3000/hook"',
    ]);
  });

  it('rejects the reserved and injection-shaped names in ADMIN_USER and ORG_NAME', async () => {
    for (const name of [
      'api',
      'Explore',
      'me.keys',
      'x"; DROP TABLE users;--',
      'a$(id)',
      'a\nb',
      "o'brien",
    ]) {
      const issues = await issuesFor({ ADMIN_USER: name, ORG_NAME: name });
      expect(issues).toHaveLength(2);
      expect(issues[0]).toMatch(/^ADMIN_USER: expected a Gitea user\/org name: /);
      expect(issues[1]).toMatch(/^ORG_NAME: expected a Gitea user\/org name: /);
      expect(issues.join('\n')).not.toContain('\nb'); // newlines are escaped, one issue per line
    }
  });

  it('reports every problem at once', async () => {
    const error = await configError({
      GITEA_HTTP_PORT: 'abc',
      GIGI_DATA_DIR: 'relative',
      ADMIN_USER: 'ghost',
      ORG_NAME: '-org',
      GIGI_BOOT_LOCK_TIMEOUT: 'forever',
      GITEA_TOKEN_SCOPES: 'sudo',
      DATABASE_URL: 'redis://cache',
      ADMIN_PASSWORD: 'a-long-admin-secret',
    });
    expect(error.issues.map((i) => i.slice(0, i.indexOf(':')))).toEqual([
      'DATABASE_URL',
      'GIGI_DATA_DIR',
      'GITEA_HTTP_PORT',
      'ADMIN_USER',
      'ORG_NAME',
      'GITEA_TOKEN_SCOPES',
      'GIGI_BOOT_LOCK_TIMEOUT',
      'ADMIN_PASSWORD',
    ]);
    expect(isBootError(error)).toBe(true);
    expect(error.domain).toBe('config');
    expect(error.hint).toMatch(/README/);
    expect(error.hint).toMatch(/docs\/configuration\.md/);
    for (const issue of error.issues) expect(error.message).toContain(`  - ${issue}`);
  });
});

describe('loadConfig cross-field rules', () => {
  it('rejects ADMIN_PASSWORD without GITEA_URL, explaining that the internal admin password is generated', async () => {
    const issues = await issuesFor({ ADMIN_PASSWORD: 'a-long-admin-secret' });
    expect(issues).toEqual([
      "ADMIN_PASSWORD: is only used with an external Gitea (GITEA_URL); the internal Gitea gets a generated admin password that gigi-boot stores (config key admin_password): the bash entrypoint's fixed admin/gigi-local-dev passwords were known to anyone who read it. Unset ADMIN_PASSWORD, or set GITEA_URL",
    ]);
  });

  it('rejects GITEA_URL without ADMIN_PASSWORD', async () => {
    expect(await issuesFor({ GITEA_URL: 'https://git.example.com', WEBHOOK_URL: REMOTE_WEBHOOK })).toEqual([
      'GITEA_URL: an external Gitea needs the credentials of an existing site admin: set ADMIN_USER and ADMIN_PASSWORD (or ADMIN_PASSWORD_FILE)',
    ]);
  });

  it('does not pile a missing-password error onto an invalid one', async () => {
    expect(
      await issuesFor({
        GITEA_URL: 'https://git.example.com',
        ADMIN_PASSWORD: 'short',
        WEBHOOK_URL: REMOTE_WEBHOOK,
      }),
    ).toEqual(['ADMIN_PASSWORD: expected at least 12 characters (value not shown)']);
  });

  it('rejects a localhost WEBHOOK_URL (set or default) for a Gitea on another host, not for one on loopback', async () => {
    const { WEBHOOK_URL: _w, ...remoteGitea } = EXTERNAL;
    expect(await issuesFor(remoteGitea)).toEqual([
      "WEBHOOK_URL: must be the Gigi app's address as the external Gitea at git.example.com reaches it, not localhost:3000 (that is the Gitea host itself; this is the default): set WEBHOOK_URL, e.g. http://gigi:3000/webhook/gitea",
    ]);
    expect(await issuesFor({ ...remoteGitea, WEBHOOK_URL: 'http://[::1]:3000/h' })).toEqual([
      "WEBHOOK_URL: must be the Gigi app's address as the external Gitea at git.example.com reaches it, not [::1]:3000 (that is the Gitea host itself): set WEBHOOK_URL, e.g. http://gigi:3000/webhook/gitea",
    ]);
    const loopback = await loadConfig({ ...remoteGitea, GITEA_URL: 'http://127.0.0.1:3300' });
    expect(loopback.config.webhookUrl).toBe('http://localhost:3000/webhook/gitea');
  });

  it('rejects ADMIN_USER gigi in any case', async () => {
    for (const user of ['gigi', 'GiGi']) {
      expect(await issuesFor({ ADMIN_USER: user })).toEqual([
        'ADMIN_USER: must not be "gigi": gigi-boot creates that account for the Gigi app',
      ]);
    }
  });

  it('rejects an ORG_NAME equal to gigi or to ADMIN_USER, case-insensitively', async () => {
    expect(await issuesFor({ ORG_NAME: 'Gigi' })).toEqual([
      'ORG_NAME: must differ from "gigi" (users and orgs share one namespace in Gitea, and gigi-boot creates the user "gigi"; the bash entrypoint\'s ORG_NAME=gigi never made an org for that reason), e.g. ORG_NAME=gigi-org',
    ]);
    expect(await issuesFor({ ADMIN_USER: 'ops', ORG_NAME: 'OPS' })).toEqual([
      'ORG_NAME: must differ from ADMIN_USER, case-insensitively (users and orgs share one namespace in Gitea)',
    ]);
    expect(await issuesFor({ ORG_NAME: 'gigi-admin' })).toHaveLength(1);
  });

  it('rejects a retry base delay above the maximum', async () => {
    expect(await issuesFor({ GIGI_BOOT_RETRY_BASE_DELAY: '2s', GIGI_BOOT_RETRY_MAX_DELAY: '1s' })).toEqual([
      'GIGI_BOOT_RETRY_BASE_DELAY: must not exceed GIGI_BOOT_RETRY_MAX_DELAY',
    ]);
  });

  it('rejects an internal Gitea port equal to the local webhook receiver', async () => {
    expect(await issuesFor({ GITEA_HTTP_PORT: '3000' })).toEqual([
      'GITEA_HTTP_PORT: must differ from the port of the local WEBHOOK_URL receiver (3000)',
    ]);
    expect(
      (await loadConfig({ GITEA_HTTP_PORT: '3000', WEBHOOK_URL: 'http://gigi:3000/hook' })).config
        .giteaHttpPort,
    ).toBe(3000);
  });

  it('treats every spelling of this host as local for the port clash (0.0.0.0, [::], 127/8, *.localhost, mapped IPv4)', async () => {
    for (const host of [
      '0.0.0.0',
      '0',
      '[::]',
      '[::1]',
      '127.0.0.2',
      '2130706433',
      'LOCALHOST',
      'localhost.',
      'app.localhost',
      '[::ffff:127.0.0.1]',
      '[::ffff:0.0.0.0]',
    ]) {
      expect(
        await issuesFor({ GITEA_HTTP_PORT: '3300', WEBHOOK_URL: `http://${host}:3300/hook` }),
        host,
      ).toEqual(['GITEA_HTTP_PORT: must differ from the port of the local WEBHOOK_URL receiver (3300)']);
    }
    for (const host of ['10.0.0.1', 'example.com', 'localhost.example.com', '[::2]', '128.0.0.1']) {
      const { config } = await loadConfig({ GITEA_HTTP_PORT: '3300', WEBHOOK_URL: `http://${host}:3300/h` });
      expect(config.giteaHttpPort, host).toBe(3300);
    }
  });

  it('still reports cross-field problems next to single-variable ones', async () => {
    const issues = await issuesFor({
      GITEA_HTTP_PORT: 'x',
      ADMIN_USER: 'gigi',
      ADMIN_PASSWORD: 'a-long-admin-secret',
    });
    expect(issues.map((i) => i.slice(0, i.indexOf(':')))).toEqual([
      'GITEA_HTTP_PORT',
      'ADMIN_PASSWORD',
      'ADMIN_USER',
    ]);
  });
});

describe('loadConfig NAME_FILE secrets', () => {
  it('reads each secret from its _FILE, stripping one trailing newline', async () => {
    const { config } = await loadConfig({
      GITEA_URL: 'https://git.example.com',
      WEBHOOK_URL: REMOTE_WEBHOOK,
      ADMIN_PASSWORD_FILE: await secretFile('admin', 'from-a-file-secret\n'),
      TELEGRAM_TOKEN_FILE: await secretFile('telegram', 'tg-token\n\n'),
      CLAUDE_TOKEN_FILE: await secretFile('claude', 'claude-token\r\n'),
      DATABASE_URL_FILE: await secretFile('db', 'postgres://gigi:pw@db/gigi'),
    });
    expect(config.adminPassword).toBe('from-a-file-secret');
    expect(config.telegramToken).toBe('tg-token\n');
    expect(config.claudeToken).toBe('claude-token');
    expect(config.databaseUrl).toBe('postgres://gigi:pw@db/gigi');
  });

  it('rejects NAME and NAME_FILE both set', async () => {
    const issues = await issuesFor({
      CLAUDE_TOKEN: 'claude-inline',
      CLAUDE_TOKEN_FILE: await secretFile('claude2', 'claude-file'),
    });
    expect(issues).toEqual(['CLAUDE_TOKEN and CLAUDE_TOKEN_FILE are both set: set only one of them']);
  });

  it('names the _FILE variable and the path of a missing or unreadable file', async () => {
    const missing = path.join(dir, 'does-not-exist');
    const directory = path.join(dir, 'a-directory');
    await mkdir(directory);
    const issues = await issuesFor({ TELEGRAM_TOKEN_FILE: missing, CLAUDE_TOKEN_FILE: directory });
    expect(issues).toEqual([
      `TELEGRAM_TOKEN_FILE: cannot read the file ${JSON.stringify(missing)} (ENOENT)`,
      `CLAUDE_TOKEN_FILE: cannot read the file ${JSON.stringify(directory)} (EISDIR)`,
    ]);
  });

  it('rejects an empty secret file', async () => {
    const file = await secretFile('empty', '\n');
    expect(await issuesFor({ TELEGRAM_TOKEN_FILE: file })).toEqual([
      `TELEGRAM_TOKEN_FILE: the file ${JSON.stringify(file)} is empty`,
    ]);
  });

  it('labels a bad file-borne secret with its _FILE origin, without its content', async () => {
    const error = await configError({
      DATABASE_URL_FILE: await secretFile('bad-db', 'mysql://root:db-file-secret@db/gigi\n'),
    });
    expect(error.issues).toEqual([
      'DATABASE_URL (from DATABASE_URL_FILE): expected a postgres:// or postgresql:// URL (value not shown: it may contain a password)',
    ]);
    expect(error.message).not.toContain('db-file-secret');
  });

  it('rejects a FIFO, a device and a socket without waiting for a writer', async () => {
    const fifo = path.join(dir, 'a-fifo');
    execFileSync('mkfifo', [fifo]);
    const socketPath = path.join(dir, 'a-socket');
    const server = net.createServer().listen(socketPath);
    await once(server, 'listening');
    try {
      expect(
        await issuesFor({
          TELEGRAM_TOKEN_FILE: fifo,
          CLAUDE_TOKEN_FILE: '/dev/zero',
          DATABASE_URL_FILE: socketPath,
        }),
      ).toEqual([
        `DATABASE_URL_FILE: cannot read the file ${JSON.stringify(socketPath)} (ENXIO)`,
        `TELEGRAM_TOKEN_FILE: the file ${JSON.stringify(fifo)} is a FIFO (named pipe); expected a regular file holding the secret`,
        `CLAUDE_TOKEN_FILE: the file "/dev/zero" is a character device; expected a regular file holding the secret`,
      ]);
    } finally {
      server.close();
    }
  });

  it('rejects a secret file over the limit without reading it, naming the limit', async () => {
    const big = path.join(dir, 'big-token');
    await writeFile(big, 'x');
    await truncate(big, 133 * 1024 * 1024); // sparse: 133 MiB on paper
    expect(await issuesFor({ CLAUDE_TOKEN_FILE: big })).toEqual([
      `CLAUDE_TOKEN_FILE: the file ${JSON.stringify(big)} is larger than the ${MAX_SECRET_FILE_BYTES / 1024} KiB limit of a secret file (133 MiB); expected only the secret in it`,
    ]);
    const justFits = await secretFile('fits', 'y'.repeat(MAX_SECRET_FILE_BYTES));
    expect((await loadConfig({ CLAUDE_TOKEN_FILE: justFits })).config.claudeToken).toHaveLength(
      MAX_SECRET_FILE_BYTES,
    );
  });

  it('stops reading at the limit when the size on disk says nothing (a /proc file reports 0)', async () => {
    await expect(readSecretFileBytes('/proc/self/status', 100)).rejects.toThrow(
      /^is larger than the 100 bytes limit of a secret file; expected only the secret in it$/,
    );
    expect((await readSecretFileBytes('/proc/self/status')).toString()).toMatch(/^Name:/);
  });

  it('rejects a NUL byte and bytes that are not UTF-8, without showing the content', async () => {
    const nul = await secretFile('nul-token', 'tok-secret-part\0rest\n');
    const latin1 = path.join(dir, 'latin1-token');
    await writeFile(latin1, Buffer.from('caf\xe9-secret-part\n', 'latin1'));
    const error = await configError({ TELEGRAM_TOKEN_FILE: nul, CLAUDE_TOKEN_FILE: latin1 });
    expect(error.issues).toEqual([
      `TELEGRAM_TOKEN_FILE: the file ${JSON.stringify(nul)} contains a NUL byte; expected the secret as text`,
      `CLAUDE_TOKEN_FILE: the file ${JSON.stringify(latin1)} is not valid UTF-8; expected the secret as UTF-8 text`,
    ]);
    expect(error.message).not.toContain('secret-part');
    // UTF-8 beyond ASCII is fine.
    const utf8 = await secretFile('utf8-token', 'café-ключ-🔑\n');
    expect((await loadConfig({ CLAUDE_TOKEN_FILE: utf8 })).config.claudeToken).toBe('café-ключ-🔑');
  });

  it('uses options.readFile to read secret files', async () => {
    await secretFile('relative-token', 'token-via-reader\n');
    const { config } = await loadConfig(
      { TELEGRAM_TOKEN_FILE: 'relative-token' },
      { readFile: (p) => readFile(path.join(dir, p), 'utf8') },
    );
    expect(config.telegramToken).toBe('token-via-reader');
  });
});

describe('loadConfig never shows a secret', () => {
  const cases: [string, Env, string][] = [
    ['bad DATABASE_URL', { DATABASE_URL: 'mysql://root:s3cr3t-db-pass@db/gigi' }, 's3cr3t-db-pass'],
    ['unparsable DATABASE_URL', { DATABASE_URL: 'postgres//u:s3cr3t-db-pass@db' }, 's3cr3t-db-pass'],
    ['short ADMIN_PASSWORD', { ...EXTERNAL, ADMIN_PASSWORD: 'tiny-secret' }, 'tiny-secret'],
    ['insecure ADMIN_PASSWORD', { ...EXTERNAL, ADMIN_PASSWORD: 'GIGI-local-DEV' }, 'GIGI-local-DEV'],
    ['ADMIN_PASSWORD without GITEA_URL', { ADMIN_PASSWORD: 'orphan-password-123' }, 'orphan-password-123'],
    [
      'secrets beside other errors',
      { GITEA_HTTP_PORT: 'x', TELEGRAM_TOKEN: 'tg-secret-999', CLAUDE_TOKEN: 'claude-secret-999' },
      'secret-999',
    ],
    [
      "DATABASE_URL's password pasted into a non-secret variable",
      { DATABASE_URL: 'postgres://gigi:db-pass-in-url@db/gigi', ORG_NAME: 'db-pass-in-url!' },
      'db-pass-in-url',
    ],
    [
      'a secret pasted into a non-secret variable',
      { ...EXTERNAL, ADMIN_PASSWORD: 'correct-horse-battery', ORG_NAME: 'correct-horse-battery!' },
      'correct-horse-battery',
    ],
  ];
  it.each(cases)('%s', async (_label, env, secret) => {
    const error = await configError(env);
    expect(error.issues.length).toBeGreaterThan(0);
    expect(error.message).not.toContain(secret);
    expect(error.issues.join('\n')).not.toContain(secret);
    expect(error.hint ?? '').not.toContain(secret);
    expect(String(error.stack)).not.toContain(secret);
  });
});

describe('loadConfig warnings', () => {
  it('names unknown GIGI_BOOT_* variables and suggests the likely one', async () => {
    const { warnings } = await loadConfig({
      DATABASE_URL: 'postgres://db/gigi',
      GIGI_BOOT_HTTP_TIMOUT: '3s',
      GIGI_BOOT_SOMETHING_ELSE: '1',
      UNRELATED_VARIABLE: 'x',
    });
    expect(warnings).toEqual([
      'GIGI_BOOT_HTTP_TIMOUT is not a gigi-boot setting and is ignored (did you mean GIGI_BOOT_HTTP_TIMEOUT?)',
      'GIGI_BOOT_SOMETHING_ELSE is not a gigi-boot setting and is ignored',
    ]);
  });

  it('warns that _FILE works only for secrets', async () => {
    const { config, warnings } = await loadConfig({
      DATABASE_URL: 'postgres://db/gigi',
      ORG_NAME_FILE: '/run/org',
    });
    expect(config.orgName).toBe('gigi-org');
    expect(warnings).toEqual([
      'ORG_NAME_FILE is ignored: only secrets (DATABASE_URL, ADMIN_PASSWORD, TELEGRAM_TOKEN, CLAUDE_TOKEN) can be read from a file',
    ]);
  });

  it('warns when the token scopes include site admin', async () => {
    const { config, warnings } = await loadConfig({
      DATABASE_URL: 'postgres://db/gigi',
      GITEA_TOKEN_SCOPES: 'all',
    });
    expect(config.tokenScopes).toEqual(['all']);
    expect(warnings).toEqual([
      "GITEA_TOKEN_SCOPES grants gigi's token site-admin scopes (all or *:admin); the default leaves admin out",
    ]);
  });
});

describe('runner-worker settings', () => {
  it('parse build args, image and socket settings', async () => {
    const { config } = await loadConfig({
      GIGI_BOOT_RUNNER_BUILD_ARGS: 'YQ_VERSION=v4.44.3,EXTRA=a=b',
      GIGI_BOOT_RUNNER_IMAGE: 'prod.gigi.local/gigi/runner-worker',
      GIGI_BOOT_DOCKER_SOCKET: '/run/dind/docker.sock',
      GIGI_BOOT_DOCKER_SOCKET_WAIT: '2m',
    });
    expect(config.docker).toMatchObject({
      buildArgs: { YQ_VERSION: 'v4.44.3', EXTRA: 'a=b' },
      runnerImage: 'prod.gigi.local/gigi/runner-worker',
      socketPath: '/run/dind/docker.sock',
    });
    expect(config.deadlines.dockerSocketWaitMs).toBe(120_000);
  });

  it('reject an image with a tag, a relative socket path and malformed build args, naming each', async () => {
    await expect(
      loadConfig({
        GIGI_BOOT_RUNNER_IMAGE: 'gigi/runner-worker:latest',
        GIGI_BOOT_DOCKER_SOCKET: 'docker.sock',
        GIGI_BOOT_RUNNER_BUILD_ARGS: 'NOEQUALS',
      }),
    ).rejects.toThrow(
      /GIGI_BOOT_DOCKER_SOCKET: expected an absolute path[\s\S]*GIGI_BOOT_RUNNER_IMAGE: expected an image repository without a tag[\s\S]*GIGI_BOOT_RUNNER_BUILD_ARGS: expected KEY=VALUE/,
    );
  });
});
