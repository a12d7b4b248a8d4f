// Gitea's environment convention (CONTRACT §M.1; modules/setting/config_env.go and the cases of
// its config_env_test.go), and what loadConfig makes of GITEA__ variables: settings for every
// boot, or a configuration error naming the variable.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configDigest } from '../../src/boot/config-digest.ts';
import { decodeGiteaEnvName, decodeGiteaEnvSectionKey } from '../../src/config/gitea-env.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { secretValuesOf } from '../../src/config/types.ts';
import { ConfigError } from '../../src/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'gigi-gitea-env-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const section = (encoded: string) => {
  const { ok, section: s, key } = decodeGiteaEnvSectionKey(encoded);
  return { ok, section: s, key };
};

describe("Gitea's decodeEnvSectionKey / decodeEnvironmentKey (config_env_test.go)", () => {
  it('TestDecodeEnvSectionKey: the section lower-cased, the key as written, _0x2E_ decoded', () => {
    expect(section('SEC__KEY')).toEqual({ ok: true, section: 'sec', key: 'KEY' });
    expect(section('sec__key')).toEqual({ ok: true, section: 'sec', key: 'key' });
    expect(section('LOG_0x2E_CONSOLE__STDERR')).toEqual({ ok: true, section: 'log.console', key: 'STDERR' });
    expect(section('SEC')).toEqual({ ok: false, section: '', key: '' });
  });

  it('TestDecodeEnvironmentKey: the GITEA__ prefix and the __FILE suffix', () => {
    expect(decodeGiteaEnvName('SEC__KEY')).toBeUndefined();
    expect(decodeGiteaEnvName('GITEA__SEC__KEY')).toMatchObject({
      ok: true,
      section: 'sec',
      key: 'KEY',
      fromFile: false,
    });
    expect(decodeGiteaEnvName('GITEA__SEC__KEY__FILE')).toMatchObject({
      ok: true,
      section: 'sec',
      key: 'KEY',
      fromFile: true,
    });
  });

  it('the edge cases of CONTRACT §M.1', () => {
    // The suffix is taken off first: no key remains, Gitea ignores the variable.
    expect(decodeGiteaEnvName('GITEA__SEC__FILE')).toMatchObject({ ok: false, fromFile: true });
    // An empty section is the root section.
    expect(decodeGiteaEnvName('GITEA____KEY')).toMatchObject({ ok: true, section: '', key: 'KEY' });
    expect(decodeGiteaEnvName('GITEA____APP_NAME')).toMatchObject({ ok: true, section: '', key: 'APP_NAME' });
    expect(decodeGiteaEnvName('GITEA__server')).toMatchObject({ ok: false });
    expect(section('server__ROOT_URL')).toEqual({ ok: true, section: 'server', key: 'ROOT_URL' });
    // The key keeps its case: a new root_url key, not ROOT_URL.
    expect(section('server__root_url')).toEqual({ ok: true, section: 'server', key: 'root_url' });
    // Escapes decode wherever they are, upper or lower 0X, several bytes at once, in keys too.
    expect(section('repository_0X2E_pull_0x2D_request__WORK_0X2E_IN')).toEqual({
      ok: true,
      section: 'repository.pull-request',
      key: 'WORK.IN',
    });
    expect(section('A_0X2E2D_B__K')).toEqual({ ok: true, section: 'a.-b', key: 'K' });
    expect(section('highlight_0X2E_mapping___0X2E_toml')).toEqual({
      ok: true,
      section: 'highlight.mapping',
      key: '.toml',
    });
    // A decoded "_" does not split: the split is the first plain "__" outside an escape.
    expect(section('SEC_0X5F___KEY')).toEqual({ ok: true, section: 'sec_', key: 'KEY' });
    expect(section('SEC_0X5F_0X5F_KEY')).toEqual({ ok: false, section: '', key: '' });
    // Only the first plain "__" splits; later ones belong to the key.
    expect(section('SEC__A__B')).toEqual({ ok: true, section: 'sec', key: 'A__B' });
    // Not an escape (odd number of hex digits, no closing "_"): kept as written.
    expect(section('SEC__A_0X2_')).toEqual({ ok: true, section: 'sec', key: 'A_0X2_' });
    expect(section('SEC__A_0XZZ_')).toEqual({ ok: true, section: 'sec', key: 'A_0XZZ_' });
    // Multi-byte UTF-8 from escapes.
    expect(section('S__K_0XC3A9_')).toEqual({ ok: true, section: 's', key: 'Ké' });
    expect(decodeGiteaEnvSectionKey('S__K_0XC3_')).toMatchObject({ ok: false, invalidUtf8: true });
  });
});

async function issuesFor(env: Record<string, string>): Promise<readonly string[]> {
  try {
    await loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error('loadConfig accepted the environment');
}

describe('loadConfig and GITEA__ variables', () => {
  it('collects them as app.ini settings, values exactly as given, __FILE content minus one line end', async () => {
    const secretFile = file('secret-key', 'from-a-file\n');
    const { config } = await loadConfig({
      GITEA__server__ROOT_URL: 'https://prod.gigi.local/',
      GITEA__LOG_0x2E_CONSOLE__STDERR: 'true',
      GITEA____APP_NAME: 'Gigi #1; "the" `forge`',
      GITEA__security__SECRET_KEY__FILE: secretFile,
      GITEA__mailer__PASSWD__FILE: file('crlf', 'p@ss\r\n'),
      GITEA__ui__EMPTY: '',
    });
    expect(config.giteaIni).toEqual([
      {
        variable: 'GITEA__LOG_0x2E_CONSOLE__STDERR',
        section: 'log.console',
        key: 'STDERR',
        value: 'true',
        secret: false,
      },
      {
        variable: 'GITEA____APP_NAME',
        section: '',
        key: 'APP_NAME',
        value: 'Gigi #1; "the" `forge`',
        secret: false,
      },
      {
        variable: 'GITEA__mailer__PASSWD__FILE',
        section: 'mailer',
        key: 'PASSWD',
        value: 'p@ss',
        secret: true,
      },
      {
        variable: 'GITEA__security__SECRET_KEY__FILE',
        section: 'security',
        key: 'SECRET_KEY',
        value: 'from-a-file',
        secret: true,
      },
      {
        variable: 'GITEA__server__ROOT_URL',
        section: 'server',
        key: 'ROOT_URL',
        value: 'https://prod.gigi.local/',
        secret: false,
      },
      { variable: 'GITEA__ui__EMPTY', section: 'ui', key: 'EMPTY', value: '', secret: false },
    ]);
    // Secret values are redacted like gigi-boot's own secrets.
    expect(secretValuesOf(config)).toEqual(expect.arrayContaining(['from-a-file', 'p@ss']));
  });

  it('refuses what Gitea would skip or could not read back, naming the variable (exit 2), never the value', async () => {
    const issues = await issuesFor({
      GITEA__server: 'x',
      GITEA__SEC__FILE: '/nonexistent',
      GITEA__server__HTTP_PORT: '3000',
      GITEA__server__HTTP_ADDR: '127.0.0.1',
      GITEA__database__DB_TYPE: 'postgres',
      GITEA__security__INSTALL_LOCK: 'false',
      GITEA____RUN_USER: 'root',
      GITEA__webhook__SECRET__FILE: join(dir, 'missing'),
      GITEA__mailer__PASSWD: 'two\nlines-secret-value',
      GITEA__mailer__TWO__FILE: file('two-lines', 'a\n\n'),
      GITEA__ui__A_0X3D_B: 'x',
      GITEA__ui___0X23_X: 'x',
      GITEA__UI__THEMES: 'a',
      GITEA__ui__THEMES: 'b',
      GITEA__S_0X20_P__K: 'x',
      GITEA__S__K_0XFF_: 'x',
    });
    expect(issues).toEqual([
      expect.stringMatching(
        /^GITEA__SEC__FILE: names no app\.ini key \(Gitea would ignore it\): expected GITEA__section__KEY/,
      ),
      'GITEA__S_0X20_P__K: the section "s p" must be printable ASCII without spaces or brackets',
      'GITEA__S__K_0XFF_: its _0X.._ escapes decode to bytes that are not UTF-8 text',
      'GITEA____RUN_USER: RUN_USER (root section) is set by GIGI_BOOT_GITEA_USER (the OS user Gitea runs as); do not set it here',
      'GITEA__database__DB_TYPE: [database] DB_TYPE is set by gigi-boot (the internal Gitea uses sqlite3); do not set it here',
      'GITEA__mailer__PASSWD: the value contains a line break; app.ini values are single lines here',
      expect.stringMatching(/^GITEA__mailer__TWO__FILE: the file ".*two-lines" has more than one line/),
      'GITEA__security__INSTALL_LOCK: [security] INSTALL_LOCK is set by gigi-boot (always true: it installs Gitea itself); do not set it here',
      expect.stringMatching(/^GITEA__server: names no app\.ini key/),
      'GITEA__server__HTTP_ADDR: [server] HTTP_ADDR is set by GITEA_HTTP_ADDR; do not set it here',
      'GITEA__server__HTTP_PORT: [server] HTTP_PORT is set by GITEA_HTTP_PORT; do not set it here',
      'GITEA__ui__A_0X3D_B: the key must not contain "=" or ":" (they end a key in app.ini)',
      'GITEA__ui__THEMES and GITEA__UI__THEMES both set [ui] THEMES: Gitea would apply them in no defined order; set only one',
      'GITEA__ui___0X23_X: the key must not start with # ; [ ] " or a backtick',
      expect.stringMatching(/^GITEA__webhook__SECRET__FILE: cannot read the file ".*missing" \(ENOENT\)$/),
    ]);
    expect(issues.join('\n')).not.toContain('lines-secret-value');
  });

  it('are part of the config digest (a secret one only as a hash)', async () => {
    const base = (await loadConfig({})).config;
    const withTheme = (await loadConfig({ GITEA__ui__DEFAULT_THEME: 'gitea-light' })).config;
    const withSecret = (await loadConfig({ GITEA__mailer__PASSWD: 'hunter2-mail' })).config;
    expect(configDigest(withTheme)).not.toBe(configDigest(base));
    expect(configDigest(withSecret)).not.toBe(configDigest(base));
    expect(configDigest((await loadConfig({ GITEA__ui__DEFAULT_THEME: 'gitea-light' })).config)).toBe(
      configDigest(withTheme),
    );
  });

  it('warns about a name with one underscore after GITEA, which sets nothing', async () => {
    const { config, warnings } = await loadConfig({
      GITEA_server__ROOT_URL: 'https://x/',
      GITEA_HTTP_PORT: '3301',
    });
    expect(config.giteaIni).toEqual([]);
    expect(warnings).toContain(
      "GITEA_server__ROOT_URL is ignored: Gitea's settings are GITEA__section__KEY (two underscores after GITEA), e.g. GITEA__server__ROOT_URL",
    );
    expect(warnings.filter((w) => w.includes('GITEA_HTTP_PORT'))).toEqual([]);
  });

  it('are ignored, with a warning, with an external Gitea', async () => {
    const { config, warnings } = await loadConfig({
      GITEA_URL: 'https://git.example.com',
      ADMIN_PASSWORD: 'a-long-admin-secret',
      WEBHOOK_URL: 'http://gigi:3000/webhook/gitea',
      GITEA__ui__DEFAULT_THEME: 'gitea-light',
    });
    expect(config.giteaIni).toEqual([]);
    expect(warnings).toContain(
      'GITEA__ui__DEFAULT_THEME ignored: GITEA_URL selects an external Gitea, whose app.ini gigi-boot does not write',
    );
  });
});
