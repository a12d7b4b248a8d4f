// The environment of the bash entrypoint's deployment (aio-plan.md: docker-compose.aio.yml,
// the prod stack, the entrypoint's defaults) given to the real `gigi-boot run`: what Gitea and
// the seed accept boots (ADMIN_EMAIL=mauro@localhost, BROWSER_VIEW_URL=/browser/, the app's
// defaults "same env vars, same defaults"), and each deliberate difference is the one issue
// reported, saying why.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { runGiteaCli } from '../gitea-sim/harness.ts';
import { parseIni } from '../support/aio-ini.ts';
import { bootEnv, runCli } from '../support/boot-process.ts';
import { testServerUrl } from '../support/env.ts';
import { createTestDatabase } from '../support/postgres.ts';

/** The prod stack's `gigi` service environment (aio-plan.md Task 8), DATABASE_URL aside. */
const PROD_STACK = {
  PORT: '3000',
  GIGI_ENV: 'production',
  GIGI_INSTANCE_URL: 'https://prod.gigi.local',
  BROWSER_MODE: 'chrome',
  BROWSER_VIEW_URL: '/browser/',
  WORKSPACE_DIR: '/workspace',
  ADMIN_USER: 'mauro',
  ORG_NAME: 'gigi',
};

function issueLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('  - '));
}

describe("the bash entrypoint's environment", () => {
  it('boots with its defaults: ADMIN_USER=mauro, ADMIN_EMAIL=mauro@localhost, and the app gets BROWSER_MODE=chrome, BROWSER_VIEW_URL=/browser/', async () => {
    const env = await bootEnv({
      databaseUrl: await createTestDatabase(testServerUrl(), 'seedenv'),
      extra: {
        ...PROD_STACK,
        ORG_NAME: 'idea',
        ADMIN_EMAIL: 'mauro@localhost',
        BROWSER_MODE: '',
        BROWSER_VIEW_URL: '',
      },
    });
    const result = await runCli(['run', '--no-handoff'], env);
    expect(result.code, result.stdout + result.stderr).toBe(0);

    // The deliberate difference in the webhook is said where it happens.
    expect(result.stdout).toContain(
      "one system webhook to WEBHOOK_URL (created): a default webhook, as the bash entrypoint made, is only copied into repositories created later, while a system webhook delivers every repository's events once",
    );

    // The admin exists with the address Gitea's CLI accepted (the API would have refused it).
    const appIni = join(env.GIGI_DATA_DIR!, 'gitea', 'custom', 'conf', 'app.ini');
    const admins = await runGiteaCli(['admin', 'user', 'list', '--admin'], { configPath: appIni });
    expect(admins.code, admins.stdout + admins.stderr).toBe(0);
    expect(admins.stdout).toMatch(/^\d+\s+mauro\s+mauro@localhost\s+true$/m);

    // The app's program gets the bash entrypoint's defaults with the internal Chrome.
    const conf = parseIni(readFileSync(join(env.GIGI_DATA_DIR!, 'gigi-boot', 'supervisord.conf'), 'utf8'));
    const appEnv = conf['program:gigi']?.environment ?? '';
    expect(appEnv).toContain('BROWSER_MODE="chrome"');
    expect(appEnv).toContain('BROWSER_VIEW_URL="/browser/"');
  });

  it('the prod stack as written: ORG_NAME=gigi is the one issue, saying why (exit 2)', async () => {
    const env = await bootEnv({
      databaseUrl: await createTestDatabase(testServerUrl(), 'seedprod'),
      extra: PROD_STACK,
    });
    const result = await runCli(['run', '--no-handoff'], env);
    expect(result.code, result.stderr).toBe(EXIT.config);
    expect(issueLines(result.stderr)).toEqual([
      expect.stringMatching(
        /^ {2}- ORG_NAME: must differ from "gigi" \(.*the bash entrypoint's ORG_NAME=gigi never made an org for that reason\), e\.g\. ORG_NAME=gigi-org$/,
      ),
    ]);
  });

  it('docker-compose.aio.yml as written: ADMIN_PASSWORD=admin is refused, saying the password is generated and why', async () => {
    const env = await bootEnv({
      databaseUrl: await createTestDatabase(testServerUrl(), 'seedlocal'),
      extra: { ADMIN_USER: 'mauro', ADMIN_PASSWORD: 'admin', ORG_NAME: 'idea' },
    });
    const result = await runCli(['run', '--no-handoff'], env);
    expect(result.code, result.stderr).toBe(EXIT.config);
    const lines = issueLines(result.stderr);
    expect(lines.every((l) => l.startsWith('  - ADMIN_PASSWORD: '))).toBe(true);
    expect(lines.join('\n')).toContain(
      "the internal Gitea gets a generated admin password that gigi-boot stores (config key admin_password): the bash entrypoint's fixed admin/gigi-local-dev passwords were known to anyone who read it",
    );
  });
});
