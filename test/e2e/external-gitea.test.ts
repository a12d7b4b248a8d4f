// External-Gitea mode end to end: GITEA_URL points at a Gitea the operator runs (here the
// simulator, started on its own, with an admin and a `gigi` account the operator created).
// gigi-boot writes no app.ini, starts no Gitea, creates no user, and still sets up the token,
// the org with gigi in Owners, the system webhook and the config.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGiteaUser, startSimulator, type RunningSimulator } from '../gitea-sim/harness.ts';
import { bootEnv, runCli } from '../support/boot-process.ts';
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
    const env = await bootEnv({
      databaseUrl,
      extra: {
        GITEA_URL: gitea.url,
        ADMIN_USER: 'ops-admin',
        ADMIN_PASSWORD: adminPassword,
        CHROME_CDP_URL: 'http://chrome:9222',
      },
    });
    delete env.GITEA_HTTP_PORT;
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
    const env = await bootEnv({
      databaseUrl,
      extra: { GITEA_URL: gitea.url, ADMIN_USER: 'ops-admin', ADMIN_PASSWORD: wrong },
    });
    delete env.GITEA_HTTP_PORT;
    const result = await runCli(['run', '--no-handoff'], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/boot failed at checkExternalGitea/);
    expect(result.stdout + result.stderr).not.toContain(wrong);
    const inspect = await runCli(['inspect', '--json'], env);
    expect(inspect.code).toBe(1);
    expect(JSON.parse(inspect.stdout).run.failure.step).toBe('checkExternalGitea');
  });
});
