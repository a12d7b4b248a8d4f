// The mapping from the validated variables to the BootConfig the rest of gigi-boot reads:
// grouped (deadlines, docker, retry), defaults computed from other variables filled in. The
// BootConfig type is inferred from it (types.ts), so a field is declared once, here.
import path from 'node:path';
import type { RetryPolicy } from '../../machines/boot-logic.ts';
import type { GiteaIniSetting } from './gitea-env.ts';
import { crossFieldRules } from './rules.ts';
import { envVarsSchema, type EnvVars } from './schema.ts';

// Why: the rest of gigi-boot reads settings by meaning (deadlines.lockWaitMs), not by variable.
export function toBootConfig(v: EnvVars) {
  const retry: RetryPolicy = {
    maxAttempts: v.GIGI_BOOT_STEP_ATTEMPTS,
    baseDelayMs: v.GIGI_BOOT_RETRY_BASE_DELAY,
    maxDelayMs: v.GIGI_BOOT_RETRY_MAX_DELAY,
  };
  return {
    /** undefined → embedded PGlite under <dataDir>/gigi-boot/pglite. */
    databaseUrl: v.DATABASE_URL,
    dataDir: v.GIGI_DATA_DIR,
    /** supervisord's socket and pidfile: per container (GIGI_BOOT_RUN_DIR), default under dataDir. */
    runDir: v.GIGI_BOOT_RUN_DIR ?? path.join(v.GIGI_DATA_DIR, 'gigi-boot'),
    giteaBin: v.GITEA_BIN,
    /** Set → external Gitea mode: no internal Gitea is written, started or supervised. */
    giteaUrl: v.GITEA_URL,
    giteaHttpPort: v.GITEA_HTTP_PORT,
    /** Where the supervised internal Gitea listens (GITEA_HTTP_ADDR); the temporary one uses 127.0.0.1. */
    giteaHttpAddr: v.GITEA_HTTP_ADDR,
    chromeCdpUrl: v.CHROME_CDP_URL,
    browserMode: v.BROWSER_MODE,
    browserViewUrl: v.BROWSER_VIEW_URL,
    adminUser: v.ADMIN_USER,
    /** Only for an external Gitea (existing admin); the internal admin's password is generated. */
    adminPassword: v.ADMIN_PASSWORD,
    adminEmail: v.ADMIN_EMAIL ?? `${v.ADMIN_USER}@gigi.local`,
    orgName: v.ORG_NAME,
    webhookUrl: v.WEBHOOK_URL,
    telegramToken: v.TELEGRAM_TOKEN,
    claudeToken: v.CLAUDE_TOKEN,
    /** Scopes of gigi's API token. */
    tokenScopes: v.GITEA_TOKEN_SCOPES,
    /** OS user that runs gitea when gigi-boot runs as root (GIGI_BOOT_GITEA_USER, default gigi). */
    giteaRunUser: v.GIGI_BOOT_GITEA_USER,
    deadlines: {
      /** How long to wait for the temporary Gitea's API to answer (GIGI_BOOT_GITEA_READY_TIMEOUT). */
      giteaReadyMs: v.GIGI_BOOT_GITEA_READY_TIMEOUT,
      /** How long to wait for another boot of this volume to release the lock (GIGI_BOOT_LOCK_TIMEOUT). */
      lockWaitMs: v.GIGI_BOOT_LOCK_TIMEOUT,
      /** How long to retry a Postgres that refuses connections (GIGI_BOOT_DATABASE_TIMEOUT). */
      databaseWaitMs: v.GIGI_BOOT_DATABASE_TIMEOUT,
      /** TERM → KILL grace for the temporary Gitea (GIGI_BOOT_GITEA_STOP_TIMEOUT). */
      giteaStopMs: v.GIGI_BOOT_GITEA_STOP_TIMEOUT,
      /** Per-request timeout for Gitea API calls (GIGI_BOOT_HTTP_TIMEOUT). */
      httpRequestMs: v.GIGI_BOOT_HTTP_TIMEOUT,
      /** Bound on each child command: `gitea admin user …`, getent (GIGI_BOOT_COMMAND_TIMEOUT). */
      commandMs: v.GIGI_BOOT_COMMAND_TIMEOUT,
      /** How long to wait for a configured Docker socket to appear (GIGI_BOOT_DOCKER_SOCKET_WAIT). */
      dockerSocketWaitMs: v.GIGI_BOOT_DOCKER_SOCKET_WAIT,
      /** First delay before a restart retries a failed runner-worker build (GIGI_BOOT_RUNNER_RETRY). */
      runnerRetryMs: v.GIGI_BOOT_RUNNER_RETRY,
    },
    docker: {
      /** GIGI_BOOT_DOCKER_SOCKET: wins over DOCKER_HOST. */
      socketPath: v.GIGI_BOOT_DOCKER_SOCKET,
      dockerHost: v.DOCKER_HOST,
      runnerImage: v.GIGI_BOOT_RUNNER_IMAGE,
      runnerContextDir: v.GIGI_BOOT_RUNNER_CONTEXT,
      buildArgs: v.GIGI_BOOT_RUNNER_BUILD_ARGS,
      networkMode: v.GIGI_BOOT_RUNNER_NETWORK,
    },
    retry,
    /** GIGI_BOOT_FAILPOINTS: steps made to fail on purpose (tests, ops drills); empty in production. */
    failpoints: v.GIGI_BOOT_FAILPOINTS,
    /**
     * GITEA__section__KEY[__FILE] variables: app.ini settings applied on every boot (internal Gitea
     * only). Filled by loadConfig: the GITEA__ family is open-ended, not one schema entry each.
     */
    giteaIni: [] as GiteaIniSetting[],
  };
}

/** Environment (empty values already dropped, NAME_FILE secrets resolved) → BootConfig. */
export const bootConfigSchema = envVarsSchema
  .superRefine(crossFieldRules, { when: () => true })
  .transform(toBootConfig);
