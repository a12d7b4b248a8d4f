// The boot lock is a Postgres session lock: if that session dies mid-boot (Postgres restarted,
// an admin's pg_terminate_backend, idle_session_timeout), another container could take the
// volume. A real `gigi-boot run` must notice, stop at the next checkpoint with exit 1 and an
// actionable message, and leave the boot to resume on the next run without duplicates.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { bootEnv, runCli, startCli } from '../support/boot-process.ts';
import { testServerUrl } from '../support/env.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { DEFAULT_WEBHOOK, readBootOutcome } from './verify.ts';
import { waitFor } from '../support/wait.ts';

async function withClient<T>(databaseUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

describe('the boot lock lost mid-boot', () => {
  it('stops the boot (exit 1, says why and what next); the next run resumes and completes once', async () => {
    const databaseUrl = await createTestDatabase(testServerUrl(), 'lostlock');
    const faultsDir = mkdtempSync(join(tmpdir(), 'gigi-lost-lock-'));
    chmodSync(faultsDir, 0o777); // the simulator (run as gigi) keeps its counters here
    const faults = join(faultsDir, 'faults.json');
    // createOrg takes 6 s: time to pull the lock's session out from under the boot.
    writeFileSync(
      faults,
      JSON.stringify({ rules: [{ method: 'POST', path: '/api/v1/orgs', action: 'slow', delayMs: 6000 }] }),
      { mode: 0o644 },
    );
    const env = await bootEnv({ databaseUrl, extra: { GITEA_SIM_FAULTS: faults } });
    const boot = startCli(['run', '--no-handoff'], env);

    // Wait for createOrg to start, then terminate the session holding the lock.
    const terminated = await waitFor(
      'createOrg to run, then the lock session to be terminated',
      async () => {
        const started = await withClient(
          databaseUrl,
          async (c) =>
            (
              await c
                .query("select 1 from gigi_boot_journal where step = 'createUsers' and outcome = 'ok'")
                .catch(() => ({ rowCount: 0 }))
            ).rowCount,
        );
        if (!started) return false;
        return withClient(databaseUrl, async (c) => {
          const { rows } = await c.query<{ pid: number }>(
            `select pg_terminate_backend(pid) as ok, pid from pg_stat_activity
             where datname = current_database() and application_name like $1`,
            [`gigi-boot pid=${boot.child.pid} host=%`],
          );
          return rows.length || false;
        });
      },
      { timeout: 90_000, interval: 200 },
    );
    expect(terminated, 'the lock session was found and terminated').toBe(1);

    const stopped = await boot.done;
    const printed = stopped.stdout + stopped.stderr;
    expect(stopped.code, printed).toBe(EXIT.failed);
    expect(printed).toContain('Lost the boot lock of volume');
    expect(printed).toMatch(/"event":"lock\.lost"/);
    expect(printed).toContain('resumes from the last checkpoint');
    // It stopped at a checkpoint: the run is interrupted, not done, and nothing after the
    // in-flight step started.
    const { rows: runs } = await withClient(databaseUrl, (c) => c.query('select status from gigi_boot_runs'));
    expect(runs).toEqual([{ status: 'interrupted' }]);
    const { rows: later } = await withClient(databaseUrl, (c) =>
      c.query(
        "select step from gigi_boot_journal where step in ('addOwner', 'registerWebhook', 'persistConfig')",
      ),
    );
    expect(later).toEqual([]);

    // The next boot (no slow Gitea) resumes and completes, creating nothing twice.
    writeFileSync(faults, '{}');
    const resumed = await runCli(['run', '--no-handoff'], env);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(EXIT.ok);
    expect(resumed.stdout).toMatch(/"plan":"resume"/);
    const { state } = await readBootOutcome(env, databaseUrl);
    expect(state.org).toBe(true);
    expect(state.gigiInOwners).toBe(true);
    expect(state.gigiTokenNames).toEqual([...new Set(state.gigiTokenNames)]);
    expect(state.hooks.filter((h) => h.url === DEFAULT_WEBHOOK)).toHaveLength(1);
  }, 180_000);
});
