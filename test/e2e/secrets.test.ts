// Secrecy through the real `gigi-boot` process: after a full boot (and after a failing one),
// no secret — the generated admin/gigi passwords, gigi's API token, the webhook secret, the
// DATABASE_URL password, the Telegram and Claude tokens — appears in anything an operator or
// a log collector sees: the run's stdout/stderr, `inspect` and `inspect --json`, the journal
// and run rows (errors and XState snapshots included), and the files under the data dir
// other than Gitea's own database (and the app's environment= in the root-only supervisord.conf). `inspect --reveal` is the one place they show, which also
// proves the search below would find them.
import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { bootEnv, runCli, type CliResult } from '../support/boot-process.ts';
import { testServerUrl } from '../support/env.ts';
import { readConfigTable } from '../support/gitea-state.ts';
import { createTestDatabase } from '../support/postgres.ts';

/** The secret config keys a boot of the internal Gitea writes. */
const GENERATED_SECRET_KEYS = ['admin_password', 'gitea_password', 'gitea_token', 'webhook_secret'];
/** Gitea's own database (gitea/data/gitea.db; the simulator's is JSON): holds token and password data by design. */
const GITEA_DATABASE = /^gitea\/(data\/)?.*\.(db|json)$/;

function unique(prefix: string): string {
  return `${prefix}${randomBytes(9).toString('base64url')}`;
}

/** A Postgres role with a password, owning a fresh database; the URL carries the password. */
async function databaseWithPassword(password: string): Promise<string> {
  const server = testServerUrl();
  const dbUrl = new URL(await createTestDatabase(server, 'sec'));
  const role = `gigi_sec_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  try {
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD ${admin.escapeLiteral(password)}`);
    await admin.query(`ALTER DATABASE ${dbUrl.pathname.slice(1)} OWNER TO ${role}`);
  } finally {
    await admin.end();
  }
  dbUrl.username = role;
  dbUrl.password = encodeURIComponent(password);
  return dbUrl.toString();
}

/** Every row of a table, each as the JSON text of all its columns. */
async function rowsAsText(databaseUrl: string, table: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ t: string }>(`select row_to_json(x)::text as t from ${table} x`);
    return rows.map((r) => r.t);
  } finally {
    await client.end();
  }
}

const SUPERVISORD_CONF = join('gigi-boot', 'supervisord.conf');

/**
 * supervisord.conf is the one file meant to hold the app's secrets (its environment=, the only
 * way they reach the app and no other program): it must be root's alone, and hold them nowhere
 * but in the app's section; the rest of it is searched like any file.
 */
function outsideAppEnvironment(path: string): string {
  const info = statSync(path);
  expect(info.mode & 0o777, `${path} mode`).toBe(0o600);
  expect(info.uid, `${path} owner`).toBe(0);
  const lines = readFileSync(path, 'utf8').split('\n');
  let section = '';
  return lines
    .filter((line) => {
      if (line.startsWith('[')) section = line;
      return !(section === '[program:gigi]' && line.startsWith('environment='));
    })
    .join('\n');
}

/** Text files under the data dir, except Gitea's own database. */
function dataDirFiles(dataDir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      const rel = relative(dataDir, full);
      if (entry.isDirectory()) walk(full);
      else if (rel === SUPERVISORD_CONF) files[rel] = outsideAppEnvironment(full);
      else if (entry.isFile() && !GITEA_DATABASE.test(rel)) files[rel] = readFileSync(full, 'utf8');
    }
  };
  walk(dataDir);
  return files;
}

/** Forms a secret could leak in: verbatim, URL-encoded, and any 12-character piece of it. */
function leakForms(secret: string): string[] {
  const forms = new Set([secret, encodeURIComponent(secret)]);
  for (let i = 0; i + 12 <= secret.length; i += 4) forms.add(secret.slice(i, i + 12));
  return [...forms];
}

/** Name → where it leaked, for every secret found in any of the outputs. */
function leaks(secrets: Record<string, string>, outputs: Record<string, string>): string[] {
  const found: string[] = [];
  for (const [name, secret] of Object.entries(secrets)) {
    for (const [where, text] of Object.entries(outputs)) {
      const form = leakForms(secret).find((f) => text.includes(f));
      if (form !== undefined) found.push(`${name} in ${where} (as ${JSON.stringify(form)})`);
    }
  }
  return found;
}

async function collectOutputs(
  env: Record<string, string>,
  run: CliResult,
): Promise<{ outputs: Record<string, string>; inspectJson: CliResult }> {
  const inspect = await runCli(['inspect'], env);
  const inspectJson = await runCli(['inspect', '--json'], env);
  const outputs: Record<string, string> = {
    'run stdout': run.stdout,
    'run stderr': run.stderr,
    'inspect stdout': inspect.stdout,
    'inspect stderr': inspect.stderr,
    'inspect --json stdout': inspectJson.stdout,
    'inspect --json stderr': inspectJson.stderr,
  };
  for (const table of ['gigi_boot_journal', 'gigi_boot_runs'])
    (await rowsAsText(env.DATABASE_URL!, table)).forEach((row, i) => (outputs[`${table} row ${i}`] = row));
  for (const [file, text] of Object.entries(dataDirFiles(env.GIGI_DATA_DIR!))) outputs[`file ${file}`] = text;
  return { outputs, inspectJson };
}

/** The secrets a suite hands gigi-boot: a DATABASE_URL password and the two tokens, unique per suite. */
function givenSecrets(): Record<'dbPassword' | 'telegramToken' | 'claudeToken', string> {
  return {
    dbPassword: unique('pg-pw:@/'),
    telegramToken: unique('123456789:tg-'),
    claudeToken: unique('sk-ant-oat01-'),
  };
}

interface Booted {
  env: Record<string, string>;
  run: CliResult;
  /** What the search looks for: the given secrets and the generated ones in the config table. */
  secrets: Record<string, string>;
  outputs: Record<string, string>;
  inspectJson: CliResult;
}

/**
 * One `gigi-boot run` with the given secrets (and `extra` env), then everything it left to read.
 * `generated`: 'all' searches for every generated key (an absent one as '', which the search
 * finds everywhere, so it cannot go missing unnoticed); 'stored' only for those stored so far.
 */
async function bootAndCollect(
  given: ReturnType<typeof givenSecrets>,
  generated: 'all' | 'stored',
  extra: Record<string, string> = {},
): Promise<Booted> {
  const env = await bootEnv({
    databaseUrl: await databaseWithPassword(given.dbPassword),
    extra: { TELEGRAM_TOKEN: given.telegramToken, CLAUDE_TOKEN: given.claudeToken, ...extra },
  });
  const run = await runCli(['run', '--no-handoff'], env);
  const config = await readConfigTable(env.DATABASE_URL!);
  const secrets: Record<string, string> = { ...given };
  if (generated === 'all') for (const key of GENERATED_SECRET_KEYS) secrets[key] = config[key] ?? '';
  else
    for (const [key, value] of Object.entries(config))
      if (GENERATED_SECRET_KEYS.includes(key)) secrets[key] = value;
  return { env, run, secrets, ...(await collectOutputs(env, run)) };
}

describe('a completed boot leaks no secret', () => {
  const { dbPassword, telegramToken, claudeToken } = givenSecrets();
  let booted: Booted;

  beforeAll(async () => {
    booted = await bootAndCollect({ dbPassword, telegramToken, claudeToken }, 'all');
  });

  it('boots, and the store holds every secret the search looks for', async () => {
    const { run, env } = booted;
    expect(run.code, run.stderr + run.stdout).toBe(EXIT.ok);
    const config = await readConfigTable(env.DATABASE_URL!);
    for (const key of GENERATED_SECRET_KEYS) expect(config[key], key).toMatch(/^\S{12,}$/);
    expect(config.telegram_token).toBe(telegramToken);
    expect(config.claude_oauth_token).toBe(claudeToken);
    // The boot really went through the password-carrying URL.
    expect(env.DATABASE_URL).toContain(`:${encodeURIComponent(dbPassword)}@`);
  });

  it('collected every kind of output', () => {
    const { outputs, inspectJson } = booted;
    const where = Object.keys(outputs);
    expect(where.filter((w) => w.startsWith('gigi_boot_journal row')).length).toBeGreaterThanOrEqual(14);
    expect(where).toContain('gigi_boot_runs row 0');
    expect(where).toContain('file gigi-boot/temporary-gitea.log');
    expect(outputs['file gigi-boot/temporary-gitea.log']).toMatch(/\S/);
    expect(inspectJson.code).toBe(EXIT.ok);
    expect(outputs['run stdout']).toContain('boot completed');
  });

  it('no secret appears in any output, log, row or file', () => {
    const { secrets, outputs } = booted;
    expect(leaks(secrets, outputs)).toEqual([]);
  });

  it('inspect --reveal shows them (so the search above can find a leak)', async () => {
    const { env, secrets } = booted;
    const revealed = await runCli(['inspect', '--json', '--reveal'], env);
    expect(revealed.code).toBe(EXIT.ok);
    const report = JSON.parse(revealed.stdout) as { config: Record<string, string>; revealed: boolean };
    expect(report.revealed).toBe(true);
    for (const key of GENERATED_SECRET_KEYS) expect(report.config[key]).toBe(secrets[key]);
    expect(report.config.telegram_token).toBe(telegramToken);
    expect(report.config.claude_oauth_token).toBe(claudeToken);
    const found = leaks(secrets, { 'inspect --reveal': revealed.stdout });
    for (const name of [...GENERATED_SECRET_KEYS, 'telegramToken', 'claudeToken'])
      expect(
        found.some((f) => f.startsWith(`${name} in`)),
        name,
      ).toBe(true);
  });
});

describe('a failing boot leaks no secret in its errors', () => {
  const { dbPassword, telegramToken, claudeToken } = givenSecrets();
  let booted: Booted;

  beforeAll(async () => {
    const faultsDir = mkdtempSync(join(tmpdir(), 'gigi-sec-faults-'));
    chmodSync(faultsDir, 0o777); // the simulator (run as gigi) keeps its counters next to the file
    const faultsFile = join(faultsDir, 'faults.json');
    writeFileSync(
      faultsFile,
      JSON.stringify({
        rules: [
          {
            method: 'POST',
            path: '/api/v1/orgs',
            action: 'status',
            status: 500,
            // A Gitea whose error echoes secrets back: the redactor must catch them in errors too.
            message: `db locked (telegram=${telegramToken} claude=${claudeToken} pg=${dbPassword})`,
          },
        ],
      }),
    );
    // The boot stops before persistConfig: the generated secrets sit in the config table
    // already (prepareSecrets stores them first, so a resumed boot reuses them).
    booted = await bootAndCollect({ dbPassword, telegramToken, claudeToken }, 'stored', {
      GITEA_SIM_FAULTS: faultsFile,
      GIGI_BOOT_STEP_ATTEMPTS: '3',
    });
  });

  it('fails at createOrg after its attempts, with the error recorded', () => {
    const { run, inspectJson, secrets } = booted;
    expect(run.code, run.stderr + run.stdout).toBe(EXIT.failed);
    expect(inspectJson.code).toBe(EXIT.failed);
    const report = JSON.parse(inspectJson.stdout) as {
      run: { failure: { step: string; message: string } | null };
      steps: Array<{ step: string; attempts: number; lastError: string | null }>;
    };
    expect(report.run.failure?.step).toBe('createOrg');
    expect(report.run.failure?.message).toContain('answered 500: db locked (telegram=[redacted]');
    expect(report.steps.find((s) => s.step === 'createOrg')).toMatchObject({ attempts: 3 });
    // Secrets that exist by now: the users' passwords and gigi's token at least.
    expect(Object.keys(secrets)).toEqual(
      expect.arrayContaining(['admin_password', 'gitea_password', 'gitea_token']),
    );
  });

  it('no secret appears in the failure, the journal, the logs or the files', () => {
    const { secrets, outputs } = booted;
    expect(leaks(secrets, outputs)).toEqual([]);
  });
});
