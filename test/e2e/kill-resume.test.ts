import { join } from 'node:path';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { activeSteps, BOOT_STEPS } from '../../machines/boot.ts';
import { bootEnv, processesUsing, runCli, startCli, type CliResult } from '../support/boot-process.ts';
import { watchCheckpoints } from '../support/checkpoints.ts';
import { testServerUrl } from '../support/env.ts';
import { readWebRuns } from '../gitea-sim/web-runs.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { comparableOutcome, readBootOutcome, referenceOutcome } from './verify.ts';

const INTERNAL_STEPS = BOOT_STEPS.filter((s) => s !== 'checkExternalGitea');

/**
 * When to send the signal: once a checkpoint shows the boot at (or past) the step, or — earlier,
 * for a step too short to outlive a checkpoint's round trip — once the boot logs that it starts it.
 */
type KillPoint = 'checkpoint' | 'step.start';

/** Index of the furthest step in this persisted state value (Infinity once the boot ended). */
function reachedIndex(value: unknown): number {
  if (value === 'done' || value === 'failed') return Infinity;
  return Math.max(
    -1,
    ...activeSteps(value).map((s) => INTERNAL_STEPS.indexOf(s as (typeof INTERNAL_STEPS)[number])),
  );
}

/** Start a boot and send `signal` at `step`, as `point` says. */
async function killAt(
  env: Record<string, string>,
  databaseUrl: string,
  step: string,
  signal: NodeJS.Signals,
  point: KillPoint,
) {
  const target = INTERNAL_STEPS.indexOf(step as (typeof INTERNAL_STEPS)[number]);
  let killedAt: string | null = null;
  let kill = (_at: string) => undefined as void;
  const watch = await watchCheckpoints(databaseUrl, (value) => {
    if (point !== 'checkpoint' || reachedIndex(value) < target) return false;
    kill(activeSteps(value).join('+') || JSON.stringify(value));
    return true;
  });
  const { child, done } = startCli(['run', '--no-handoff'], env);
  kill = (at) => {
    if (killedAt) return;
    killedAt = at;
    child.kill(signal);
  };
  if (point === 'step.start') {
    const startLine = new RegExp(
      `"event":"step\\.start"[^\\n]*"step":"${step}"|"step":"${step}"[^\\n]*"event":"step\\.start"`,
    );
    let seen = '';
    child.stdout!.on('data', (d: Buffer) => {
      seen += d.toString();
      if (startLine.test(seen)) kill(`${step} (its step.start line)`);
    });
  }
  const result: CliResult = await done;
  await watch.stop();
  return { killedAt, result };
}

/** The runs' statuses in the store, oldest first. */
async function runStatuses(databaseUrl: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ status: string }>(
      'select status from gigi_boot_runs order by started_at',
    );
    return rows.map((r) => r.status);
  } finally {
    await client.end();
  }
}

/** Kill attempts per test: the first at the checkpoint, the rest at the step's start line. */
const ATTEMPTS = 4;

let reference: Awaited<ReturnType<typeof referenceOutcome>>;

beforeAll(async () => {
  reference = await referenceOutcome();
  expect(reference.hooks).toHaveLength(1);
}, 120_000);

describe.concurrent.each(['SIGKILL', 'SIGTERM'] as const)(
  '%s during a first boot, then run again',
  (signal) => {
    it.for(INTERNAL_STEPS)(
      `${signal} at %s: resumes and ends identical to an uninterrupted boot`,
      async (step, { expect }) => {
        // The kill must land before the boot ends, or there is nothing to resume: a step that
        // takes milliseconds (handOff) can finish first. Such a try is done again on a fresh
        // volume, killing at the step's start line, earlier than its checkpoint.
        const tries: string[] = [];
        let landed:
          | {
              env: Record<string, string>;
              databaseUrl: string;
              killedAt: string | null;
              result: CliResult;
              statuses: string[];
            }
          | undefined;
        for (let n = 0; n < ATTEMPTS && !landed; n++) {
          const databaseUrl = await createTestDatabase(testServerUrl(), 'kill');
          const env = await bootEnv({ databaseUrl });
          const { killedAt, result } = await killAt(
            env,
            databaseUrl,
            step,
            signal,
            n === 0 ? 'checkpoint' : 'step.start',
          );
          const statuses = await runStatuses(databaseUrl);
          const byTheSignal = signal === 'SIGKILL' ? result.signal === 'SIGKILL' : result.code === 143;
          if (byTheSignal && !statuses.includes('completed'))
            landed = { env, databaseUrl, killedAt, result, statuses };
          else
            tries.push(
              `killed at ${killedAt}: exit ${result.code ?? result.signal}, runs ${statuses.join(',')}`,
            );
        }
        expect(landed, `no kill landed before the boot ended:\n${tries.join('\n')}`).toBeDefined();
        const { env, databaseUrl, killedAt, result, statuses } = landed!;
        // The process died of the signal, and the store shows the one run it left unfinished
        // (SIGKILL: still "running"; SIGTERM: it stopped at a checkpoint, "interrupted").
        if (signal === 'SIGKILL') expect(result.signal).toBe('SIGKILL');
        else expect(result.code, result.stdout + result.stderr).toBe(143);
        expect(statuses).toEqual([signal === 'SIGKILL' ? 'running' : 'interrupted']);
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
        expect(comparableOutcome(await readBootOutcome(env, databaseUrl))).toEqual(reference);

        // The journal tells the story: the interrupted run, then a completed one (or the same
        // run, resumed to completion).
        expect((await runStatuses(databaseUrl)).at(-1)).toBe('completed');
      },
    );
  },
);
