// `gigi-boot inspect` and `gigi-boot reset` through the real CLI: real Postgres, real boots of
// the Gitea simulator. The views (text, --blame, --history, --follow), the documented --json
// fields, reset --from STEP followed by a boot, bad input, exit codes, and no secret in any
// output without --reveal.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BOOT_STEPS } from '../../machines/boot.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { bootEnv, runCli, startCli, type CliResult } from '../support/boot-process.ts';
import { testServerUrl } from '../support/env.ts';
import { createTestDatabase, queryRows } from '../support/postgres.ts';
import { waitFor } from '../support/wait.ts';
import { documentedFields, fieldPaths } from '../support/listings.ts';

interface Report {
  exitCode: number;
  run: {
    runId: string;
    status: string;
    currentStep: string | null;
    resetFrom: { from: string; at: string } | null;
    failure: { step: string; message: string; hint: string | null } | null;
  } | null;
  steps: Array<{
    step: string;
    attempts: number;
    firstStartedAt: string;
    durationMs: number;
    outcome: string;
  }>;
  journal: Array<{ step: string; outcome: string; detail: Record<string, unknown> | null }>;
  nextAction: string | null;
  config: Record<string, string>;
}

interface History {
  runs: Array<{ runId: string; status: string; resetFrom: { from: string; at: string } | null }>;
}

/** Documented as opaque (free-form or a key → value map): their inner keys are not fields. */
const OPAQUE = new Set(['config', 'run.stateValue', 'journal[].detail']);

async function inspectJson(env: Record<string, string>, ...flags: string[]): Promise<Report> {
  const result = await runCli(['inspect', '--json', ...flags], env);
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout) as Report;
}

/** Secret values of this volume's config, as only --reveal shows them. */
async function secretsOf(env: Record<string, string>): Promise<string[]> {
  const revealed = await inspectJson(env, '--reveal');
  const secrets = ['admin_password', 'gitea_password', 'gitea_token', 'webhook_secret'].map(
    (key) => revealed.config[key]!,
  );
  for (const secret of secrets) expect(secret, 'a secret config key is missing').toMatch(/\S{8,}/);
  return secrets;
}

function expectNoSecret(output: string, secrets: string[]): void {
  for (const secret of secrets)
    expect(output.includes(secret), `a secret value leaked into:\n${output}`).toBe(false);
}

describe('inspect and reset of a booted volume (real Postgres, real boots)', () => {
  let databaseUrl: string;
  let env: Record<string, string>;
  const outputs: string[] = [];
  const record = (result: CliResult) => {
    outputs.push(result.stdout, result.stderr);
    return result;
  };

  beforeAll(async () => {
    databaseUrl = await createTestDatabase(testServerUrl(), 'insp');
    env = await bootEnv({ databaseUrl });
    const boot = await runCli(['run', '--no-handoff'], env);
    expect(boot.code, boot.stderr).toBe(EXIT.ok);
  });

  it('inspect on a volume that never booted exits 5', async () => {
    const fresh = await bootEnv({ databaseUrl: await createTestDatabase(testServerUrl(), 'insp') });
    const result = await runCli(['inspect'], fresh);
    expect(result.code).toBe(EXIT.noBoot);
    expect(result.stdout).toContain('no boot recorded');
    expect(result.stdout).toContain('Next: nothing has booted this volume yet');
  });

  it('the text view: status, timeline sorted by start time, redacted config keys, exit 0', async () => {
    const result = record(await runCli(['inspect'], env));
    expect(result.code, result.stderr).toBe(EXIT.ok);
    const report = await inspectJson(env);
    expect(result.stdout).toMatch(
      new RegExp(`^Status: +${report.run!.status} +run ${report.run!.runId}`, 'm'),
    );
    expect(result.stdout).toMatch(/^Step: +done$/m);
    const lines = result.stdout.split('\n');
    const header = lines.findIndex((l) => /^STEP +ATTEMPTS +START \(UTC\) +DURATION +OUTCOME$/.test(l));
    expect(header).toBeGreaterThan(0);
    const rows = lines.slice(header + 1, lines.indexOf('', header));
    // One row per step the boot ran, in the order they started (offsets never decrease).
    expect(rows.map((r) => r.split(/ +/)[0])).toEqual(report.steps.map((s) => s.step));
    const offsets = rows.map((r) => Number(/\+(\d+\.\d) s/.exec(r)![1]));
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(rows.map((r) => r.split(/ +/)[0])).toEqual(
      [...report.steps].sort((a, b) => a.firstStartedAt.localeCompare(b.firstStartedAt)).map((s) => s.step),
    );
    for (const step of ['createUsers', 'createOrg', 'persistConfig'])
      expect(rows.find((r) => r.startsWith(`${step} `))).toMatch(/ 1 .* ok$/);
    expect(result.stdout).toMatch(/^ {2}admin_password +\[redacted\]$/m);
    expect(result.stdout).toMatch(/^ {2}gitea_token +\[redacted\]$/m);
    expect(result.stdout).toMatch(/^ {2}admin_user +gigi-admin$/m);
  });

  it('--blame lists the steps slowest first, with the total', async () => {
    const result = record(await runCli(['inspect', '--blame'], env));
    expect(result.code, result.stderr).toBe(EXIT.ok);
    const report = await inspectJson(env);
    const blamed = result.stdout
      .split('\n')
      .map((l) => /^ +\d[\d.]* (?:ms|s|min \d+ s) +\d+% +(\w+)/.exec(l)?.[1])
      .filter((s): s is string => s !== undefined);
    expect(blamed).toHaveLength(report.steps.length);
    const durations = blamed.map((step) => report.steps.find((s) => s.step === step)!.durationMs);
    expect(durations).toEqual([...durations].sort((a, b) => b - a));
    expect(result.stdout).toMatch(/total step time \(wall /);
  });

  it('reset: a bad or missing STEP exits 2 listing the valid steps, and writes nothing', async () => {
    const before = await queryRows<{ n: string }>(
      databaseUrl,
      'select count(*)::text as n from gigi_boot_journal',
    );
    const bad = record(await runCli(['reset', '--from', 'createOrgs'], env));
    expect(bad.code).toBe(EXIT.config);
    expect(bad.stderr).toContain('"createOrgs" is not a boot step');
    for (const step of BOOT_STEPS) expect(bad.stderr).toContain(step);
    const missing = await runCli(['reset'], env);
    expect(missing.code).toBe(EXIT.config);
    expect(missing.stderr).toContain('--from STEP is required');
    const after = await queryRows<{ n: string }>(
      databaseUrl,
      'select count(*)::text as n from gigi_boot_journal',
    );
    expect(after).toEqual(before);
    expect((await inspectJson(env)).run!.resetFrom).toBeNull();
  });

  it('reset --from createOrg, then a boot: the journal shows the reset and the re-run; --history both runs', async () => {
    const first = await inspectJson(env);
    const reset = record(await runCli(['reset', '--from', 'createOrg'], env));
    expect(reset.code, reset.stderr).toBe(EXIT.ok);
    expect(reset.stdout).toContain(`Reset recorded on run ${first.run!.runId}`);

    // Pending: inspect shows it, the old run's status is untouched.
    const pending = await inspectJson(env);
    expect(pending.run!.runId).toBe(first.run!.runId);
    expect(pending.run!.status).toBe(first.run!.status);
    expect(pending.run!.resetFrom?.from).toBe('createOrg');
    expect(pending.nextAction).toContain('createOrg and every step after it run again');
    expect(pending.journal.at(-1)).toMatchObject({ step: 'createOrg', outcome: 'reset' });
    const text = record(await runCli(['inspect'], env));
    expect(text.stdout).toMatch(/^Reset: +--from createOrg at /m);

    const boot = record(await runCli(['run', '--no-handoff'], env));
    expect(boot.code, boot.stderr).toBe(EXIT.ok);
    expect(boot.stdout + boot.stderr).toContain('gigi-boot reset --from createOrg');

    const after = await inspectJson(env);
    expect(after.run!.runId).not.toBe(first.run!.runId);
    expect(after.run!.resetFrom).toBeNull();
    const rerun = after.steps.map((s) => s.step);
    for (const step of ['createOrg', 'addOwner', 'registerWebhook', 'persistConfig'])
      expect(after.steps.find((s) => s.step === step)?.outcome, `${step} in ${rerun.join(',')}`).toBe('ok');

    const oldJournal = await queryRows<{ step: string; outcome: string }>(
      databaseUrl,
      'select step, outcome from gigi_boot_journal where run_id = $1 order by id',
      [first.run!.runId],
    );
    expect(oldJournal.at(-1)).toEqual({ step: 'createOrg', outcome: 'reset' });

    const history = record(await runCli(['inspect', '--history', '--json'], env));
    expect(history.code).toBe(EXIT.ok);
    const runs = (JSON.parse(history.stdout) as History).runs;
    expect(runs.map((r) => r.runId)).toEqual([after.run!.runId, first.run!.runId]);
    expect(runs[1]!.resetFrom?.from).toBe('createOrg');
    const historyText = record(await runCli(['inspect', '--history'], env));
    expect(historyText.stdout).toContain(after.run!.runId);
    expect(historyText.stdout).toMatch(new RegExp(`${first.run!.runId} +reset --from createOrg at `));

    // The next boot finds the work done again (the mark was consumed).
    const warm = record(await runCli(['run', '--no-handoff'], env));
    expect(warm.code, warm.stderr).toBe(EXIT.ok);
    expect((await inspectJson(env)).run!.runId).toBe(after.run!.runId);
  });

  it('--json has exactly the fields docs/operations.md documents (completed, reset-pending and failed runs)', async () => {
    const documented = new Set([
      ...documentedFields('inspect-json'),
      ...documentedFields('inspect-critical-path-json'),
    ]);
    const seen = new Set<string>();
    const completed = await inspectJson(env);
    for (const path of fieldPaths(completed, OPAQUE)) seen.add(path);

    await runCli(['reset', '--from', 'registerWebhook'], env);
    const pending = await inspectJson(env);
    expect(pending.run!.resetFrom).not.toBeNull();
    for (const path of fieldPaths(pending, OPAQUE)) seen.add(path);

    const failed = await failedBoot();
    expect(failed.run!.failure).not.toBeNull();
    for (const path of fieldPaths(failed, OPAQUE)) seen.add(path);

    expect([...seen].sort()).toEqual([...documented].sort());

    const history = JSON.parse((await runCli(['inspect', '--history', '--json'], env)).stdout) as unknown;
    // No boot waited for a lock here (runs[].waits is empty): its element fields are asserted by
    // test/e2e/concurrent-boots.test.ts, where one does.
    const historyFields = documentedFields('inspect-history-json').filter(
      (f) => !f.startsWith('runs[].waits[]'),
    );
    expect([...fieldPaths(history, OPAQUE)].sort()).toEqual([...historyFields, 'runs[].waits'].sort());
  });

  it('no secret value in any output without --reveal', async () => {
    const secrets = await secretsOf(env);
    for (const args of [['inspect'], ['inspect', '--json'], ['inspect', '--blame'], ['inspect', '--history']])
      record(await runCli(args, env));
    expect(outputs.length).toBeGreaterThan(10);
    for (const output of outputs) expectNoSecret(output, secrets);
  });
});

/** A boot whose Gitea answers /api/v1/version without a version: awaitApi fails (exit 1). */
async function failedBoot(): Promise<Report> {
  const faultsDir = mkdtempSync(join(tmpdir(), 'gigi-inspect-faults-'));
  chmodSync(faultsDir, 0o777); // the simulator (run as gigi) keeps `times` counters next to it
  const faultsFile = join(faultsDir, 'faults.json');
  const rules = [
    { method: 'GET', path: '/api/v1/version', action: 'status', status: 200, message: 'not gitea' },
  ];
  writeFileSync(faultsFile, JSON.stringify({ rules }), { mode: 0o644 });
  const env = await bootEnv({
    databaseUrl: await createTestDatabase(testServerUrl(), 'insp'),
    extra: {
      GITEA_SIM_FAULTS: faultsFile,
      GIGI_BOOT_STEP_ATTEMPTS: '2',
      GIGI_BOOT_GITEA_READY_TIMEOUT: '5s',
    },
  });
  const boot = await runCli(['run', '--no-handoff'], env);
  expect(boot.code, boot.stderr).toBe(EXIT.failed);
  const text = await runCli(['inspect'], env);
  expect(text.code).toBe(EXIT.failed);
  expect(text.stdout).toMatch(/^Last error: awaitApi: /m);
  expect(text.stdout).toMatch(/^Next: .*restart the container/m);
  const result = await runCli(['inspect', '--json'], env);
  expect(result.code).toBe(EXIT.failed);
  return JSON.parse(result.stdout) as Report;
}

/** A faults file for the simulator (run as gigi: it keeps its counters beside it): Gitea starts after delayMs. */
function slowGiteaFaults(delayMs: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'gigi-inspect-faults-'));
  chmodSync(dir, 0o777);
  const file = join(dir, 'faults.json');
  writeFileSync(file, JSON.stringify({ startupDelayMs: delayMs }), { mode: 0o644 });
  return file;
}

describe('inspect --follow', () => {
  it('prints the progress of a boot started in parallel and exits with its final status', async () => {
    const databaseUrl = await createTestDatabase(testServerUrl(), 'insp');
    // A slow-starting Gitea keeps the boot running long enough to watch several checkpoints.
    const faultsFile = slowGiteaFaults(1500);
    const env = await bootEnv({ databaseUrl, extra: { GITEA_SIM_FAULTS: faultsFile } });

    // Started first: the volume has not booted yet, so it waits for the boot.
    const follow = startCli(['inspect', '--follow'], env);
    await Promise.race([
      new Promise<void>((resolve) => follow.child.stdout!.once('data', () => resolve())),
      follow.done.then((r) => expect.fail(`inspect --follow ended before the boot started: ${r.stderr}`)),
    ]);
    const boot = startCli(['run', '--no-handoff'], env);
    const [followed, booted] = await Promise.all([follow.done, boot.done]);
    expect(booted.code, booted.stderr).toBe(EXIT.ok);
    expect(followed.code, followed.stderr).toBe(EXIT.ok);
    expect(followed.stderr).toBe('');
    const out = followed.stdout;
    expect(out).toMatch(/^waiting for a boot of this volume to start/m);
    expect(out).toMatch(/^── running: /m);
    for (const step of ['startGitea', 'awaitApi', 'createUsers', 'createOrg', 'persistConfig', 'handOff'])
      expect(out).toMatch(new RegExp(`^\\S+ ✓ ${step} `, 'm'));
    // Steps appear in the order they finished, then the final status and the report.
    expect(out.indexOf('✓ createUsers')).toBeLessThan(out.indexOf('✓ createOrg'));
    expect(out).toMatch(/^── (completed|degraded) /m);
    expect(out).toMatch(/^Status: +(completed|degraded) /m);
    const secrets = await secretsOf(env);
    expectNoSecret(out, secrets);
  });

  it('--follow --json: one JSON event per line, ending with the report', async () => {
    const databaseUrl = await createTestDatabase(testServerUrl(), 'insp');
    const env = await bootEnv({ databaseUrl });
    const boot = startCli(['run', '--no-handoff'], env);
    const followed = await runCli(['inspect', '--follow', '--json'], env);
    expect((await boot.done).code).toBe(EXIT.ok);
    expect(followed.code, followed.stderr).toBe(EXIT.ok);
    const events = followed.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { event: string; report?: Report });
    expect(events.at(-1)!.event).toBe('end');
    expect(events.at(-1)!.report!.run!.status).toMatch(/completed|degraded/);
    expect(events.filter((e) => e.event === 'step').length).toBeGreaterThan(0);
  });

  it('with the embedded PGlite store it refuses at once, naming DATABASE_URL (exit 2)', async () => {
    const env = await bootEnv();
    const started = Date.now();
    const result = await runCli(['inspect', '--follow'], env);
    expect(result.code).toBe(EXIT.config);
    expect(result.stderr).toContain('DATABASE_URL');
    expect(result.stderr).toContain('single-process');
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});

describe('a boot that is running, then killed', () => {
  it('reset refuses while it runs (exit 4); after SIGKILL, --follow says the boot died (exit 3)', async () => {
    const databaseUrl = await createTestDatabase(testServerUrl(), 'insp');
    const faultsFile = slowGiteaFaults(60_000);
    const env = await bootEnv({
      databaseUrl,
      extra: { GITEA_SIM_FAULTS: faultsFile, GIGI_BOOT_GITEA_READY_TIMEOUT: '120s' },
    });
    const boot = startCli(['run', '--no-handoff'], env);
    try {
      const report = await waitFor(
        'inspect to report the running boot',
        async () => {
          const result = await runCli(['inspect', '--json'], env);
          const seen = result.code === EXIT.inProgress ? (JSON.parse(result.stdout) as Report) : null;
          return seen?.run?.status === 'running' && seen;
        },
        { timeout: 30_000, interval: 250 },
      );
      expect(report.run?.status).toBe('running');
      expect(report.nextAction).toContain('a boot is running');

      const reset = await runCli(['reset', '--from', 'createOrg'], env);
      expect(reset.code, reset.stderr).toBe(EXIT.lockTimeout);
      expect(reset.stderr).toContain('is running');
      expect(reset.stderr).toContain('Reset only between boots');
      expect((await inspectJson(env)).run!.resetFrom).toBeNull();
    } finally {
      boot.child.kill('SIGKILL');
      await boot.done;
    }
    const followed = await runCli(['inspect', '--follow'], env);
    expect(followed.code, followed.stderr).toBe(EXIT.inProgress);
    expect(followed.stdout).toContain('no gigi-boot process holds this volume’s boot lock');
    expect(followed.stdout).toMatch(/^Status: +running /m);
  });
});
