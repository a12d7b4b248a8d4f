// Bad input through the real `gigi-boot` process: every mistake an operator can make in the
// environment, the arguments, the database URL, the Gitea binary or the data dir must end
// with a message naming the setting and what is expected, the documented exit code, and
// nothing half-written. "Nothing written" means, precisely:
//   - configuration errors (exit 2, from loadConfig or preflight): the database has none of
//     gigi-boot's tables (the CLI never connected), and the data dir is exactly as the test
//     left it (no volume id, no gigi-boot/ dir, no app.ini);
//   - store failures (exit 1, Postgres unreachable or missing): no app.ini, no gigi-boot/ dir;
//     only the volume's identity file may exist (it is written before the store opens, and
//     is the volume's permanent id, not boot progress).
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { bootEnv, CLI, REPO_ROOT, runCli, SIMULATOR_BIN, type CliResult } from '../support/boot-process.ts';
import { testServerUrl } from '../support/env.ts';
import { readConfigTable } from '../support/gitea-state.ts';
import { createTestDatabase, freePort } from '../support/postgres.ts';
import { CONFIG_CORPUS, corpusScratchDir } from '../support/config-corpus.ts';
import { spawn } from 'node:child_process';

const BOOT_TABLES = ['gigi_boot_schema_migrations', 'gigi_boot_runs', 'gigi_boot_journal', 'config'];
/** Concurrent CLI runs on a loaded 2-core machine: each can take well over the default timeout. */
const SLOW_MACHINE_TIMEOUT = 180_000;

/** gigi-boot's tables that exist in this database, with their row counts. */
async function bootTables(databaseUrl: string): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const found: Record<string, number> = {};
    for (const table of BOOT_TABLES) {
      const { rows } = await client.query<{ exists: boolean }>(
        'select to_regclass($1) is not null as exists',
        [`public.${table}`],
      );
      if (!rows[0]?.exists) continue;
      const count = await client.query<{ n: string }>(`select count(*)::text as n from ${table}`);
      found[table] = Number(count.rows[0]?.n);
    }
    return found;
  } finally {
    await client.end();
  }
}

/** Every path under dir, relative, sorted. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      out.push(relative(dir, full));
      if (entry.isDirectory()) walk(full);
    }
  };
  walk(dir);
  return out.sort();
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The issue lines of a ConfigError as printed by the CLI ("  - NAME: message"). */
function issueLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('  - '));
}

/** A fresh database, and a data dir that does not exist yet: a configuration error must not create it. */
async function configEnv(extra: Record<string, string>): Promise<Record<string, string>> {
  const env = await bootEnv({ databaseUrl: await createTestDatabase(testServerUrl(), 'bad'), extra });
  if (!('GIGI_DATA_DIR' in extra)) env.GIGI_DATA_DIR = join(env.GIGI_DATA_DIR!, 'volume');
  return env;
}

/** Exit 2, each named variable on an issue line, and nothing written. */
async function expectConfigRejected(
  env: Record<string, string>,
  expected: Array<[setting: string, what: string | RegExp]>,
): Promise<CliResult> {
  const result = await runCli(['run', '--no-handoff'], env);
  expect(result.stderr).toContain('Invalid configuration');
  const lines = issueLines(result.stderr);
  for (const [setting, what] of expected) {
    const line = lines.find((l) => l.startsWith(`  - ${setting}`));
    expect(line, `no issue line for ${setting} in:\n${result.stderr}`).toBeDefined();
    if (typeof what === 'string') expect(line).toContain(what);
    else expect(line).toMatch(what);
  }
  expect(result.code, result.stderr).toBe(EXIT.config);
  await expectNothingWritten(env);
  return result;
}

/** No table in the database; the data dir as it was (`before`), or still absent (configEnv's). */
async function expectNothingWritten(env: Record<string, string>, dataDirBefore?: string[]) {
  expect(await bootTables(env.DATABASE_URL!)).toEqual({});
  if (dataDirBefore === undefined)
    expect(existsSync(env.GIGI_DATA_DIR!), `${env.GIGI_DATA_DIR} was created`).toBe(false);
  else expect(tree(env.GIGI_DATA_DIR!)).toEqual(dataDirBefore);
}

describe.concurrent(
  'invalid variables through the CLI → exit 2, each variable named, nothing written',
  { timeout: SLOW_MACHINE_TIMEOUT },
  () => {
    it('a port out of range', async () => {
      await expectConfigRejected(await configEnv({ GITEA_HTTP_PORT: '70000' }), [
        ['GITEA_HTTP_PORT', 'expected an integer port 1-65535, got "70000"'],
      ]);
    });

    it('a URL that is not one', async () => {
      await expectConfigRejected(await configEnv({ WEBHOOK_URL: 'localhost:3000/webhook' }), [
        ['WEBHOOK_URL', 'expected an http:// or https:// URL'],
      ]);
    });

    it('an ADMIN_USER Gitea would refuse (reserved name, bad characters)', async () => {
      const result = await expectConfigRejected(await configEnv({ ADMIN_USER: 'api', ORG_NAME: 'my..org' }), [
        ['ADMIN_USER', /expected a Gitea user\/org name: .*reserves; got "api"/],
        ['ORG_NAME', 'expected a Gitea user/org name'],
      ]);
      expect(issueLines(result.stderr)).toHaveLength(2);
    });

    it('an insecure ADMIN_PASSWORD for an external Gitea, without echoing it', async () => {
      const result = await expectConfigRejected(
        await configEnv({ GITEA_URL: 'http://127.0.0.1:9', ADMIN_PASSWORD: 'gigi-local-dev' }),
        [['ADMIN_PASSWORD', 'is a well-known default; choose a unique one (value not shown)']],
      );
      expect(result.stderr).not.toContain('gigi-local-dev');
    });

    it('a too short ADMIN_PASSWORD, without echoing it', async () => {
      const result = await expectConfigRejected(
        await configEnv({ GITEA_URL: 'http://127.0.0.1:9', ADMIN_PASSWORD: 'Sh0rt-pw!x' }),
        [['ADMIN_PASSWORD', 'expected at least 12 characters (value not shown)']],
      );
      expect(result.stderr).not.toContain('Sh0rt-pw!x');
    });

    it('an external Gitea on another host with a localhost WEBHOOK_URL (set, or the default)', async () => {
      const external = { GITEA_URL: 'https://git.example.com', ADMIN_PASSWORD: 'a-perfectly-fine-Passw0rd' };
      await expectConfigRejected(await configEnv(external), [
        ['WEBHOOK_URL', /external Gitea at git\.example\.com .*not localhost:3000 .*this is the default/],
      ]);
      await expectConfigRejected(
        await configEnv({ ...external, WEBHOOK_URL: 'http://127.0.0.1:3000/hook' }),
        [['WEBHOOK_URL', 'set WEBHOOK_URL, e.g. http://gigi:3000/webhook/gitea']],
      );
    });

    it('ADMIN_PASSWORD without GITEA_URL, without echoing it', async () => {
      const password = 'a-perfectly-fine-Passw0rd';
      const result = await expectConfigRejected(await configEnv({ ADMIN_PASSWORD: password }), [
        ['ADMIN_PASSWORD', 'is only used with an external Gitea (GITEA_URL)'],
      ]);
      expect(result.stderr).not.toContain(password);
    });

    it('X and X_FILE both set', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gigi-bad-secret-'));
      const file = join(dir, 'telegram');
      writeFileSync(file, 'telegram-from-the-file-123\n');
      const result = await expectConfigRejected(
        await configEnv({ TELEGRAM_TOKEN: 'telegram-from-the-env-456', TELEGRAM_TOKEN_FILE: file }),
        [['TELEGRAM_TOKEN and TELEGRAM_TOKEN_FILE are both set', 'set only one of them']],
      );
      expect(result.stderr).not.toContain('telegram-from-the-file-123');
      expect(result.stderr).not.toContain('telegram-from-the-env-456');
    });

    it('an unreadable X_FILE (missing, a directory)', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gigi-bad-secret-'));
      const missing = join(dir, 'no-such-file');
      await expectConfigRejected(await configEnv({ CLAUDE_TOKEN_FILE: missing, TELEGRAM_TOKEN_FILE: dir }), [
        ['CLAUDE_TOKEN_FILE', `cannot read the file ${JSON.stringify(missing)} (ENOENT)`],
        ['TELEGRAM_TOKEN_FILE', `cannot read the file ${JSON.stringify(dir)} (EISDIR)`],
      ]);
    });

    it('an X_FILE that is a FIFO (no hang) or 133 MiB (not stored)', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gigi-bad-secret-'));
      const fifo = join(dir, 'fifo');
      execFileSync('mkfifo', [fifo]);
      const big = join(dir, 'big');
      writeFileSync(big, 'x');
      truncateSync(big, 133 * 1024 * 1024);
      await expectConfigRejected(await configEnv({ TELEGRAM_TOKEN_FILE: fifo, CLAUDE_TOKEN_FILE: big }), [
        [
          'TELEGRAM_TOKEN_FILE',
          `the file ${JSON.stringify(fifo)} is a FIFO (named pipe); expected a regular file`,
        ],
        ['CLAUDE_TOKEN_FILE', 'is larger than the 64 KiB limit of a secret file (133 MiB)'],
      ]);
    });

    it('an X_FILE with a NUL byte or bytes that are not UTF-8, content never shown', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gigi-bad-secret-'));
      const nul = join(dir, 'nul');
      writeFileSync(nul, 'nul-secret-part\0tail\n');
      const latin1 = join(dir, 'latin1');
      writeFileSync(latin1, Buffer.from('caf\xe9-latin-secret\n', 'latin1'));
      const result = await expectConfigRejected(
        await configEnv({ TELEGRAM_TOKEN_FILE: nul, CLAUDE_TOKEN_FILE: latin1 }),
        [
          ['TELEGRAM_TOKEN_FILE', 'contains a NUL byte; expected the secret as text'],
          ['CLAUDE_TOKEN_FILE', 'is not valid UTF-8; expected the secret as UTF-8 text'],
        ],
      );
      expect(result.stdout + result.stderr).not.toMatch(/secret-part|latin-secret/);
    });

    it('a WEBHOOK_URL with a newline inside (the URL parser would drop it)', async () => {
      await expectConfigRejected(
        await configEnv({ WEBHOOK_URL: 'http://gigi\n.attacker.example:3000/webhook/gitea' }),
        [['WEBHOOK_URL', 'on one line, without control characters; got "http://gigi\\n.attacker']],
      );
    });

    it('a WEBHOOK_URL on 0.0.0.0 or [::] at the internal Gitea port', async () => {
      for (const host of ['0.0.0.0', '[::]']) {
        const env = await configEnv({});
        env.WEBHOOK_URL = `http://${host}:${env.GITEA_HTTP_PORT}/webhook/gitea`;
        await expectConfigRejected(env, [
          [
            'GITEA_HTTP_PORT',
            `must differ from the port of the local WEBHOOK_URL receiver (${env.GITEA_HTTP_PORT})`,
          ],
        ]);
      }
    });

    it('a GIGI_BOOT_FAILPOINTS that is not STEP=TERM (an unknown step, an unknown term)', async () => {
      await expectConfigRejected(await configEnv({ GIGI_BOOT_FAILPOINTS: 'createOrg=explode' }), [
        [
          'GIGI_BOOT_FAILPOINTS',
          /expected STEP=TERM\[->TERM…\] entries .*; createOrg: unknown term "explode"/,
        ],
      ]);
      await expectConfigRejected(await configEnv({ GIGI_BOOT_FAILPOINTS: 'makeCoffee=crash' }), [
        ['GIGI_BOOT_FAILPOINTS', '"makeCoffee=crash" does not start with a boot step and "="'],
      ]);
    });

    it('GITEA__ variables Gitea would skip, could not read back, or that gigi-boot owns; a value never shown', async () => {
      const result = await expectConfigRejected(
        await configEnv({
          GITEA__server: 'no-key',
          GITEA__server__HTTP_PORT: '3000',
          GITEA__mailer__PASSWD: 'first-line\nsecond-line-secret',
          GITEA__security__SECRET_KEY__FILE: '/nonexistent/secret-key',
        }),
        [
          ['GITEA__server', 'names no app.ini key (Gitea would ignore it)'],
          ['GITEA__server__HTTP_PORT', '[server] HTTP_PORT is set by GITEA_HTTP_PORT; do not set it here'],
          ['GITEA__mailer__PASSWD', 'the value contains a line break'],
          ['GITEA__security__SECRET_KEY__FILE', 'cannot read the file "/nonexistent/secret-key" (ENOENT)'],
        ],
      );
      expect(result.stdout + result.stderr).not.toContain('second-line-secret');
    });

    it('several at once → every one listed in one message', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gigi-bad-secret-'));
      const result = await expectConfigRejected(
        await configEnv({
          GITEA_HTTP_PORT: '0',
          WEBHOOK_URL: 'ftp://example.com/hook',
          ADMIN_USER: '-admin',
          ADMIN_PASSWORD: 'password',
          CLAUDE_TOKEN_FILE: join(dir, 'missing'),
          GIGI_BOOT_STEP_ATTEMPTS: 'lots',
          GIGI_BOOT_LOCK_TIMEOUT: 'forever',
          GITEA_BIN: 'usr/local/bin/gitea',
          GIGI_BOOT_RUN_DIR: 'run/gigi-boot',
        }),
        [
          ['GITEA_HTTP_PORT', 'expected an integer port 1-65535, got "0"'],
          ['WEBHOOK_URL', 'expected an http:// or https:// URL, got "ftp://example.com/hook"'],
          ['ADMIN_USER', 'expected a Gitea user/org name'],
          ['ADMIN_PASSWORD', 'value not shown'],
          ['CLAUDE_TOKEN_FILE', 'cannot read the file'],
          ['GIGI_BOOT_STEP_ATTEMPTS', 'expected an integer 1-100, got "lots"'],
          ['GIGI_BOOT_LOCK_TIMEOUT', 'expected a duration'],
          [
            'GITEA_BIN',
            'expected an absolute path (starting with "/", no control characters), got "usr/local/bin/gitea"',
          ],
          [
            'GIGI_BOOT_RUN_DIR',
            'expected an absolute path (starting with "/", no control characters), got "run/gigi-boot"',
          ],
        ],
      );
      // ADMIN_PASSWORD is both well-known and set without GITEA_URL: two issues for it.
      expect(issueLines(result.stderr).length).toBeGreaterThanOrEqual(8);
      expect(result.stderr).not.toMatch(/"password"/);
    });
  },
);

describe.concurrent(
  'CLI usage errors → exit 2 with usage, nothing written',
  { timeout: SLOW_MACHINE_TIMEOUT },
  () => {
    it('an unknown command', async () => {
      const env = await configEnv({});
      const result = await runCli(['frobnicate'], env);
      expect(result.code).toBe(EXIT.config);
      expect(result.stderr).toContain('unknown command "frobnicate"');
      expect(result.stderr).toContain('Usage:');
      expect(result.stderr).toContain('gigi-boot run [--no-handoff]');
      await expectNothingWritten(env);
    });

    it('no command at all', async () => {
      const env = await configEnv({});
      const result = await runCli([], env);
      expect(result.code).toBe(EXIT.config);
      expect(result.stderr).toContain('Usage:');
      await expectNothingWritten(env);
    });

    it('an unknown flag of run, and a stray argument', async () => {
      const env = await configEnv({});
      const flag = await runCli(['run', '--frobnicate'], env);
      expect(flag.code).toBe(EXIT.config);
      expect(flag.stderr).toContain("'--frobnicate'");
      expect(flag.stderr).toContain('Usage: gigi-boot run [--no-handoff]');
      const positional = await runCli(['run', 'now'], env);
      expect(positional.code).toBe(EXIT.config);
      expect(positional.stderr).toContain('now');
      expect(positional.stderr).toContain('Usage: gigi-boot run [--no-handoff]');
      await expectNothingWritten(env);
    });

    it('an unknown flag of inspect', async () => {
      const env = await configEnv({});
      const result = await runCli(['inspect', '--jsn'], env);
      expect(result.code).toBe(EXIT.config);
      expect(result.stderr).toContain("'--jsn'");
      expect(result.stderr).toMatch(/Usage: gigi-boot inspect .*--json/);
      await expectNothingWritten(env);
    });
  },
);

describe.concurrent(
  'visualize --out that cannot be written → exit 2 naming --out, nothing written',
  { timeout: SLOW_MACHINE_TIMEOUT },
  () => {
    it('a directory that does not exist, a file where the directory should be, a directory as the file', async () => {
      const env = await configEnv({});
      const scratch = mkdtempSync(join(tmpdir(), 'gigi-bad-out-'));
      const aFile = join(scratch, 'plain-file');
      writeFileSync(aFile, 'x');
      mkdirSync(join(scratch, 'taken.html'));
      const cases: Array<[out: string, what: string]> = [
        ['/missing/dir/x.html', 'the directory /missing/dir does not exist'],
        [join(aFile, 'x.html'), `${aFile} is not a directory`],
        [join(scratch, 'taken.html'), `${join(scratch, 'taken.html')} is a directory`],
      ];
      for (const [out, what] of cases) {
        const result = await runCli(['visualize', '--out', out], env);
        expect(result.code, result.stderr).toBe(EXIT.config);
        expect(issueLines(result.stderr)).toEqual([
          `  - --out ${out}: ${what}; expected a file in an existing, writable directory`,
        ]);
        expect(result.stderr).not.toMatch(/\bat \S+:\d+:\d+/); // no stack: not an internal error
      }
      expect(existsSync('/missing')).toBe(false);
      expect(readdirSync(scratch).sort()).toEqual(['plain-file', 'taken.html']);
      await expectNothingWritten(env);
    });
  },
);

describe.concurrent(
  'a DATABASE_URL that does not lead to a database → store failure, exit 1, password never printed',
  { timeout: SLOW_MACHINE_TIMEOUT },
  () => {
    const password = 'Db-S3cret:p@ss/word';
    // The test cluster trusts every connection: the password is carried, never checked.
    const withPassword = (host: string, port: number, db: string) =>
      `postgres://postgres:${encodeURIComponent(password)}@${host}:${port}/${db}`;

    function expectPasswordHidden(result: CliResult) {
      const all = result.stdout + result.stderr;
      expect(all).not.toContain(password);
      expect(all).not.toContain(encodeURIComponent(password));
      expect(all).not.toContain('S3cret');
    }

    function expectNoBootProgress(dataDir: string) {
      // The store is opened before anything touches the volume: not even its identity is written.
      expect(tree(dataDir)).toEqual([]);
    }

    it('a closed port', async () => {
      const port = await freePort();
      const env = await bootEnv({
        databaseUrl: withPassword('127.0.0.1', port, 'gigi'),
        extra: { GIGI_BOOT_DATABASE_TIMEOUT: '1s' },
      });
      const result = await runCli(['run', '--no-handoff'], env);
      expect(result.code, result.stderr).toBe(EXIT.failed);
      // It retried for GIGI_BOOT_DATABASE_TIMEOUT before giving up, and said so.
      expect(result.stdout).toContain('GIGI_BOOT_DATABASE_TIMEOUT');
      expect(result.stderr).toContain(`Cannot connect to Postgres at 127.0.0.1:${port}`);
      expect(result.stderr).toContain('connection refused (ECONNREFUSED)');
      expect(result.stderr).toContain('DATABASE_URL=postgres://postgres:***@');
      expect(result.stderr).toMatch(/→ Start Postgres, or fix the host\/port in DATABASE_URL/);
      expectPasswordHidden(result);
      expectNoBootProgress(env.GIGI_DATA_DIR!);

      // inspect is read-only: the volume records no boot, so it opens no database and says so.
      const inspect = await runCli(['inspect'], env);
      expect(inspect.code, inspect.stderr).toBe(EXIT.noBoot);
      expectPasswordHidden(inspect);
    });

    it('a closed port, with the password in the query string instead', async () => {
      const port = await freePort();
      const env = await bootEnv({
        databaseUrl: `postgresql://postgres@127.0.0.1:${port}/gigi?password=${encodeURIComponent(password)}&sslmode=disable`,
        extra: { GIGI_BOOT_DATABASE_TIMEOUT: '0' },
      });
      const result = await runCli(['run', '--no-handoff'], env);
      expect(result.code, result.stderr).toBe(EXIT.failed);
      expect(result.stderr).toContain(`Cannot connect to Postgres at 127.0.0.1:${port}`);
      expect(result.stderr).toContain('?password=***&sslmode=disable');
      expectPasswordHidden(result);
      expectNoBootProgress(env.GIGI_DATA_DIR!);
    });

    it('a database that does not exist on a reachable server', async () => {
      const server = new URL(testServerUrl());
      const env = await bootEnv({
        databaseUrl: withPassword(server.hostname, Number(server.port), 'no_such_database_here'),
      });
      const result = await runCli(['run', '--no-handoff'], env);
      expect(result.code, result.stderr).toBe(EXIT.failed);
      expect(result.stderr).toContain('database "no_such_database_here" does not exist');
      expect(result.stderr).toContain('createdb no_such_database_here');
      expectPasswordHidden(result);
      expectNoBootProgress(env.GIGI_DATA_DIR!);
    });

    it('a DATABASE_URL that is not a postgres URL is a configuration error (exit 2), not shown', async () => {
      const env = await configEnv({});
      env.DATABASE_URL = `mysql://root:${encodeURIComponent(password)}@127.0.0.1/gigi`;
      const result = await runCli(['run', '--no-handoff'], env);
      expect(result.code).toBe(EXIT.config);
      expect(result.stderr).toContain('DATABASE_URL: expected a postgres:// or postgresql:// URL');
      expectPasswordHidden(result);
      expect(existsSync(env.GIGI_DATA_DIR!)).toBe(false);
    });
  },
);

describe.concurrent(
  'preflight: the Gitea binary → exit 2, nothing written',
  { timeout: SLOW_MACHINE_TIMEOUT },
  () => {
    it('GITEA_BIN missing', async () => {
      const bin = join(mkdtempSync(join(tmpdir(), 'gigi-bad-bin-')), 'gitea');
      const env = await configEnv({ GITEA_BIN: bin });
      const result = await runCli(['run', '--no-handoff'], env);
      expect(result.code, result.stderr).toBe(EXIT.config);
      expect(issueLines(result.stderr)).toEqual([
        `  - GITEA_BIN: ${bin} does not exist or is not executable; expected the path of the gitea binary (or set GITEA_URL to use an external Gitea)`,
      ]);
      await expectNothingWritten(env);
    });

    it('GITEA_BIN not executable', async () => {
      const bin = join(mkdtempSync(join(tmpdir(), 'gigi-bad-bin-')), 'gitea');
      writeFileSync(bin, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
      const env = await configEnv({ GITEA_BIN: bin });
      const result = await runCli(['run', '--no-handoff'], env);
      expect(result.code, result.stderr).toBe(EXIT.config);
      expect(result.stderr).toContain(`GITEA_BIN: ${bin} does not exist or is not executable`);
      await expectNothingWritten(env);
    });

    it('GITEA_BIN is a directory', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gigi-bad-bin-'));
      const env = await configEnv({ GITEA_BIN: dir });
      const result = await runCli(['run', '--no-handoff'], env);
      expect(result.code, result.stderr).toBe(EXIT.config);
      expect(result.stderr).toContain(`GITEA_BIN: ${dir} is not a file; expected the gitea executable`);
      await expectNothingWritten(env);
    });
  },
);

/** A directory only root can enter (mkdtemp makes it 0700, owned by root). */
const rootOnlyDir = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

describe.concurrent(
  'preflight as root: what the Gitea run user needs → exit 2, nothing written, not even the data dir',
  { timeout: SLOW_MACHINE_TIMEOUT },
  () => {
    it('GIGI_BOOT_GITEA_USER=root', async () => {
      const result = await expectConfigRejected(await configEnv({ GIGI_BOOT_GITEA_USER: 'root' }), [
        ['GIGI_BOOT_GITEA_USER', '"root" is root; Gitea refuses to run as root'],
      ]);
      expect(result.stderr).toContain('Set GIGI_BOOT_GITEA_USER to an unprivileged user such as gigi.');
    });

    it('GIGI_BOOT_GITEA_USER that does not exist (also with an external Gitea: programs run as it)', async () => {
      await expectConfigRejected(await configEnv({ GIGI_BOOT_GITEA_USER: 'no-such-user-h5' }), [
        ['GIGI_BOOT_GITEA_USER', 'OS user "no-such-user-h5" does not exist'],
      ]);
      await expectConfigRejected(
        await configEnv({
          GIGI_BOOT_GITEA_USER: 'no-such-user-h5',
          GITEA_URL: 'http://127.0.0.1:9',
          ADMIN_PASSWORD: 'an-admin-Passw0rd-long',
        }),
        [['GIGI_BOOT_GITEA_USER', 'OS user "no-such-user-h5" does not exist']],
      );
    });

    it('a GITEA_BIN root can run but the run user cannot (in a directory only root can enter)', async () => {
      const bin = join(rootOnlyDir('gigi-bad-bin-'), 'gitea');
      symlinkSync(SIMULATOR_BIN, bin);
      await expectConfigRejected(await configEnv({ GITEA_BIN: bin }), [
        [
          'GITEA_BIN',
          `${bin} cannot be executed by the Gitea run user gigi (GIGI_BOOT_GITEA_USER); expected a binary that user can execute`,
        ],
      ]);
    });

    it('a data dir the run user cannot enter: the dir itself, or a directory above a new one', async () => {
      const dataDir = rootOnlyDir('gigi-bad-data-');
      const env = await configEnv({ GIGI_DATA_DIR: dataDir });
      const result = await runCli(['run', '--no-handoff'], env);
      expect(result.code, result.stderr).toBe(EXIT.config);
      expect(issueLines(result.stderr)).toEqual([
        `  - GIGI_DATA_DIR: ${dataDir} cannot be entered by the Gitea run user gigi (GIGI_BOOT_GITEA_USER); expected a directory that user can traverse (chmod o+x, or a group of gigi)`,
      ]);
      await expectNothingWritten(env, []);

      const below = join(rootOnlyDir('gigi-bad-data-'), 'volume');
      const nested = await configEnv({ GIGI_DATA_DIR: below });
      const second = await runCli(['run', '--no-handoff'], nested);
      expect(second.code, second.stderr).toBe(EXIT.config);
      expect(issueLines(second.stderr)).toEqual([
        expect.stringContaining(
          `  - GIGI_DATA_DIR: ${dirname(below)} (above ${below}) cannot be entered by the Gitea run user gigi`,
        ),
      ]);
      await expectNothingWritten(nested);
    });

    it('app.ini that is a directory (or a FIFO): named, left alone', async () => {
      for (const make of [
        (path: string) => mkdirSync(path),
        (path: string) => execFileSync('mkfifo', [path]),
      ]) {
        const env = await configEnv({});
        const appIni = join(env.GIGI_DATA_DIR!, 'gitea', 'custom', 'conf', 'app.ini');
        mkdirSync(dirname(appIni), { recursive: true });
        make(appIni);
        const before = tree(env.GIGI_DATA_DIR!);
        const result = await runCli(['run', '--no-handoff'], env);
        expect(result.code, result.stderr).toBe(EXIT.config);
        expect(issueLines(result.stderr)).toEqual([
          expect.stringMatching(
            new RegExp(
              `^  - app\\.ini: ${escapeRegExp(appIni)} is a (directory|FIFO \\(named pipe\\)); expected Gitea's config file \\(remove it`,
            ),
          ),
        ]);
        await expectNothingWritten(env, before);
      }
    });

    it('several preflight problems at once, each named, and the data dir still not created', async () => {
      const env = await configEnv({ GIGI_BOOT_GITEA_USER: 'root', GITEA_BIN: '/nonexistent/gitea' });
      const result = await expectConfigRejected(env, [
        ['GIGI_BOOT_GITEA_USER', 'is root'],
        ['GITEA_BIN', '/nonexistent/gitea does not exist or is not executable'],
      ]);
      expect(issueLines(result.stderr)).toHaveLength(2);
    });
  },
);

/** `gigi-boot run` as the unprivileged gigi user, the way a non-root container runs it. */
function runAsGigi(env: Record<string, string>): Promise<CliResult> {
  return new Promise<CliResult>((resolveRun) => {
    const child = spawn(
      'setpriv',
      ['--reuid=gigi', '--regid=gigi', '--init-groups', '--', process.execPath, CLI, 'run', '--no-handoff'],
      { env: { ...env, GIGI_BOOT_GITEA_USER: 'gigi' }, cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('close', (code, signal) => resolveRun({ code, signal, stdout, stderr }));
  });
}

/** A data dir whose every level down to gitea/custom/conf is owned by gigi. */
async function gigiOwnedVolume(): Promise<{ env: Record<string, string>; confDir: string }> {
  const uid = Number(execFileSync('id', ['-u', 'gigi']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'gigi']).toString().trim());
  const env = await configEnv({});
  const dataDir = env.GIGI_DATA_DIR!;
  const confDir = join(dataDir, 'gitea', 'custom', 'conf');
  mkdirSync(confDir, { recursive: true });
  for (const d of [dataDir, join(dataDir, 'gitea'), join(dataDir, 'gitea', 'custom'), confDir])
    chownSync(d, uid, gid);
  return { env, confDir };
}

describe('preflight: files gigi-boot cannot write (run as the unprivileged gigi user) → exit 2', () => {
  it('an app.ini owned by root: names app.ini, leaves it and the volume untouched', async () => {
    const { env, confDir } = await gigiOwnedVolume();
    const appIni = join(confDir, 'app.ini');
    const original = 'APP_NAME = operator managed\n[server]\nHTTP_PORT = 1234\n';
    writeFileSync(appIni, original); // owned by root: gigi can read, not write
    chmodSync(appIni, 0o644);
    const before = tree(env.GIGI_DATA_DIR!);

    const result = await runAsGigi(env);

    expect(result.code, result.stderr).toBe(EXIT.config);
    expect(issueLines(result.stderr)).toEqual([
      expect.stringMatching(
        new RegExp(`^  - app\\.ini: ${escapeRegExp(appIni)} exists but is not writable; .*make it writable`),
      ),
    ]);
    expect(readFileSync(appIni, 'utf8')).toBe(original);
    await expectNothingWritten(env, before);
  });

  it('no app.ini yet, in a conf directory owned by root: names the directory', async () => {
    const { env, confDir } = await gigiOwnedVolume();
    chownSync(confDir, 0, 0);
    chmodSync(confDir, 0o755);
    const before = tree(env.GIGI_DATA_DIR!);

    const result = await runAsGigi(env);

    expect(result.code, result.stderr).toBe(EXIT.config);
    expect(issueLines(result.stderr)).toEqual([
      `  - app.ini: directory ${confDir} is not writable; gigi-boot must create ${join(confDir, 'app.ini')}`,
    ]);
    await expectNothingWritten(env, before);
  });

  it('a data dir owned by root: names GIGI_DATA_DIR', async () => {
    const { env } = await gigiOwnedVolume();
    const dataDir = env.GIGI_DATA_DIR!;
    chownSync(dataDir, 0, 0);
    chmodSync(dataDir, 0o755);
    const before = tree(dataDir);

    const result = await runAsGigi(env);

    expect(result.code, result.stderr).toBe(EXIT.config);
    expect(issueLines(result.stderr)).toContain(`  - GIGI_DATA_DIR: ${dataDir} is not writable by gigi-boot`);
    await expectNothingWritten(env, before);
  });
});

describe('injection attempts', () => {
  const payloads = [
    ['a double quote', 'adm"in'],
    ['a single quote', "adm'in"],
    ['a semicolon', 'admin;id'],
    ['command substitution', '$(id)'],
    ['a newline', 'admin\nroot'],
    ['a space', 'admin root'],
  ] as const;

  it.concurrent.each(payloads)(
    'ADMIN_USER and ORG_NAME with %s are rejected by config (exit 2)',
    async (_, value) => {
      const result = await expectConfigRejected(
        await configEnv({ ADMIN_USER: value, ORG_NAME: `org${value}` }),
        [
          ['ADMIN_USER', `expected a Gitea user/org name`],
          ['ORG_NAME', `expected a Gitea user/org name`],
        ],
      );
      // The value is shown escaped, so a newline cannot forge a second issue line.
      expect(issueLines(result.stderr)).toHaveLength(2);
      expect(result.stderr).toContain(`got ${JSON.stringify(value)}`);
    },
  );

  it('a value supervisord cannot pass to the app (both quote kinds, a quote at an end) → exit 2 before the boot, not shown', async () => {
    const telegram = `12345:AA"both'kinds-secret`;
    const env = await configEnv({ TELEGRAM_TOKEN: telegram, BROWSER_MODE: "'chrome" });
    const result = await expectConfigRejected(env, [
      ['TELEGRAM_TOKEN', 'supervisord cannot pass this value to the Gigi app (a newline, both quote kinds'],
      ['BROWSER_MODE', 'supervisord cannot pass this value to the Gigi app'],
    ]);
    expect(result.stdout + result.stderr).not.toContain("both'kinds-secret");
  });

  it('TELEGRAM_TOKEN / CLAUDE_TOKEN with a quote, ;, SQL and shell syntax are stored verbatim, nothing runs', async () => {
    const markerDir = mkdtempSync(join(tmpdir(), 'gigi-injection-'));
    chmodSync(markerDir, 0o777); // so even the unprivileged Gitea user could create a marker
    const marker = (name: string) => join(markerDir, name);
    // One quote kind each: supervisord's environment= cannot carry both (a config error, below).
    const telegram = `12345:AA"quote; rm -rf /nonexistent; $(touch ${marker('pwned-tg')}) \`touch ${marker('pwned-tg2')}\``;
    const claude = `sk-ant-'); DROP TABLE config; -- ; $(touch ${marker('pwned-cl')}) & touch ${marker('pwned-cl2')} | x`;
    const env = await configEnv({ TELEGRAM_TOKEN: telegram, CLAUDE_TOKEN: claude });

    const result = await runCli(['run', '--no-handoff'], env);
    expect(result.code, result.stderr + result.stdout).toBe(EXIT.ok);

    const config = await readConfigTable(env.DATABASE_URL!);
    expect(config.telegram_token).toBe(telegram);
    expect(config.claude_oauth_token).toBe(claude);
    expect(config.gitea_token).toMatch(/\S/); // the rest of the boot happened too
    // …and the check every "nothing written" case relies on does see a boot's tables.
    expect(await bootTables(env.DATABASE_URL!)).toMatchObject({
      gigi_boot_runs: 1,
      config: expect.any(Number),
    });
    expect(tree(env.GIGI_DATA_DIR!)).toContain('gitea/custom/conf/app.ini');
    expect(readdirSync(markerDir)).toEqual([]);
    expect(existsSync('/nonexistent')).toBe(false);
    // Never printed either.
    expect(result.stdout + result.stderr).not.toContain('DROP TABLE');
  });
});

describe('a Gitea that breaks its contract → boot fails at that step (exit 1), inspect names it', () => {
  async function bootWithFaults(rules: unknown[], extra: Record<string, string> = {}) {
    const faultsDir = mkdtempSync(join(tmpdir(), 'gigi-bad-faults-'));
    chmodSync(faultsDir, 0o777); // the simulator (run as gigi) keeps `times` counters next to it
    const faultsFile = join(faultsDir, 'faults.json');
    writeFileSync(faultsFile, JSON.stringify({ rules }), { mode: 0o644 });
    const env = await configEnv({
      GITEA_SIM_FAULTS: faultsFile,
      GIGI_BOOT_STEP_ATTEMPTS: '2',
      GIGI_BOOT_GITEA_READY_TIMEOUT: '5s',
      ...extra,
    });
    const run = await runCli(['run', '--no-handoff'], env);
    const inspect = await runCli(['inspect', '--json'], env);
    const report = JSON.parse(inspect.stdout) as {
      run: {
        status: string;
        currentStep: string | null;
        failure: { step: string; message: string; hint: string | null } | null;
      };
      steps: Array<{ step: string; attempts: number; outcome: string; lastError: string | null }>;
    };
    return { env, run, inspect, report };
  }

  it('GET /api/v1/version answering 200 with a body without "version" → awaitApi fails', async () => {
    const { run, inspect, report, env } = await bootWithFaults([
      { method: 'GET', path: '/api/v1/version', action: 'status', status: 200, message: 'not gitea' },
    ]);
    expect(run.code, run.stderr + run.stdout).toBe(EXIT.failed);
    expect(run.stdout + run.stderr).toMatch(
      /boot failed at awaitApi: GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/version answered 200: unexpected answer shape: version/,
    );
    expect(inspect.code).toBe(EXIT.failed);
    expect(report.run.status).toBe('failed');
    expect(report.run.failure?.step).toBe('awaitApi');
    expect(report.run.failure?.message).toMatch(/version/);
    expect(report.run.failure?.hint).toMatch(/\S/);
    // Nothing after the failed step ran.
    expect(report.steps.map((s) => s.step)).not.toContain('createUsers');
    // Only prepareSecrets' rows: the app's keys (gitea_url, gitea_token) are never half-written.
    const config = await readConfigTable(env.DATABASE_URL!);
    expect(config).not.toHaveProperty('gitea_url');
    expect(config).not.toHaveProperty('gitea_token');
  });

  it('POST /api/v1/orgs answering an unexpected status (418) → createOrg fails without retry', async () => {
    const { run, inspect, report } = await bootWithFaults([
      { method: 'POST', path: '/api/v1/orgs', action: 'status', status: 418, message: 'teapot' },
    ]);
    expect(run.code, run.stderr + run.stdout).toBe(EXIT.failed);
    expect(run.stdout + run.stderr).toMatch(
      /boot failed at createOrg: POST http:\/\/127\.0\.0\.1:\d+\/api\/v1\/orgs answered 418: teapot/,
    );
    expect(inspect.code).toBe(EXIT.failed);
    expect(report.run.failure?.step).toBe('createOrg');
    expect(report.run.failure?.message).toContain('418');
    const createOrg = report.steps.find((s) => s.step === 'createOrg');
    expect(createOrg?.attempts).toBe(1);
    expect(report.steps.map((s) => s.step)).not.toContain('addOwner');
  });

  it('POST /api/v1/orgs answering 201 with a malformed body → createOrg fails, shape named', async () => {
    const { run, inspect, report } = await bootWithFaults([
      { method: 'POST', path: '/api/v1/orgs', action: 'status', status: 201, message: 'not an org' },
    ]);
    expect(run.code, run.stderr + run.stdout).toBe(EXIT.failed);
    expect(inspect.code).toBe(EXIT.failed);
    expect(report.run.failure?.step).toBe('createOrg');
    expect(report.run.failure?.message).toMatch(/unexpected answer shape/);
    expect(report.run.failure?.hint).toContain('Gitea 1.24');
  });

  it('POST /api/v1/orgs answering 500 until the attempts run out → createOrg fails after retrying', async () => {
    const { run, inspect, report } = await bootWithFaults([
      { method: 'POST', path: '/api/v1/orgs', action: 'status', status: 500, message: 'database is locked' },
    ]);
    expect(run.code, run.stderr + run.stdout).toBe(EXIT.failed);
    expect(inspect.code).toBe(EXIT.failed);
    expect(report.run.failure?.step).toBe('createOrg');
    expect(report.run.failure?.message).toContain('500');
    expect(report.steps.find((s) => s.step === 'createOrg')?.attempts).toBe(2);
  });
});

// The corpus `gigi-boot check` is held to (test/inspect/check.test.ts): each refused environment
// is refused by run too, naming its settings, with nothing written.
describe.concurrent(
  'the shared config corpus (test/support/config-corpus.ts): every refused environment → exit 2, named, nothing written',
  { timeout: SLOW_MACHINE_TIMEOUT },
  () => {
    for (const testCase of CONFIG_CORPUS) {
      const scratch = corpusScratchDir();
      // A data dir the case points at exists before the run: the tree-unchanged cases above cover it.
      if (testCase.rejects.length === 0 || 'GIGI_DATA_DIR' in testCase.env(scratch)) continue;
      it(testCase.name, async () => {
        await expectConfigRejected(
          await configEnv(testCase.env(scratch)),
          testCase.rejects.map((setting) => [setting, '']),
        );
      });
    }
  },
);
