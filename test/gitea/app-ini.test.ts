import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
  chmodSync,
} from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureAppIni, generateSecretKey, type EnsureAppIniOptions } from '../../src/gitea/app-ini.ts';
import { getIniValue, parseIni, serialiseIni, setIniValue } from '../../src/gitea/ini.ts';
import { resolveRunAs } from '../../src/gitea/run-as.ts';
import { isBootError } from '../../src/errors.ts';
import { GITEA_TEST_USER } from '../support/system-users.ts';

const asRoot = userInfo().uid === 0;
const runUser = asRoot ? GITEA_TEST_USER : userInfo().username;
const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gigi-appini-'));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) {
    chmodSync(dir, 0o700);
    rmSync(dir, { recursive: true, force: true });
  }
});

function options(dir: string, extra: Partial<EnsureAppIniOptions> = {}): EnsureAppIniOptions {
  let calls = 0;
  return {
    path: join(dir, 'app.ini'),
    httpPort: 3300,
    dataDir: join(dir, 'gitea'),
    runUser,
    rootUrl: 'http://gitea.example:3300/',
    secretKeyGenerator: () => {
      calls += 1;
      return `generated-secret-${calls}`;
    },
    ...extra,
  };
}

describe('ini model', () => {
  it('round-trips comments, blank lines, order and odd spacing byte for byte', () => {
    const text = [
      '; top comment',
      'APP_NAME=My Gitea',
      '',
      '[server]',
      '# keep me',
      'DOMAIN  =  example.com',
      'SSH_PORT = 2222',
      '',
      '[mailer]',
      'ENABLED = false',
      '',
    ].join('\n');
    const doc = parseIni(text);
    expect(serialiseIni(doc)).toBe(text);
    expect(getIniValue(doc, 'server', 'DOMAIN')).toBe('example.com');
    expect(getIniValue(doc, '', 'APP_NAME')).toBe('My Gitea');
  });

  it('changes only the touched line and appends new keys and sections after existing ones', () => {
    const doc = parseIni('[server]\nDOMAIN = a\n\n[mailer]\nENABLED = false\n');
    expect(setIniValue(doc, 'server', 'DOMAIN', 'b')).toBe(true);
    expect(setIniValue(doc, 'server', 'HTTP_PORT', '3300')).toBe(true);
    expect(setIniValue(doc, 'server', 'HTTP_PORT', '3300')).toBe(false);
    setIniValue(doc, 'webhook', 'ALLOWED_HOST_LIST', 'loopback');
    setIniValue(doc, '', 'RUN_USER', 'gigi');
    expect(serialiseIni(doc)).toBe(
      'RUN_USER = gigi\n[server]\nDOMAIN = b\nHTTP_PORT = 3300\n\n[mailer]\nENABLED = false\n\n[webhook]\nALLOWED_HOST_LIST = loopback\n',
    );
  });

  it('unquotes values like go-ini, quotes values with edge spaces, and rejects newlines', () => {
    const doc = parseIni('[a]\nX = "quoted"\nY = `tick`\n');
    expect(getIniValue(doc, 'a', 'X')).toBe('quoted');
    expect(getIniValue(doc, 'a', 'Y')).toBe('tick');
    setIniValue(doc, 'a', 'Z', ' padded ');
    expect(getIniValue(parseIni(serialiseIni(doc)), 'a', 'Z')).toBe(' padded ');
    expect(() => setIniValue(doc, 'a', 'W', 'two\nlines')).toThrow(/single line/);
  });
});

describe('ensureAppIni', () => {
  it('creates a complete app.ini, 0600, owned by the run user, with a generated SECRET_KEY', async () => {
    const dir = tempDir();
    const result = await ensureAppIni(options(dir));
    expect(result.action).toBe('created');
    const path = join(dir, 'app.ini');
    const doc = parseIni(readFileSync(path, 'utf8'));
    expect(getIniValue(doc, 'security', 'INSTALL_LOCK')).toBe('true');
    expect(getIniValue(doc, 'security', 'SECRET_KEY')).toBe('generated-secret-1');
    expect(getIniValue(doc, 'database', 'DB_TYPE')).toBe('sqlite3');
    expect(getIniValue(doc, 'database', 'PATH')).toBe(join(dir, 'gitea', 'data', 'gitea.db'));
    expect(getIniValue(doc, 'server', 'HTTP_ADDR')).toBe('0.0.0.0');
    expect(getIniValue(doc, 'server', 'HTTP_PORT')).toBe('3300');
    expect(getIniValue(doc, 'server', 'ROOT_URL')).toBe('http://gitea.example:3300/');
    expect(getIniValue(doc, 'server', 'APP_DATA_PATH')).toBe(join(dir, 'gitea', 'data'));
    expect(getIniValue(doc, 'server', 'LFS_START_SERVER')).toBe('false');
    expect(getIniValue(doc, '', 'RUN_USER')).toBe(runUser);
    expect(getIniValue(doc, '', 'WORK_PATH')).toBe(join(dir, 'gitea'));
    // The bash entrypoint's list for a new file (test/gitea/app-ini-seed.test.ts has the rest).
    expect(getIniValue(doc, 'webhook', 'ALLOWED_HOST_LIST')).toBe('*');
    // The result names keys, never values: SECRET_KEY's value must not leak into the journal.
    expect(result.changedKeys).toContain('security.SECRET_KEY');
    expect(JSON.stringify(result)).not.toContain('generated-secret');
    const info = statSync(path);
    expect(info.mode & 0o777).toBe(0o600);
    const expected = await resolveRunAs(runUser);
    expect(info.uid).toBe(expected.uid);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('keeps the operator keys, comments and SECRET_KEY, and sets only ours', async () => {
    const dir = tempDir();
    const path = join(dir, 'app.ini');
    writeFileSync(
      path,
      [
        '# operator notes',
        'APP_NAME = Team Forge',
        '',
        '[server]',
        'SSH_DOMAIN = git.team.example',
        'HTTP_PORT = 80',
        'START_SSH_SERVER = true',
        'SSH_LISTEN_PORT = 2222',
        '',
        '[security]',
        'SECRET_KEY = operator-secret',
        '',
        '[webhook]',
        'ALLOWED_HOST_LIST = private',
        '',
      ].join('\n'),
      { mode: 0o644 },
    );
    const result = await ensureAppIni(options(dir));
    expect(result.action).toBe('updated');
    const text = readFileSync(path, 'utf8');
    expect(text.startsWith('# operator notes\nAPP_NAME = Team Forge\n')).toBe(true);
    const doc = parseIni(text);
    expect(getIniValue(doc, 'server', 'SSH_DOMAIN')).toBe('git.team.example');
    expect(getIniValue(doc, 'server', 'HTTP_PORT')).toBe('3300');
    expect(getIniValue(doc, 'server', 'START_SSH_SERVER')).toBe('true');
    expect(getIniValue(doc, 'server', 'SSH_LISTEN_PORT')).toBe('2222');
    expect(getIniValue(doc, 'security', 'SECRET_KEY')).toBe('operator-secret');
    expect(getIniValue(doc, 'webhook', 'ALLOWED_HOST_LIST')).toBe('private,loopback');
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('is a no-op on re-run: same bytes, SECRET_KEY generated once, keys Gitea wrote back kept', async () => {
    const dir = tempDir();
    const opts = options(dir);
    await ensureAppIni(opts);
    const path = join(dir, 'app.ini');
    // What Gitea does on first start: re-read, add INTERNAL_TOKEN and JWT_SECRET, rewrite.
    const doc = parseIni(readFileSync(path, 'utf8'));
    setIniValue(doc, 'security', 'INTERNAL_TOKEN', 'written-by-gitea');
    setIniValue(doc, 'oauth2', 'JWT_SECRET', `J${'w'.repeat(42)}`);
    writeFileSync(path, serialiseIni(doc));
    const before = readFileSync(path, 'utf8');
    const again = await ensureAppIni(opts);
    expect(again).toEqual({ action: 'unchanged', changedKeys: [] });
    expect(readFileSync(path, 'utf8')).toBe(before);
    expect(before).toContain('SECRET_KEY = generated-secret-1');
  });

  it('repairs owner and mode when the content already matches', async () => {
    const dir = tempDir();
    await ensureAppIni(options(dir));
    const path = join(dir, 'app.ini');
    chmodSync(path, 0o666);
    const again = await ensureAppIni(options(dir));
    expect(again.action).toBe('unchanged');
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('refuses bad settings with errors that name them', async () => {
    const dir = tempDir();
    const error = await ensureAppIni(options(dir, { httpPort: 70000, rootUrl: 'not a url' })).catch(
      (e: unknown) => e,
    );
    expect(isBootError(error)).toBe(true);
    expect(String((error as Error).message)).toMatch(/GITEA_HTTP_PORT/);
    expect(String((error as Error).message)).toMatch(/ROOT_URL/);
  });

  it('reports a missing parent directory with the path and the fix, writing nothing', async () => {
    const dir = tempDir();
    const missing = join(dir, 'no', 'such');
    const error = await ensureAppIni(options(dir, { path: join(missing, 'app.ini') })).catch(
      (e: unknown) => e,
    );
    expect(isBootError(error)).toBe(true);
    expect((error as Error).message).toContain(join(missing, 'app.ini'));
    expect((error as { hint?: string }).hint).toMatch(/Create/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('reports a directory it cannot write with the path and the fix', async () => {
    // Root ignores file modes, so as root use sysfs, which nobody may create files in.
    const dir = tempDir();
    let target = '/sys/app.ini';
    if (!asRoot) {
      const locked = join(dir, 'locked');
      target = join(locked, 'app.ini');
      mkdirSync(locked, { mode: 0o500 });
    }
    const error = await ensureAppIni(options(dir, { path: target })).catch((e: unknown) => e);
    expect(isBootError(error)).toBe(true);
    expect((error as Error).message).toContain(target);
    expect((error as Error).message).toMatch(/not writable/);
    expect((error as { hint?: string }).hint).toMatch(/writable/);
  });

  it('generates SECRET_KEYs shaped like gitea generate secret SECRET_KEY', () => {
    const a = generateSecretKey();
    expect(a).toMatch(/^[A-Za-z0-9]{64}$/);
    expect(generateSecretKey()).not.toBe(a);
  });
});
