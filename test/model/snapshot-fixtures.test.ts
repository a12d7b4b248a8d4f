// Persisted snapshots from real boots of earlier (and the current) machine versions, killed
// with SIGKILL mid-boot (test/fixtures/snapshots/, recorded by record.ts there), loaded into a
// fresh database as the volume's latest run, then booted by today's `gigi-boot run`: a fixture
// of the current machine must RESUME; an older one must replay from the start, saying why.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { activeSteps } from '../../machines/boot.ts';
import { configDigest } from '../../src/boot/config-digest.ts';
import { BOOT_FINGERPRINT } from '../../src/boot/run-boot.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { loadConfig } from '../../src/config/index.ts';
import { openStore } from '../../src/store/index.ts';
import { bootEnv, REPO_ROOT, runCli } from '../support/boot-process.ts';
import { testServerUrl } from '../support/env.ts';
import { createTestDatabase } from '../support/postgres.ts';

interface RunRow {
  run_id: string;
  volume_id: string;
  machine_version: string;
  fingerprint: string;
  status: string;
  state_value: unknown;
  snapshot: { xstate: unknown; configDigest: string };
  [column: string]: unknown;
}

interface Fixture {
  name: string;
  volumeId: string;
  runs: RunRow[];
  journal: Array<Record<string, unknown>>;
  config: Array<{ key: string; value: string }>;
}

const DIR = join(REPO_ROOT, 'test', 'fixtures', 'snapshots');
const fixtures = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Fixture);
const latestOf = (f: Fixture) => f.runs.at(-1)!;
const isCurrent = (f: Fixture) => latestOf(f).fingerprint === BOOT_FINGERPRINT;

/** A fresh database and volume holding exactly what the fixture's boot left in Postgres. */
async function loadFixture(fixture: Fixture) {
  const databaseUrl = await createTestDatabase(testServerUrl(), 'fixture');
  const store = await openStore({ databaseUrl, dataDir: '/nonexistent' });
  await store.migrate();
  await store.close();
  const env = await bootEnv({ databaseUrl });
  writeFileSync(join(env.GIGI_DATA_DIR!, '.gigi-boot-volume-id'), `${fixture.volumeId}\n`);
  // Same volume, same configuration: the snapshot was taken under this test's settings.
  const { config } = await loadConfig(env);
  const digest = configDigest(config);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    for (const run of fixture.runs) {
      const snapshot = isCurrent(fixture) ? { ...run.snapshot, configDigest: digest } : run.snapshot;
      const row: Record<string, unknown> = {
        ...run,
        snapshot: JSON.stringify(snapshot),
        state_value: JSON.stringify(run.state_value),
      };
      const columns = Object.keys(row);
      await client.query(
        `insert into gigi_boot_runs (${columns.join(', ')}) values (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
        columns.map((c) => row[c]),
      );
    }
    for (const { id: _id, ...entry } of fixture.journal) {
      const row = { ...entry, detail: entry.detail === null ? null : JSON.stringify(entry.detail) };
      const columns = Object.keys(row);
      await client.query(
        `insert into gigi_boot_journal (${columns.join(', ')}) values (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
        columns.map((c) => (row as Record<string, unknown>)[c]),
      );
    }
    for (const { key, value } of fixture.config)
      await client.query('insert into config (key, value) values ($1, $2)', [key, value]);
  } finally {
    await client.end();
  }
  return { env, databaseUrl };
}

async function runsAndJournal(databaseUrl: string) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const runs = await client.query<{
      run_id: string;
      status: string;
      error: string | null;
      machine_version: string;
    }>('select run_id, status, error, machine_version from gigi_boot_runs order by started_at');
    const journal = await client.query<{ run_id: string; step: string; outcome: string }>(
      'select run_id, step, outcome from gigi_boot_journal order by id',
    );
    return { runs: runs.rows, journal: journal.rows };
  } finally {
    await client.end();
  }
}

describe('persisted snapshots of earlier boots (test/fixtures/snapshots)', () => {
  it('include one of the current machine and one of an older version', () => {
    // A machine change makes every fixture "older": record one of the new version (record.ts).
    expect(
      fixtures.filter(isCurrent).map((f) => f.name),
      'no fixture of the current machine',
    ).not.toEqual([]);
    expect(fixtures.filter((f) => !isCurrent(f)).map((f) => f.name)).not.toEqual([]);
  });

  describe.concurrent.each(fixtures.map((f) => ({ fixture: f, name: f.name, current: isCurrent(f) })))(
    '$name (current machine: $current)',
    ({ fixture }) => {
      const killed = latestOf(fixture);
      it(
        isCurrent(fixture)
          ? `resumes at ${activeSteps(killed.state_value).join('+')} (interrupted journaled) and completes`
          : `version ${killed.machine_version} replays from the start, saying why, and completes`,
        async () => {
          const { env, databaseUrl } = await loadFixture(fixture);
          const result = await runCli(['run', '--no-handoff'], env);
          const printed = result.stdout + result.stderr;
          expect(result.code, printed).toBe(EXIT.ok);
          const { runs, journal } = await runsAndJournal(databaseUrl);
          if (isCurrent(fixture)) {
            expect(printed).toContain(`resuming the running run ${killed.run_id}`);
            // The same run, finished; the steps in flight at the kill are journaled as interrupted.
            expect(runs.map((r) => r.run_id)).toEqual(fixture.runs.map((r) => r.run_id));
            expect(runs.at(-1)!.status).toBe('completed');
            const rows = journal.filter((j) => j.run_id === killed.run_id);
            for (const step of activeSteps(killed.state_value)) {
              const interrupted = rows.findIndex((j) => j.step === step && j.outcome === 'interrupted');
              expect(interrupted, `${step} journaled as interrupted`).toBeGreaterThanOrEqual(0);
              // …and then ran again to the end (the runner build is 'skipped' here: no Docker socket).
              expect(
                rows
                  .slice(interrupted + 1)
                  .filter((j) => j.step === step)
                  .map((j) => j.outcome),
              ).toContainEqual(expect.stringMatching(/^(ok|skipped)$/));
            }
            expect(rows.map((j) => j.step)).toContain('persistConfig');
          } else {
            expect(printed).toContain(
              `written by another machine version (${killed.machine_version}, fingerprint`,
            );
            expect(printed).toContain('replaying every step from the start');
            const old = runs.find((r) => r.run_id === killed.run_id)!;
            expect(old.status).toBe('failed');
            expect(old.error).toMatch(/^superseded: .*another machine version/);
            const fresh = runs.at(-1)!;
            expect(fresh.run_id).not.toBe(killed.run_id);
            expect(fresh.status).toBe('completed');
            expect(fresh.machine_version).not.toBe(killed.machine_version);
            const steps = journal
              .filter((j) => j.run_id === fresh.run_id && j.outcome === 'ok')
              .map((j) => j.step);
            expect(steps[0]).toBe('detectModes');
            expect(steps).toContain('persistConfig');
          }
        },
        180_000,
      );
    },
  );
});
