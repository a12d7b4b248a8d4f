// Kill `gigi-boot run` — a real process, really killed — at every step of a first boot, then
// run it again: it must resume, complete, and leave Gitea and the config table exactly as an
// uninterrupted boot does (no duplicate user, token name, org or webhook), with no Gitea left
// running behind it, and every temporary Gitea stopped gracefully (TERM), never killed.
import { join } from 'node:path';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { activeSteps, BOOT_STEPS } from '../../machines/boot.ts';
import { bootEnv, processesUsing, runCli, startCli, type CliResult } from '../support/boot-process.ts';
import { testServerUrl } from '../support/env.ts';
import { readWebRuns } from '../gitea-sim/web-runs.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { comparableOutcome, readBootOutcome } from './verify.ts';

const INTERNAL_STEPS = BOOT_STEPS.filter((s) => s !== 'checkExternalGitea');

/** Start a boot and send `signal` as soon as a checkpoint shows it at (or past) `step`. */
async function killAt(
  env: Record<string, string>,
  databaseUrl: string,
  step: string,
  signal: NodeJS.Signals,
) {
  // Named as inspect --follow's session: checkpoints notify only while such a listener is connected.
  const listener = new pg.Client({
    connectionString: databaseUrl,
    application_name: 'gigi-boot listen (test)',
  });
  await listener.connect();
  await listener.query('LISTEN gigi_boot_progress');
  const target = INTERNAL_STEPS.indexOf(step as (typeof INTERNAL_STEPS)[number]);
  const { child, done } = startCli(['run', '--no-handoff'], env);
  let killedAt: string | null = null;
  const reader = new pg.Client({ connectionString: databaseUrl });
  await reader.connect();
  listener.on('notification', (message) => {
    if (killedAt) return;
    void reader
      .query<{ state_value: unknown }>('select state_value from gigi_boot_runs where run_id = $1', [
        message.payload,
      ])
      .then(({ rows }) => {
        const value = rows[0]?.state_value;
        if (killedAt || value === undefined) return;
        const steps = activeSteps(value);
        const index =
          value === 'done' || value === 'failed'
            ? Infinity
            : Math.max(-1, ...steps.map((s) => INTERNAL_STEPS.indexOf(s as (typeof INTERNAL_STEPS)[number])));
        if (index >= target) {
          killedAt = steps.join('+') || JSON.stringify(value);
          child.kill(signal);
        }
      });
  });
  const result: CliResult = await done;
  await listener.end();
  await reader.end();
  return { killedAt, result };
}

const comparable = comparableOutcome;

let reference: ReturnType<typeof comparable>;

beforeAll(async () => {
  const databaseUrl = await createTestDatabase(testServerUrl(), 'ref');
  const env = await bootEnv({ databaseUrl });
  const result = await runCli(['run', '--no-handoff'], env);
  expect(result.code, result.stdout + result.stderr).toBe(0);
  reference = comparable(await readBootOutcome(env, databaseUrl));
  expect(reference.hooks).toHaveLength(1);
}, 120_000);

describe.concurrent.each(['SIGKILL', 'SIGTERM'] as const)(
  '%s during a first boot, then run again',
  (signal) => {
    it.for(INTERNAL_STEPS)(
      `${signal} at %s: resumes and ends identical to an uninterrupted boot`,
      async (step, { expect }) => {
        const databaseUrl = await createTestDatabase(testServerUrl(), 'kill');
        const env = await bootEnv({ databaseUrl });
        const { killedAt, result } = await killAt(env, databaseUrl, step, signal);

        // A step that takes a few milliseconds (handOff) can finish before the signal lands: then
        // the boot completed, which is the other legitimate outcome.
        if (result.code !== 0) {
          if (signal === 'SIGKILL') expect(result.signal).toBe('SIGKILL');
          else expect(result.code, result.stdout + result.stderr).toBe(143);
        }
        expect(killedAt).not.toBeNull();
        // Nothing of the interrupted boot keeps running: the temporary Gitea shut down with it
        // (SIGKILL: the parent-death TERM) or was stopped on the way out (SIGTERM).
        await expect.poll(() => processesUsing(env.GIGI_DATA_DIR!)).toEqual([]);

        const rerun = await runCli(['run', '--no-handoff'], env);
        expect(rerun.code, rerun.stdout + rerun.stderr).toBe(0);
        expect(processesUsing(env.GIGI_DATA_DIR!)).toEqual([]);
        // Every temporary Gitea of both boots was stopped gracefully (TERM handled, queues
        // flushed), never killed: the simulator records how each `gitea web` ended.
        const webRuns = readWebRuns(join(env.GIGI_DATA_DIR!, 'gitea', 'data', 'gitea.db'));
        expect(webRuns.length).toBeGreaterThanOrEqual(1);
        expect(webRuns.map((r) => r.stoppedBy)).toEqual(webRuns.map(() => 'SIGTERM'));
        expect(comparable(await readBootOutcome(env, databaseUrl))).toEqual(reference);

        // The journal tells the story: the interrupted step (if the kill landed inside one) and a completed run.
        const client = new pg.Client({ connectionString: databaseUrl });
        await client.connect();
        const runs = await client.query<{ status: string }>(
          'select status from gigi_boot_runs order by started_at',
        );
        await client.end();
        expect(runs.rows.at(-1)!.status).toBe('completed');
      },
    );
  },
);
