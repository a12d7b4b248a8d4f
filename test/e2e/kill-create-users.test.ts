// Kill `gigi-boot run` inside createUsers, at the instant that used to break a boot for good:
// the account exists in Gitea, gigi-boot has not heard back yet. The simulator holds the CLI
// (`admin user create`, the admin) or the API (`POST /admin/users`, gigi) right after it stored
// the user; the test kills gigi-boot there with SIGKILL or SIGTERM, then runs it again. The
// second run must converge: the boot completes, the saved passwords sign in, no duplicate user,
// no recovery token left behind, and no secret on any Gitea command line, in any output or in
// `inspect --json` (the journal).
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, it } from 'vitest';
import { RECOVERY_TOKEN_PREFIX } from '../../src/gitea/accounts.ts';
import { releaseHold, type FaultsConfig } from '../gitea-sim/faults.ts';
import type { DbState } from '../gitea-sim/state-store.ts';
import { readWebRuns } from '../gitea-sim/web-runs.ts';
import { bootEnv, processesUsing, runCli, startCli } from '../support/boot-process.ts';
import { testServerUrl } from '../support/env.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { comparableOutcome, readBootOutcome, referenceOutcome } from './verify.ts';

const HOLDS = {
  admin: 'admin user create',
  gigi: 'POST /api/v1/admin/users',
} as const;

/** What the second run's createUsers must report, per held account. */
const RESUMED_OUTCOME = {
  admin: 'admin recovered, gigi created',
  gigi: 'admin existed, gigi existed',
} as const;

let reference: Awaited<ReturnType<typeof referenceOutcome>>;

beforeAll(async () => {
  reference = await referenceOutcome();
}, 120_000);

/** A directory the simulator (running as gigi) can write its hold file, counters and argv log in. */
function simFiles(at: string) {
  const dir = mkdtempSync(join(tmpdir(), 'gigi-kill-users-'));
  chmodSync(dir, 0o777);
  const held = join(dir, 'held');
  const argvLog = join(dir, 'argv.jsonl');
  writeFileSync(argvLog, '');
  chmodSync(argvLog, 0o666);
  const faults: FaultsConfig = { holds: [{ at, file: held, times: 1 }] };
  const faultsPath = join(dir, 'faults.json');
  writeFileSync(faultsPath, JSON.stringify(faults));
  return { held, argvLog, faultsPath };
}

/** The createUsers outcome recorded in the run's JSON log lines. */
function createUsersOutcome(stdout: string): string | undefined {
  for (const line of stdout.split('\n')) {
    if (!line.includes('createUsers')) continue;
    const match = /"outcome":"([^"]*)"/.exec(line);
    if (match) return match[1];
  }
  return undefined;
}

describe.concurrent.each(['SIGKILL', 'SIGTERM'] as const)('%s inside createUsers', (signal) => {
  it.for(Object.keys(HOLDS) as Array<keyof typeof HOLDS>)(
    `${signal} after Gitea created the %s account, before gigi-boot heard back: the next run converges`,
    async (account, { expect }) => {
      const databaseUrl = await createTestDatabase(testServerUrl(), 'killusers');
      const files = simFiles(HOLDS[account]);
      const env = await bootEnv({
        databaseUrl,
        extra: { GITEA_SIM_FAULTS: files.faultsPath, GITEA_SIM_ARGV_LOG: files.argvLog },
      });

      const { child, done } = startCli(['run', '--no-handoff'], env);
      await expect.poll(() => existsSync(files.held), { timeout: 90_000, interval: 50 }).toBe(true);
      child.kill(signal);
      const first = await done;
      releaseHold(files.held);
      if (signal === 'SIGKILL') expect(first.signal).toBe('SIGKILL');
      else expect(first.code, first.stdout + first.stderr).toBe(143);
      await expect.poll(() => processesUsing(env.GIGI_DATA_DIR!), { timeout: 15_000 }).toEqual([]);

      const rerun = await runCli(['run', '--no-handoff'], env);
      expect(rerun.code, rerun.stdout + rerun.stderr).toBe(0);
      expect(createUsersOutcome(rerun.stdout)).toBe(RESUMED_OUTCOME[account]);

      const outcome = await readBootOutcome(env, databaseUrl);
      expect(comparableOutcome(outcome)).toEqual(reference);
      // Both runs' temporary Gitea stopped gracefully (a handled SIGTERM), never killed.
      const webRuns = readWebRuns(join(env.GIGI_DATA_DIR!, 'gitea', 'data', 'gitea.db'));
      expect(webRuns.length).toBeGreaterThanOrEqual(2);
      expect(webRuns.map((r) => r.stoppedBy)).toEqual(webRuns.map(() => 'SIGTERM'));
      // The saved passwords sign in, and neither account must change its password first.
      expect(outcome.logins).toEqual({ admin: 200, gigi: 200 });
      const db = outcome.giteaDb!;
      const people = db.users.filter((u) => u.type === 'individual').map((u) => u.lowerName);
      expect(people.sort()).toEqual(['gigi', 'gigi-admin']);
      expect(db.tokens.filter((t) => t.name.startsWith(RECOVERY_TOKEN_PREFIX))).toEqual([]);

      // No secret on any command line the simulator saw, nor in either run's output.
      const calls = readFileSync(files.argvLog, 'utf8')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { argv: string[] }).argv);
      const subcommands = calls.filter((a) => a[0] === 'admin').map((a) => a[2]);
      expect(subcommands).toContain('create');
      if (account === 'admin')
        expect(subcommands).toEqual(
          expect.arrayContaining(['must-change-password', 'generate-access-token']),
        );
      const secrets = [
        outcome.config.admin_password,
        outcome.config.gitea_password,
        outcome.config.gitea_token,
        outcome.config.webhook_secret,
      ];
      expect(secrets.every((s) => typeof s === 'string' && s.length >= 16)).toBe(true);
      for (const argv of calls) {
        expect(argv.some((a) => /^--?p(assword)?(=|$)/.test(a))).toBe(false);
        for (const secret of secrets) expect(argv.join(' ')).not.toContain(secret);
      }
      const inspect = await runCli(['inspect', '--json'], env);
      expect(inspect.code, inspect.stderr).toBe(0);
      const printed = [first.stdout, first.stderr, rerun.stdout, rerun.stderr, inspect.stdout].join('\n');
      for (const secret of secrets) expect(printed).not.toContain(secret);
    },
  );
});

describe('a kill inside the recovery itself', () => {
  it('SIGKILL after the recovery PATCH, with its admin token still alive: the third run deletes the token', async ({
    expect,
  }) => {
    const databaseUrl = await createTestDatabase(testServerUrl(), 'killusers');
    const files = simFiles(HOLDS.admin);
    const env = await bootEnv({
      databaseUrl,
      extra: { GITEA_SIM_FAULTS: files.faultsPath, GITEA_SIM_ARGV_LOG: files.argvLog },
    });
    const killAtHold = async (faults: FaultsConfig) => {
      writeFileSync(files.faultsPath, JSON.stringify(faults));
      const { child, done } = startCli(['run', '--no-handoff'], env);
      await expect.poll(() => existsSync(files.held), { timeout: 90_000, interval: 50 }).toBe(true);
      child.kill('SIGKILL');
      await done;
      releaseHold(files.held);
      await expect.poll(() => processesUsing(env.GIGI_DATA_DIR!), { timeout: 15_000 }).toEqual([]);
    };
    // Run 1: killed right after the CLI created the admin (its random password is lost).
    await killAtHold({ holds: [{ id: 'create', at: HOLDS.admin, file: files.held, times: 1 }] });
    // Run 2: recovers with a CLI-minted token; killed right after the PATCH, before deleting it.
    await killAtHold({
      holds: [{ id: 'patch', at: 'PATCH /api/v1/admin/users/gigi-admin', file: files.held, times: 1 }],
    });

    const appIni = readFileSync(join(env.GIGI_DATA_DIR!, 'gitea', 'custom', 'conf', 'app.ini'), 'utf8');
    const dbPath = /^PATH\s*=\s*(.+)$/m.exec(appIni.slice(appIni.indexOf('[database]')))![1]!.trim();
    const between = JSON.parse(readFileSync(dbPath, 'utf8')) as DbState;
    expect(between.tokens.filter((t) => t.name.startsWith(RECOVERY_TOKEN_PREFIX))).toHaveLength(1);

    const third = await runCli(['run', '--no-handoff'], env);
    expect(third.code, third.stdout + third.stderr).toBe(0);
    expect(createUsersOutcome(third.stdout)).toBe('admin existed, gigi created');
    const outcome = await readBootOutcome(env, databaseUrl);
    expect(outcome.logins).toEqual({ admin: 200, gigi: 200 });
    expect(outcome.giteaDb!.tokens.filter((t) => t.name.startsWith(RECOVERY_TOKEN_PREFIX))).toEqual([]);
    expect(comparableOutcome(outcome)).toEqual(reference);
  });
});
