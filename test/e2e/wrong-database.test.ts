// A volume and its database belong together (the config table holds the credentials of the
// Gitea users on the volume). Real `gigi-boot run` processes pointed at the wrong one — a fresh
// volume at another volume's database, a volume at a fresh database or at the embedded one, two
// boots of one volume with two DATABASE_URLs at once — are refused with exit 2 before anything
// is written; `gigi-boot reset --database` is the operator's way out, and a copy of the database
// is still the same database.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { bootEnv, runCli, type CliResult } from '../support/boot-process.ts';
import { testServerUrl } from '../support/env.ts';
import { createTestDatabase, queryRows } from '../support/postgres.ts';

const BINDING = '.gigi-boot-database';
const VOLUME_ID = '.gigi-boot-volume-id';

/** Everything a boot writes in the database, to show a refused boot changed none of it. */
async function databaseState(url: string) {
  const tables = await queryRows<{ t: string | null }>(
    url,
    "select to_regclass('gigi_boot_runs')::text as t",
  );
  if (tables[0]?.t === null) return { tables: false };
  return {
    tables: true,
    config: await queryRows(url, 'select key, value, updated_at from config order by key'),
    runs: await queryRows(
      url,
      'select run_id, volume_id, status, seq, updated_at from gigi_boot_runs order by run_id',
    ),
    journal: await queryRows<{ n: string }>(url, 'select count(*) as n from gigi_boot_journal'),
    binding: await queryRows(url, 'select database_id, volume_id, bound_at from gigi_boot_database'),
  };
}

function where(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port}${parsed.pathname}`;
}

function expectRefused(result: CliResult, ...phrases: string[]): void {
  const printed = result.stdout + result.stderr;
  expect(result.code, printed).toBe(EXIT.config);
  for (const phrase of phrases) expect(result.stderr).toContain(phrase);
  expect(result.stderr).toContain('Nothing was changed');
  expect(result.stderr).toContain('`gigi-boot reset --database`');
  expect(printed).not.toMatch(/\n\s+at .+:\d+:\d+/); // a message, not a stack
}

async function bootedVolume(): Promise<{ env: Record<string, string>; databaseUrl: string }> {
  const databaseUrl = await createTestDatabase(testServerUrl(), 'bound');
  const env = await bootEnv({ databaseUrl });
  const first = await runCli(['run', '--no-handoff'], env);
  expect(first.code, first.stdout + first.stderr).toBe(EXIT.ok);
  return { env, databaseUrl };
}

describe.concurrent('a volume and a database that do not belong together', () => {
  it("a fresh volume at another volume's database is refused, nothing written; reset --database hands the database over", async () => {
    const a = await bootedVolume();
    const before = await databaseState(a.databaseUrl);
    const b = await bootEnv({ databaseUrl: a.databaseUrl });

    const refused = await runCli(['run', '--no-handoff'], b);
    const volumeA = readFileSync(join(a.env.GIGI_DATA_DIR!, VOLUME_ID), 'utf8').trim();
    expectRefused(
      refused,
      `belongs to another volume (id ${volumeA})`,
      `GIGI_DATA_DIR=${b.GIGI_DATA_DIR} is not that volume (it has never booted)`,
      `DATABASE_URL points at ${where(a.databaseUrl)}`,
      "overwrite that volume's token and passwords",
    );
    expect(await databaseState(a.databaseUrl)).toEqual(before);
    expect(existsSync(join(b.GIGI_DATA_DIR!, VOLUME_ID))).toBe(false);
    expect(existsSync(join(b.GIGI_DATA_DIR!, BINDING))).toBe(false);
    expect(existsSync(join(b.GIGI_DATA_DIR!, 'gigi-boot')), 'gigi-boot wrote its own directory').toBe(false);
    // The volume the database belongs to still boots warm, on credentials that still work.
    const warm = await runCli(['run', '--no-handoff'], a.env);
    expect(warm.code, warm.stdout + warm.stderr).toBe(EXIT.ok);
    expect(warm.stdout).toMatch(/"plan":"warm"/);

    // The operator's way out: this volume replaces the old one.
    const reset = await runCli(['reset', '--database'], b);
    expect(reset.code, reset.stdout + reset.stderr).toBe(EXIT.ok);
    expect(reset.stdout).toContain(`the database belonged to volume ${volumeA}, whose boots it now refuses`);
    const boot = await runCli(['run', '--no-handoff'], b);
    expect(boot.code, boot.stdout + boot.stderr).toBe(EXIT.ok);
    const volumeB = readFileSync(join(b.GIGI_DATA_DIR!, VOLUME_ID), 'utf8').trim();
    expectRefused(await runCli(['run', '--no-handoff'], a.env), `belongs to another volume (id ${volumeB})`);
  });

  it('a volume at a fresh database, or at the embedded one, is refused, nothing written; a copy of its database is accepted', async () => {
    const a = await bootedVolume();
    const binding = readFileSync(join(a.env.GIGI_DATA_DIR!, BINDING), 'utf8');
    expect(JSON.parse(binding)).toMatchObject({ database: where(a.databaseUrl) });

    const fresh = await createTestDatabase(testServerUrl(), 'fresh');
    const refused = await runCli(['run', '--no-handoff'], { ...a.env, DATABASE_URL: fresh });
    expectRefused(
      refused,
      `GIGI_DATA_DIR=${a.env.GIGI_DATA_DIR} was booted with the database at ${where(a.databaseUrl)}, but DATABASE_URL points at ${where(fresh)}, a different database that gigi-boot has never used`,
    );
    expect(refused.stderr).not.toContain('interrupted boot');
    expect(await databaseState(fresh)).toEqual({ tables: false });
    expect(readFileSync(join(a.env.GIGI_DATA_DIR!, BINDING), 'utf8')).toBe(binding);

    const { DATABASE_URL: _unset, ...embedded } = a.env;
    expectRefused(
      await runCli(['run', '--no-handoff'], embedded),
      `was booted with the database at ${where(a.databaseUrl)}, but DATABASE_URL is unset`,
    );
    expect(existsSync(join(a.env.GIGI_DATA_DIR!, 'gigi-boot', 'pglite'))).toBe(false); // no embedded database created

    // A copy of the database (here CREATE DATABASE … TEMPLATE; pg_dump/pg_restore alike) carries
    // its id along: the same database, somewhere else.
    const copy = `copy_${Date.now().toString(36)}`;
    await queryRows(
      testServerUrl(),
      `create database ${copy} template ${new URL(a.databaseUrl).pathname.slice(1)}`,
    );
    const copyUrl = Object.assign(new URL(a.databaseUrl), { pathname: `/${copy}` }).toString();
    const moved = await runCli(['run', '--no-handoff'], { ...a.env, DATABASE_URL: copyUrl });
    expect(moved.code, moved.stdout + moved.stderr).toBe(EXIT.ok);
    expect(moved.stdout).toMatch(/"plan":"warm"/);
  });

  it('two boots of one volume with two DATABASE_URLs at once: one boots, the other is refused', async () => {
    const [d1, d2] = await Promise.all([
      createTestDatabase(testServerUrl(), 'race'),
      createTestDatabase(testServerUrl(), 'race'),
    ]);
    const env = await bootEnv({ databaseUrl: d1 });
    const results = await Promise.all([
      runCli(['run', '--no-handoff'], env),
      runCli(['run', '--no-handoff'], { ...env, DATABASE_URL: d2 }),
    ]);
    const codes = results.map((r) => r.code).sort();
    expect(codes, results.map((r) => r.stdout + r.stderr).join('\n----\n')).toEqual([EXIT.ok, EXIT.config]);
    const loser = results.find((r) => r.code === EXIT.config);
    expect(loser?.stderr).toContain('a different database');
    const [winnerUrl, loserUrl] = results[0].code === EXIT.ok ? [d1, d2] : [d2, d1];
    expect(JSON.parse(readFileSync(join(env.GIGI_DATA_DIR!, BINDING), 'utf8'))).toMatchObject({
      database: where(winnerUrl),
    });
    // The loser initialised nothing: no run in its database, and one temporary Gitea in all,
    // stopped by the boot that started it.
    const loserState = await databaseState(loserUrl);
    if (loserState.tables) expect(loserState.runs).toEqual([]);
    const log = readFileSync(join(env.GIGI_DATA_DIR!, 'gigi-boot', 'temporary-gitea.log'), 'utf8');
    expect(log.match(/Starting new Web server/g)).toHaveLength(1);
    expect(log.match(/Received SIGTERM/g)).toHaveLength(1);
  });
});
