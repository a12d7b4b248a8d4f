// After a boot: start Gitea again on the boot's own app.ini (the simulator, or the real Gitea
// when GITEA_BIN is set) and read what the boot left there and in the config table.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSimulator } from '../gitea-sim/harness.ts';
import type { DbState } from '../gitea-sim/state-store.ts';
import { bootEnv, runCli } from '../support/boot-process.ts';
import { testServerUrl } from '../support/env.ts';
import { createTestDatabase, freePort } from '../support/postgres.ts';
import { readConfigTable, readGiteaState, type GiteaSnapshot } from '../support/gitea-state.ts';

export const DEFAULT_ORG = 'gigi-org';
export const DEFAULT_ADMIN = 'gigi-admin';
export const DEFAULT_WEBHOOK = 'http://localhost:3000/webhook/gitea';

export interface BootOutcome {
  state: GiteaSnapshot;
  config: Record<string, string>;
  /** The webhook secret as the simulator stored it (null against a real Gitea, which never shows it). */
  hookSecrets: string[] | null;
  /** GET /user with Basic auth and the saved password: 200 when it signs in (and needs no change). */
  logins: { admin: number; gigi: number };
  /** The simulator's whole database (null against a real Gitea). */
  giteaDb: DbState | null;
}

async function loginStatus(baseUrl: string, user: string, password: string | undefined): Promise<number> {
  const auth = `Basic ${Buffer.from(`${user}:${password ?? ''}`).toString('base64')}`;
  return (await fetch(`${baseUrl}/api/v1/user`, { headers: { authorization: auth } })).status;
}

/** Read Gitea's and the config table's state after a boot of this data dir. */
export async function readBootOutcome(
  env: Record<string, string>,
  databaseUrl: string,
): Promise<BootOutcome> {
  const config = await readConfigTable(databaseUrl);
  const workDir = join(env.GIGI_DATA_DIR!, 'gitea');
  const appIni = readFileSync(join(workDir, 'custom', 'conf', 'app.ini'), 'utf8');
  const port = await freePort();
  // Same database and work path, another port: the boot's Gitea is stopped by now.
  const sim = await startSimulator({
    dir: join(env.GIGI_DATA_DIR!, 'verify'),
    port,
    appIni: appIni
      .replace(/^HTTP_PORT\s*=.*$/m, `HTTP_PORT = ${port}`)
      .replace(/^ROOT_URL\s*=.*$/m, `ROOT_URL = http://127.0.0.1:${port}/`),
  });
  try {
    const state = await readGiteaState({
      baseUrl: sim.url,
      adminUser: config.admin_user ?? DEFAULT_ADMIN,
      adminPassword: config.admin_password ?? '',
      org: DEFAULT_ORG,
      webhookUrl: DEFAULT_WEBHOOK,
      config,
    });
    let hookSecrets: string[] | null = null;
    let giteaDb: DbState | null = null;
    if (!process.env.GITEA_BIN) {
      // The simulator keeps hooks' secrets in its JSON database at [database] PATH.
      const dbPath = /^PATH\s*=\s*(.+)$/m.exec(appIni.slice(appIni.indexOf('[database]')))![1]!.trim();
      giteaDb = JSON.parse(readFileSync(dbPath, 'utf8')) as DbState;
      hookSecrets = giteaDb.hooks.filter((h) => h.url === DEFAULT_WEBHOOK).map((h) => h.secret);
    }
    const logins = {
      admin: await loginStatus(sim.url, config.admin_user ?? DEFAULT_ADMIN, config.admin_password),
      gigi: await loginStatus(sim.url, 'gigi', config.gitea_password),
    };
    return { state, config, hookSecrets, logins, giteaDb };
  } finally {
    await sim.stop();
  }
}

/** What two boots of fresh volumes must agree on (hook ids and secrets differ by nature). */
export function comparableOutcome(outcome: BootOutcome) {
  return {
    ...outcome.state,
    hooks: outcome.state.hooks.map(({ id: _id, ...rest }) => rest),
    hookSecretMatches: outcome.hookSecrets
      ? outcome.hookSecrets.map((s) => s === outcome.config.webhook_secret)
      : null,
  };
}

/**
 * Why: the kill, restart and resume suites compare their boots with an uninterrupted first boot
 * of a fresh volume; this runs one and returns what it left, comparable.
 */
export async function referenceOutcome(): Promise<ReturnType<typeof comparableOutcome>> {
  const databaseUrl = await createTestDatabase(testServerUrl(), 'ref');
  const env = await bootEnv({ databaseUrl });
  const result = await runCli(['run', '--no-handoff'], env);
  if (result.code !== 0)
    throw new Error(`the reference boot exited ${result.code}:\n${result.stdout}${result.stderr}`);
  return comparableOutcome(await readBootOutcome(env, databaseUrl));
}
