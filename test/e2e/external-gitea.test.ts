// External-Gitea mode end to end: GITEA_URL points at a Gitea the operator runs (here the
// simulator, started on its own, with an admin and, in the first case, a `gigi` account the
// operator created). gigi-boot writes no app.ini and starts no Gitea; it creates `gigi` through
// the admin API when it is missing (never touching one the operator made), and sets up the
// token, the org with gigi in Owners, the system webhook and the config.
import { chmodSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseHold } from '../gitea-sim/faults.ts';
import { createGiteaUser, startSimulator, type RunningSimulator } from '../gitea-sim/harness.ts';
import { externalGiteaEnv, runCli, startCli } from '../support/boot-process.ts';
import { testServerUrl } from '../support/env.ts';
import { readConfigTable, readGiteaState } from '../support/gitea-state.ts';
import { createTestDatabase, freePort } from '../support/postgres.ts';

let gitea: RunningSimulator;
let adminPassword: string;

function createUser(args: string[]): Promise<string> {
  return createGiteaUser(gitea.configPath, args);
}

beforeAll(async () => {
  gitea = await startSimulator({
    dir: mkdtempSync(join(tmpdir(), 'gigi-external-gitea-')),
    port: await freePort(),
  });
  adminPassword = await createUser(['--username', 'ops-admin', '--email', 'ops@example.com', '--admin']);
  await createUser(['--username', 'gigi', '--email', 'gigi@example.com']);
});

afterAll(async () => {
  await gitea?.stop();
});

describe('an external Gitea (GITEA_URL)', () => {
  it('is set up through its API only, and a second boot is warm', async () => {
    const databaseUrl = await createTestDatabase(testServerUrl(), 'ext');
    const env = await externalGiteaEnv({
      databaseUrl,
      giteaUrl: gitea.url,
      adminPassword,
      extra: { CHROME_CDP_URL: 'http://chrome:9222' },
    });
    const result = await runCli(['run', '--no-handoff'], env);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout + result.stderr).not.toContain(adminPassword);
    expect(result.stdout).toMatch(/"event":"step.start","step":"checkExternalGitea"/);
    expect(result.stdout).not.toMatch(/"step":"(writeAppIni|startGitea|stopGitea)"/);
    expect(existsSync(join(env.GIGI_DATA_DIR!, 'gitea'))).toBe(false);

    const config = await readConfigTable(databaseUrl);
    expect(config.gitea_url).toBe(gitea.url);
    expect(config.admin_user).toBe('ops-admin');
    expect(config.admin_password).toBeUndefined(); // the operator's, not ours to store
    expect(config.gitea_password).toBeUndefined(); // the operator made gigi: its password stays theirs
    const state = await readGiteaState({
      baseUrl: gitea.url,
      adminUser: 'ops-admin',
      adminPassword,
      org: 'gigi-org',
      webhookUrl: 'http://localhost:3000/webhook/gitea',
      config,
    });
    expect(state).toMatchObject({
      users: { 'ops-admin': true, gigi: true },
      gigiTokenNames: ['gigi-app'],
      org: true,
      gigiInOwners: true,
    });
    expect(state.hooks).toEqual([
      {
        id: Number(config.gitea_webhook_id),
        type: 'system',
        url: 'http://localhost:3000/webhook/gitea',
        active: true,
      },
    ]);

    const warm = await runCli(['run', '--no-handoff'], env);
    expect(warm.code, warm.stderr).toBe(0);
    expect(warm.stdout).toMatch(/"plan":"warm"/);
  });

  it('wrong admin credentials fail at checkExternalGitea with what to do, and no secret printed', async () => {
    const databaseUrl = await createTestDatabase(testServerUrl(), 'ext');
    const wrong = 'not-the-password-1234';
    const env = await externalGiteaEnv({ databaseUrl, giteaUrl: gitea.url, adminPassword: wrong });
    const result = await runCli(['run', '--no-handoff'], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/boot failed at checkExternalGitea/);
    expect(result.stdout + result.stderr).not.toContain(wrong);
    const inspect = await runCli(['inspect', '--json'], env);
    expect(inspect.code).toBe(1);
    expect(JSON.parse(inspect.stdout).run.failure.step).toBe('checkExternalGitea');
  });
});

describe('an external Gitea without a `gigi` account', () => {
  it('gets one through POST /admin/users with a password saved first; a kill right after it was created converges', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gigi-external-nogigi-'));
    chmodSync(dir, 0o777);
    const held = join(dir, 'held');
    const bare = await startSimulator({
      dir,
      port: await freePort(),
      faults: { holds: [{ at: 'POST /api/v1/admin/users', file: held, times: 1 }] },
    });
    try {
      const password = await createGiteaUser(bare.configPath, [
        '--username',
        'ops-admin',
        '--email',
        'ops@example.com',
        '--admin',
      ]);
      const databaseUrl = await createTestDatabase(testServerUrl(), 'ext');
      const env = await externalGiteaEnv({ databaseUrl, giteaUrl: bare.url, adminPassword: password });

      // Killed while Gitea holds the answer to the create: gigi exists, gigi-boot never heard back.
      const { child, done } = startCli(['run', '--no-handoff'], env);
      await expect.poll(() => existsSync(held), { timeout: 60_000, interval: 50 }).toBe(true);
      child.kill('SIGKILL');
      await done;
      releaseHold(held);
      const saved = (await readConfigTable(databaseUrl)).gitea_password;
      expect(saved).toMatch(/^\S{16,}$/); // saved before the account was created

      const rerun = await runCli(['run', '--no-handoff'], env);
      expect(rerun.code, rerun.stdout + rerun.stderr).toBe(0);
      expect(rerun.stdout).toContain('"outcome":"admin existed, gigi existed"');
      const config = await readConfigTable(databaseUrl);
      expect(config.gitea_password).toBe(saved);
      expect(rerun.stdout + rerun.stderr).not.toContain(saved!);
      const login = await fetch(`${bare.url}/api/v1/user`, {
        headers: { authorization: `Basic ${Buffer.from(`gigi:${saved}`).toString('base64')}` },
      });
      expect(login.status).toBe(200); // the saved password works, and no password change is pending
      const users = bare.readState().users.filter((u) => u.lowerName === 'gigi');
      expect(users).toHaveLength(1);
      expect(users[0]).toMatchObject({ isAdmin: false, mustChangePassword: false, email: 'gigi@gigi.local' });
    } finally {
      await bare.stop();
    }
  });
});
