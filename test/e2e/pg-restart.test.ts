// Postgres restarted (`pg_ctl restart -m fast`) or stopped under a real `gigi-boot run`, at every
// step of a first boot. Every session is cut, the boot lock's among them: the boot must stop
// cleanly at its next checkpoint (exit 1, "lost the lock", resumable) — never an unhandled
// 'error' event, a raw stack or a SIGKILLed Gitea — and the next run must complete, creating
// nothing twice. Each test has a cluster of its own (pg_ctl), since the restart cuts everyone.
import pg from 'pg';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { activeSteps, BOOT_STEPS } from '../../machines/boot.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { bootEnv, processesUsing, runCli, startCli, type CliResult } from '../support/boot-process.ts';
import { watchCheckpoints } from '../support/checkpoints.ts';
import { createTestDatabase, startRestartableCluster, type RestartableCluster } from '../support/postgres.ts';
import { comparableOutcome, readBootOutcome, referenceOutcome } from './verify.ts';

const INTERNAL_STEPS = BOOT_STEPS.filter((s) => s !== 'checkExternalGitea');

/** Signs of a crash instead of a handled failure: node's unhandled-event text, a JS stack frame. */
const CRASH = /Unhandled 'error' event|internal error|\n\s+at .+:\d+:\d+\)?\n/;

/** A pg client for the test's own reads; its session dies with the restart, which it must survive. */
async function connect(url: string, applicationName = 'gigi-boot test'): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: applicationName });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** The Gitea line of the boot, in order; buildRunnerWorker runs beside it from the start. */
const GITEA_LINE: readonly string[] = INTERNAL_STEPS.filter((s) => s !== 'buildRunnerWorker');

/** Has the boot reached `step` (running it, or past it) in this persisted state value? */
function reached(value: unknown, step: string): boolean {
  if (value === 'done' || value === 'failed') return true;
  const steps = activeSteps(value);
  const index = Math.max(-1, ...steps.map((s) => GITEA_LINE.indexOf(s)));
  // The runner step starts beside writeAppIni and, without Docker, is over in milliseconds: a
  // checkpoint read a moment later may already show it done.
  if (step === 'buildRunnerWorker') return steps.includes(step) || index >= GITEA_LINE.indexOf('writeAppIni');
  return index >= GITEA_LINE.indexOf(step);
}

/**
 * Start a boot; as soon as a checkpoint shows it at (or past) `step`, freeze it (SIGSTOP, so the
 * step cannot finish meanwhile), apply `disrupt` to Postgres, and let it go on (SIGCONT).
 */
async function disruptAt(
  env: Record<string, string>,
  databaseUrl: string,
  step: string,
  disrupt: () => Promise<void>,
): Promise<{ at: string | null; result: CliResult }> {
  let at: string | null = null;
  const boot: { child?: ChildProcess } = {}; // started once the watch listens
  // Checkpoints are handled one after the other; stop() awaits the last, so a disruption never
  // outlives the boot it was aimed at.
  const watch = await watchCheckpoints(databaseUrl, async (value) => {
    if (!reached(value, step)) return false;
    at = activeSteps(value).join('+') || JSON.stringify(value);
    boot.child!.kill('SIGSTOP');
    try {
      await disrupt();
    } finally {
      boot.child!.kill('SIGCONT');
    }
    return true;
  });
  const { child, done } = startCli(['run', '--no-handoff'], env);
  boot.child = child;
  const result = await done;
  await watch.stop();
  if (at === null && result.code === EXIT.ok) {
    // The boot ended before the watch read the checkpoint that shows it at `step` (the last steps
    // of a --no-handoff boot take a few ms, a notification's round trip may take longer): the
    // "completed boot" case. Postgres is still disrupted, so the convergence check sees it.
    const client = await connect(databaseUrl);
    try {
      const { rows } = await client.query<{ state_value: unknown }>(
        'select state_value from gigi_boot_runs order by started_at desc limit 1',
      );
      if (rows[0] !== undefined && reached(rows[0].state_value, step)) {
        at = `${JSON.stringify(rows[0].state_value)} (the boot ended first)`;
      }
    } finally {
      await client.end();
    }
    await disrupt();
  }
  return { at, result };
}

/** Every temporary Gitea a boot started got SIGTERM (a graceful stop), none was left to SIGKILL. */
function expectGracefulGiteaStops(dataDir: string): void {
  const log = join(dataDir, 'gigi-boot', 'temporary-gitea.log');
  if (!existsSync(log)) return; // the boot stopped before startGitea
  const text = readFileSync(log, 'utf8');
  const started = text.match(/Starting new Web server/g)?.length ?? 0;
  const stopped = text.match(/Received SIGTERM/g)?.length ?? 0;
  expect(stopped, text.slice(-2000)).toBe(started);
}

let reference: Awaited<ReturnType<typeof referenceOutcome>>;

beforeAll(async () => {
  reference = await referenceOutcome();
}, 120_000);

/** A cluster for this test alone (and a boot env on it), stopped when it ends (the test's own hook: tests run concurrently). */
async function ownCluster(
  onTestFinished: (fn: () => Promise<void>) => void,
): Promise<{ cluster: RestartableCluster; databaseUrl: string; env: Record<string, string> }> {
  const cluster = await startRestartableCluster();
  onTestFinished(() => cluster.stop());
  const databaseUrl = await createTestDatabase(cluster.url, 'restart');
  return { cluster, databaseUrl, env: await bootEnv({ databaseUrl }) };
}

/** The first run ended in a handled way: done, or stopped with the lost lock / store error. */
function expectHandledEnd(result: CliResult): void {
  const printed = result.stdout + result.stderr;
  expect(printed).not.toMatch(CRASH);
  expect(result.signal, printed).toBeNull();
  expect([EXIT.ok, EXIT.failed], printed).toContain(result.code);
  if (result.code === EXIT.failed) {
    expect(printed).toMatch(/Lost the boot lock of volume|DATABASE_URL/);
    expect(printed).toContain('resumes from the last checkpoint');
  }
}

async function expectConverges(env: Record<string, string>, databaseUrl: string, first: CliResult) {
  const dataDir = env.GIGI_DATA_DIR!;
  expect(processesUsing(dataDir)).toEqual([]);
  if (first.code !== EXIT.ok) {
    const rerun = await runCli(['run', '--no-handoff'], env);
    const printed = rerun.stdout + rerun.stderr;
    expect(rerun.code, printed).toBe(EXIT.ok);
    expect(printed).not.toMatch(CRASH);
    expect(processesUsing(dataDir)).toEqual([]);
  }
  expectGracefulGiteaStops(dataDir);
  expect(comparableOutcome(await readBootOutcome(env, databaseUrl))).toEqual(reference);
  const client = await connect(databaseUrl);
  try {
    const runs = await client.query<{ status: string }>(
      'select status from gigi_boot_runs order by started_at',
    );
    expect(runs.rows.at(-1)!.status).toBe('completed');
  } finally {
    await client.end();
  }
}

describe.concurrent('pg_ctl restart -m fast during a first boot, then run again if it stopped', () => {
  it.for(INTERNAL_STEPS)(
    'restart at %s: a handled stop (or a completed boot), then it converges',
    async (step, { onTestFinished }) => {
      const { cluster, databaseUrl, env } = await ownCluster(onTestFinished);
      const { at, result } = await disruptAt(env, databaseUrl, step, () => cluster.restart('fast'));
      expect(at, result.stdout + result.stderr).not.toBeNull();
      expectHandledEnd(result);
      await expectConverges(env, databaseUrl, result);
    },
  );
});

describe('Postgres stopped mid-boot and not back in time', () => {
  it('ends the boot with exit 1 and a StoreError naming DATABASE_URL, Gitea stopped; resumes once Postgres is back', async ({
    onTestFinished,
  }) => {
    const { cluster, databaseUrl, env } = await ownCluster(onTestFinished);
    const { at, result } = await disruptAt(env, databaseUrl, 'createTokens', () => cluster.pgStop());
    const printed = result.stdout + result.stderr;
    expect(at, printed).not.toBeNull();
    expect(printed).not.toMatch(CRASH);
    expect(result.code, printed).toBe(EXIT.failed);
    expect(result.stderr).toMatch(
      /^gigi-boot: .*DATABASE_URL=postgres:\/\/postgres@127\.0\.0\.1:\d+\/restart_/m,
    );
    expect(result.stderr).toContain('resumes from the last checkpoint');
    expect(processesUsing(env.GIGI_DATA_DIR!)).toEqual([]);
    expectGracefulGiteaStops(env.GIGI_DATA_DIR!);

    await cluster.pgStart();
    await expectConverges(env, databaseUrl, result);
  });
});

describe('inspect --follow while Postgres is away', () => {
  it('rides out a stopped Postgres (longer than its 5 s liveness tick) and ends with the run it follows', async ({
    onTestFinished,
  }) => {
    const { cluster, databaseUrl, env } = await ownCluster(onTestFinished);
    const follow = startCli(['inspect', '--follow'], env);
    onTestFinished(() => {
      follow.child.kill('SIGKILL');
    });
    let printed = '';
    follow.child.stdout?.on('data', (d: Buffer) => (printed += d.toString()));
    await expect.poll(() => printed, { timeout: 60_000 }).toContain('waiting for a boot');
    // Postgres away for 7 s while the boot (frozen meanwhile) is at createOrg: follow's liveness
    // check and reads meet a server that is not there.
    const { result } = await disruptAt(env, databaseUrl, 'createOrg', async () => {
      await cluster.pgStop();
      await new Promise((resolve) => setTimeout(resolve, 7_000));
      await cluster.pgStart();
    });
    expectHandledEnd(result);

    const followed = await follow.done;
    const output = followed.stdout + followed.stderr;
    expect(output).not.toMatch(CRASH);
    expect(output).not.toContain('Cannot connect');
    // It ends with the run: interrupted by the lost lock (exit 3, it resumes), or completed.
    if (result.code === EXIT.ok) expect(followed.code, output).toBe(EXIT.ok);
    else {
      expect(followed.code, output).toBe(EXIT.inProgress);
      expect(followed.stdout).toContain('── interrupted');
    }
    expect(followed.stdout).toContain('createUsers');
    await expectConverges(env, databaseUrl, result);
  });
});
