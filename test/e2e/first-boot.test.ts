// The spine, end to end: `gigi-boot run` as a real process, real Postgres, Gitea (the simulator
// or GITEA_BIN), then everything the boot promised checked in Gitea and the config table.
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { request } from 'undici';
import { runCli, bootEnv } from '../support/boot-process.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSimulator } from '../gitea-sim/harness.ts';
import { createTestDatabase, freePort } from '../support/postgres.ts';
import { testServerUrl } from '../support/env.ts';
import { readBootOutcome, DEFAULT_ORG } from './verify.ts';

const REQUIRED_KEYS = [
  'admin_password',
  'admin_user',
  'gitea_password',
  'gitea_token',
  'gitea_url',
  'webhook_secret',
];

describe('first boot against Gitea with real Postgres', () => {
  it('creates users, a scoped token, the org with gigi in Owners, one system webhook, and every config key', async () => {
    const databaseUrl = await createTestDatabase(testServerUrl(), 'first');
    const env = await bootEnv({
      databaseUrl,
      extra: { TELEGRAM_TOKEN: 'tg-123456:abcdef', CLAUDE_TOKEN: 'sk-claude-oauth-xyz' },
    });
    const result = await runCli(['run', '--no-handoff'], env);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stderr).toBe('');

    const { state, config, hookSecrets } = await readBootOutcome(env, databaseUrl);
    expect(state.users).toEqual({ 'gigi-admin': true, gigi: true });
    expect(state.gigiTokenNames).toEqual(['gigi-app']);
    expect(state.org).toBe(true);
    expect(state.gigiInOwners).toBe(true);
    expect(state.hooks).toEqual([
      {
        id: Number(config.gitea_webhook_id),
        type: 'system',
        url: 'http://localhost:3000/webhook/gitea',
        active: true,
      },
    ]);
    if (hookSecrets) expect(hookSecrets).toEqual([config.webhook_secret]);
    for (const key of REQUIRED_KEYS) expect(config[key], key).toBeTruthy();
    expect(config.telegram_token).toBe('tg-123456:abcdef');
    expect(config.claude_oauth_token).toBe('sk-claude-oauth-xyz');
    expect(config.gitea_url).toBe(`http://localhost:${env.GITEA_HTTP_PORT}`);
    expect(config.admin_password!.length).toBeGreaterThanOrEqual(12);
  });

  it('gives gigi a token that works with the scopes asked and no more', async () => {
    const databaseUrl = await createTestDatabase(testServerUrl(), 'scopes');
    const env = await bootEnv({ databaseUrl, extra: { GITEA_TOKEN_SCOPES: 'read:user,read:organization' } });
    const boot = await runCli(['run', '--no-handoff'], env);
    expect(boot.code, boot.stdout + boot.stderr).toBe(0);
    const { config } = await readBootOutcome(env, databaseUrl);
    // Start Gitea again to use the token (readBootOutcome stopped its own).
    const port = await freePort();
    const ini = readFileSync(join(env.GIGI_DATA_DIR!, 'gitea', 'custom', 'conf', 'app.ini'), 'utf8').replace(
      /^HTTP_PORT\s*=.*$/m,
      `HTTP_PORT = ${port}`,
    );
    const sim = await startSimulator({ dir: join(env.GIGI_DATA_DIR!, 'verify2'), port, appIni: ini });
    try {
      const auth = { authorization: `token ${config.gitea_token}` };
      const me = await request(`${sim.url}/api/v1/user`, { headers: auth });
      expect(me.statusCode).toBe(200);
      expect(((await me.body.json()) as { login: string }).login).toBe('gigi');
      const org = await request(`${sim.url}/api/v1/orgs/${DEFAULT_ORG}`, { headers: auth });
      await org.body.dump();
      expect(org.statusCode).toBe(200);
      const hooks = await request(`${sim.url}/api/v1/admin/hooks`, { headers: auth });
      const body = (await hooks.body.json()) as { message: string };
      expect(hooks.statusCode).toBe(403);
      expect(body.message).toMatch(/required=\[read:admin\]/);
    } finally {
      await sim.stop();
    }
  });
});

describe('a boot of a volume that is already initialised', () => {
  it('takes the warm path (no step runs), and runs again when the config table lost a key', async () => {
    const databaseUrl = await createTestDatabase(testServerUrl(), 'warm');
    const env = await bootEnv({ databaseUrl });
    const boot = await runCli(['run', '--no-handoff'], env);
    expect(boot.code, boot.stdout + boot.stderr).toBe(0);

    const warm = await runCli(['run', '--no-handoff'], env);
    expect(warm.code, warm.stderr).toBe(0);
    expect(warm.stdout).toMatch(/"event":"boot.plan","plan":"warm"/);
    expect(warm.stdout).not.toMatch(/"event":"step.start"/);

    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    await client.query("delete from config where key = 'gitea_token'");
    await client.end();
    const again = await runCli(['run', '--no-handoff'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/"plan":"fresh","reason":"the config table lacks gitea_token/);
    const { state, config } = await readBootOutcome(env, databaseUrl);
    expect(config.gitea_token).toMatch(/^[0-9a-f]{40}$/);
    expect(state.gigiTokenNames).toEqual(['gigi-app']);
    expect(state.hooks).toHaveLength(1);
  });
});
