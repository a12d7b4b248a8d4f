// The app never waits for Docker: `gigi-boot run` hands off to supervisord as soon as the Gitea
// region is done and finishes the runner-worker build under itself, with the real supervisord
// and the real Docker engine. And a box whose only problem is the runner image re-does only
// that: no Gitea process, no Gitea request (counted in the simulator's call log), the build
// retried at later restarts with backoff, and no more once it has succeeded.
//
// The build is held by a gate the test controls (no sleeps): its RUN step fetches a URL of this
// test over the host network, which answers when the test says so, with 200 or 500.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCalls } from '../gitea-sim/state-store.ts';
import {
  cleanupContexts,
  containersOf,
  dockerBootEnv,
  makeContext,
  requireEngine,
} from '../docker/helpers.ts';
import { processesUsing, runCli, startCli } from '../support/boot-process.ts';
import { Gate, gateRunStep } from '../support/http-gate.ts';
import { queryRows } from '../support/postgres.ts';

const gates: Gate[] = [];
beforeAll(requireEngine);
afterAll(async () => {
  for (const g of gates) g.close();
  await cleanupContexts();
});

interface JournalRow {
  run_id: string;
  step: string;
  outcome: string;
  detail: { outcome?: string } | null;
}

const journal = (url: string) =>
  queryRows<JournalRow>(url, 'select run_id, step, outcome, detail from gigi_boot_journal order by id');
const runs = (url: string) =>
  queryRows<{ run_id: string; status: string; snapshot: { scope?: string; runner?: { attempts: number } } }>(
    url,
    'select run_id, status, snapshot from gigi_boot_runs order by started_at',
  );

/** A volume whose runner-worker build waits on a fresh gate (Docker's host network reaches it). */
async function gatedVolume(extra: Record<string, string> = {}) {
  const gate = new Gate();
  gates.push(gate);
  const url = await gate.listen();
  const context = makeContext([gateRunStep(url)]);
  const { env, databaseUrl } = await dockerBootEnv(context, {
    prefix: 'bgbuild',
    extra: {
      GIGI_BOOT_RUNNER_NETWORK: 'host',
      GIGI_BOOT_STEP_ATTEMPTS: '1',
      // Only Gitea and the app: the Chromium stack is someone else's.
      CHROME_CDP_URL: 'http://chrome.example:9222',
      ...extra,
    },
  });
  return { gate, context, databaseUrl, env, dataDir: env.GIGI_DATA_DIR! };
}

/** The internal Gitea's call log: where the boot's app.ini puts the simulator's database. */
function giteaCalls(dataDir: string): string[] {
  const appIni = join(dataDir, 'gitea', 'custom', 'conf', 'app.ini');
  if (!existsSync(appIni)) return [];
  const text = readFileSync(appIni, 'utf8');
  const db = /^PATH\s*=\s*(.+)$/m.exec(text.slice(text.indexOf('[database]')))?.[1]?.trim();
  return db ? readCalls(db) : [];
}

/** `gigi-boot run` (its hand-off included), once it has handed off to supervisord. */
async function startHandedOff(env: Record<string, string>) {
  const boot = startCli(['run'], env);
  let stdout = '';
  boot.child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  await expect
    .poll(() => stdout.includes('"event":"handoff.start"'), { timeout: 120_000, interval: 100 })
    .toBe(true);
  return boot;
}

describe('the runner-worker build after the hand-off (real supervisord, real Docker)', () => {
  it('hands off to supervisord before a slow build ends; the build finishes under gigi-boot and lands in the journal', async () => {
    const { gate, context, databaseUrl, env, dataDir } = await gatedVolume();
    const boot = await startHandedOff(env);

    // supervisord runs, the build is still held at the gate: the app did not wait for it.
    expect(gate.requests).toBeLessThanOrEqual(1);
    const during = await journal(databaseUrl);
    expect(during.filter((r) => r.step === 'handOff').map((r) => r.outcome)).toEqual(['ok']);
    expect(during.some((r) => r.step === 'buildRunnerWorker')).toBe(false);
    expect((await runs(databaseUrl)).at(-1)!.status).toBe('running');

    gate.open(200);
    await expect
      .poll(async () => (await runs(databaseUrl)).at(-1)!.status, { timeout: 120_000, interval: 200 })
      .toBe('completed');
    const build = (await journal(databaseUrl)).find((r) => r.step === 'buildRunnerWorker')!;
    expect(build).toMatchObject({ outcome: 'ok', detail: { outcome: 'built' } });
    const inspect = await runCli(['inspect', '--json'], env);
    const report = JSON.parse(inspect.stdout) as {
      run: { status: string };
      journal: Array<{ step: string }>;
    };
    expect(report.run.status).toBe('completed');
    expect(report.journal.map((r) => r.step)).toContain('buildRunnerWorker');

    // gigi-boot stays supervisord's parent: SIGTERM stops it and every program.
    boot.child.kill('SIGTERM');
    await boot.done;
    await expect.poll(() => processesUsing(dataDir), { timeout: 20_000 }).toEqual([]);
    expect(await containersOf(context.nonce)).toEqual([]);
  }, 300_000);

  it('SIGTERM during the background build stops supervisord and the build; the next start resumes only the build', async () => {
    const { gate, context, databaseUrl, env, dataDir } = await gatedVolume();
    const boot = await startHandedOff(env);
    await expect.poll(() => gate.requests, { timeout: 120_000, interval: 100 }).toBe(1);

    boot.child.kill('SIGTERM');
    await boot.done;
    await expect.poll(() => processesUsing(dataDir), { timeout: 20_000 }).toEqual([]);
    await expect.poll(() => containersOf(context.nonce), { timeout: 20_000 }).toEqual([]);
    expect((await runs(databaseUrl)).at(-1)!.status).toBe('interrupted');
    expect(
      (await journal(databaseUrl)).filter((r) => r.step === 'buildRunnerWorker').map((r) => r.outcome),
    ).toEqual(['interrupted']);

    // The next start resumes the run: only the build runs again; Gitea is not touched.
    const calls = giteaCalls(dataDir);
    gate.open(200);
    const next = await runCli(['run', '--no-handoff'], env);
    expect(next.code, next.stdout + next.stderr).toBe(0);
    expect(next.stdout).toMatch(/"event":"boot.plan","plan":"resume"/);
    expect(giteaCalls(dataDir)).toEqual(calls);
    expect((await runs(databaseUrl)).map((r) => r.status)).toEqual(['completed']);
  }, 300_000);

  it('a restart after a failed build makes no Gitea call and starts no Gitea; it retries with backoff and stops once built', async () => {
    const { gate, databaseUrl, env, dataDir } = await gatedVolume();
    gate.open(500); // the build fails (as offline, a registry down…)
    const first = await runCli(['run', '--no-handoff'], env);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect((await runs(databaseUrl)).map((r) => r.status)).toEqual(['degraded']);
    const calls = giteaCalls(dataDir);
    expect(calls).toContain('web');
    const builds = async () =>
      (await journal(databaseUrl)).filter((r) => r.step === 'buildRunnerWorker').map((r) => r.outcome);
    expect(await builds()).toEqual(['error']);

    // Right after: the retry is not due (GIGI_BOOT_RUNNER_RETRY, 5 min by default): warm start.
    const early = await runCli(['run', '--no-handoff'], env);
    expect(early.code).toBe(0);
    expect(early.stdout).toMatch(/"event":"boot.plan","plan":"warm"/);
    expect(early.stdout).toMatch(/next try at a restart after/);
    expect(await builds()).toEqual(['error']);

    // Due (no backoff configured): a runner-only run, which fails again and counts the attempt.
    const due = { ...env, GIGI_BOOT_RUNNER_RETRY: '0s' };
    const retry = await runCli(['run', '--no-handoff'], due);
    expect(retry.code).toBe(0);
    expect(retry.stdout).toMatch(/"event":"boot.plan","plan":"runner"/);
    expect(await builds()).toEqual(['error', 'error']);
    const afterRetry = await runs(databaseUrl);
    expect(afterRetry.map((r) => r.status)).toEqual(['degraded', 'degraded']);
    expect(afterRetry[1]!.snapshot).toMatchObject({ scope: 'runner', runner: { attempts: 2 } });
    const retried = (await journal(databaseUrl)).filter((r) => r.run_id === afterRetry[1]!.run_id);
    expect(retried.map((r) => r.step).sort()).toEqual(['buildRunnerWorker', 'detectModes', 'handOff']);

    // The registry is back: the next due restart builds, and then no restart builds again.
    gate.open(200);
    const fixed = await runCli(['run', '--no-handoff'], due);
    expect(fixed.stdout).toMatch(/"event":"boot.plan","plan":"runner"/);
    expect((await runs(databaseUrl)).at(-1)!.status).toBe('completed');
    expect(await builds()).toEqual(['error', 'error', 'ok']);
    const after = await runCli(['run', '--no-handoff'], due);
    expect(after.stdout).toMatch(/"event":"boot.plan","plan":"warm"/);
    expect(await builds()).toEqual(['error', 'error', 'ok']);

    // None of the restarts started a Gitea process or sent it a request.
    expect(giteaCalls(dataDir)).toEqual(calls);
  }, 300_000);
});
