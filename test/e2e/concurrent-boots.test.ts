// A rolling update with start-first: two containers boot the same volume at once. One holds
// the volume's lock and initialises; the other waits (saying who holds the lock), then finds
// the work done and does not do it again.
import { hostname } from 'node:os';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { bootEnv, runCli, startCli } from '../support/boot-process.ts';
import { testServerUrl } from '../support/env.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { readBootOutcome } from './verify.ts';
import { documentedFields, fieldPaths } from '../support/listings.ts';
import type { HistoryReport } from '../../src/inspect/gather.ts';

function events(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('two boots of one volume at once', () => {
  it('with Postgres: one initialises, the other waits for the lock and finds the work done', async () => {
    const databaseUrl = await createTestDatabase(testServerUrl(), 'twice');
    const env = await bootEnv({ databaseUrl });
    const [a, b] = [startCli(['run', '--no-handoff'], env), startCli(['run', '--no-handoff'], env)];
    const results = await Promise.all([a.done, b.done]);
    for (const r of results) expect(r.code, r.stdout + r.stderr).toBe(0);
    const pids = [a.child.pid, b.child.pid];

    const logs = results.map((r) => events(r.stdout));
    const worker = logs.findIndex((l) => l.some((e) => e.event === 'step.start'));
    const waiter = 1 - worker;
    expect(worker).toBeGreaterThanOrEqual(0);
    // The waiter did no step, said who held the lock, and took the warm path.
    expect(logs[waiter]!.some((e) => e.event === 'step.start')).toBe(false);
    const wait = logs[waiter]!.find((e) => e.event === 'lock.wait');
    expect(wait?.msg).toMatch(/gigi-boot pid=\d+/);
    expect(logs[waiter]!.find((e) => e.event === 'boot.plan')?.plan).toBe('warm');

    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    const runs = await client.query('select status from gigi_boot_runs');
    const creates = await client.query(
      "select count(*)::int as n from gigi_boot_journal where step = 'createUsers'",
    );
    await client.end();
    expect(runs.rows).toEqual([{ status: 'completed' }]);
    expect(creates.rows[0].n).toBe(1);

    const { state } = await readBootOutcome(env, databaseUrl);
    expect(state.gigiTokenNames).toEqual(['gigi-app']);
    expect(state.hooks).toHaveLength(1);

    // inspect --history shows the initialising run and, on it, the boot that waited for it.
    const historyResult = await runCli(['inspect', '--history', '--json'], env);
    expect(historyResult.code, historyResult.stderr).toBe(0);
    const history = JSON.parse(historyResult.stdout) as HistoryReport;
    expect(history.runs).toHaveLength(1);
    const [run] = history.runs;
    expect(run!.status).toBe('completed');
    expect(run!.waits).toHaveLength(1);
    const [waited] = run!.waits;
    expect(waited).toMatchObject({ host: hostname(), pid: pids[waiter], then: 'warm' });
    expect(waited!.holder).toContain(`gigi-boot pid=${pids[worker]}`);
    expect(waited!.waitedMs).toBeGreaterThanOrEqual(0);
    expect(Number.isNaN(Date.parse(waited!.at))).toBe(false);
    // Every field it printed is documented in docs/operations.md, and every documented wait field appears.
    const documented = documentedFields('inspect-history-json');
    const seen = fieldPaths(history);
    for (const field of seen) expect(documented).toContain(field);
    for (const field of documented.filter((f) => f.startsWith('runs[].waits[]')))
      expect(seen).toContain(field);

    const text = await runCli(['inspect', '--history'], env);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(run!.runId);
    expect(text.stdout).toMatch(
      new RegExp(`waited: host ${hostname()} pid ${pids[waiter]} for [0-9.]+ (ms|s), then warm start`),
    );
  });

  it('with embedded PGlite: the second waits for the database, then finds the work done', async () => {
    const env = await bootEnv({ extra: { GIGI_BOOT_LOCK_TIMEOUT: '2m' } });
    const [a, b] = [startCli(['run', '--no-handoff'], env), startCli(['run', '--no-handoff'], env)];
    const results = await Promise.all([a.done, b.done]);
    for (const r of results) expect(r.code, r.stdout + r.stderr).toBe(0);
    const logs = results.map((r) => events(r.stdout));
    const workers = logs.filter((l) => l.some((e) => e.event === 'step.start'));
    expect(workers).toHaveLength(1);
    const waiterLog = logs.find((l) => !l.some((e) => e.event === 'step.start'))!;
    expect(waiterLog.find((e) => e.event === 'boot.plan')?.plan).toBe('warm');
  });
});
