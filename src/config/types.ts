// The validated, immutable configuration gigi-boot runs with. Produced once by
// loadConfig(env) from the environment (and NAME_FILE secrets); never mutated.
import type { Failpoints } from './failpoints.ts';
import type { GiteaIniSetting } from './gitea-env.ts';

export interface Deadlines {
  /** How long to wait for the temporary Gitea's API to answer (GIGI_BOOT_GITEA_READY_TIMEOUT). */
  giteaReadyMs: number;
  /** How long to wait for another boot of this volume to release the lock (GIGI_BOOT_LOCK_TIMEOUT). */
  lockWaitMs: number;
  /** How long to retry a Postgres that refuses connections (GIGI_BOOT_DATABASE_TIMEOUT). */
  databaseWaitMs: number;
  /** TERM → KILL grace for the temporary Gitea (GIGI_BOOT_GITEA_STOP_TIMEOUT). */
  giteaStopMs: number;
  /** Per-request timeout for Gitea API calls (GIGI_BOOT_HTTP_TIMEOUT). */
  httpRequestMs: number;
  /** Bound on each child command: `gitea admin user …`, getent (GIGI_BOOT_COMMAND_TIMEOUT). */
  commandMs: number;
  /** How long to wait for a configured Docker socket to appear (GIGI_BOOT_DOCKER_SOCKET_WAIT). */
  dockerSocketWaitMs: number;
  /** First delay before a restart retries a failed runner-worker build (GIGI_BOOT_RUNNER_RETRY). */
  runnerRetryMs: number;
}

export interface RetryPolicy {
  /** Attempts per step for transient faults, first attempt included (GIGI_BOOT_STEP_ATTEMPTS). */
  maxAttempts: number;
  /** First backoff delay; doubles each attempt (GIGI_BOOT_RETRY_BASE_DELAY). */
  baseDelayMs: number;
  /** Backoff ceiling (GIGI_BOOT_RETRY_MAX_DELAY). */
  maxDelayMs: number;
}

export interface DockerSettings {
  /** GIGI_BOOT_DOCKER_SOCKET: wins over DOCKER_HOST. */
  socketPath: string | undefined;
  dockerHost: string | undefined;
  runnerImage: string;
  runnerContextDir: string;
  buildArgs: Record<string, string>;
  networkMode: string | undefined;
}

export interface BootConfig {
  /** undefined → embedded PGlite under <dataDir>/gigi-boot/pglite. */
  databaseUrl: string | undefined;
  dataDir: string;
  /** supervisord's socket and pidfile: per container (GIGI_BOOT_RUN_DIR), default under dataDir. */
  runDir: string;
  giteaBin: string;
  /** Set → external Gitea mode: no internal Gitea is written, started or supervised. */
  giteaUrl: string | undefined;
  giteaHttpPort: number;
  /** Where the supervised internal Gitea listens (GITEA_HTTP_ADDR); the temporary one uses 127.0.0.1. */
  giteaHttpAddr: string;
  chromeCdpUrl: string | undefined;
  browserMode: string | undefined;
  browserViewUrl: string | undefined;
  adminUser: string;
  /** Only for an external Gitea (existing admin); the internal admin's password is generated. */
  adminPassword: string | undefined;
  adminEmail: string;
  orgName: string;
  webhookUrl: string;
  telegramToken: string | undefined;
  claudeToken: string | undefined;
  /** Scopes of gigi's API token. */
  tokenScopes: string[];
  /** OS user that runs gitea when gigi-boot runs as root (GIGI_BOOT_GITEA_USER, default gigi). */
  giteaRunUser: string;
  deadlines: Deadlines;
  docker: DockerSettings;
  retry: RetryPolicy;
  /** GIGI_BOOT_FAILPOINTS: steps made to fail on purpose (tests, ops drills); empty in production. */
  failpoints: Failpoints;
  /** GITEA__section__KEY[__FILE] variables: app.ini settings applied on every boot (internal Gitea only). */
  giteaIni: GiteaIniSetting[];
}

/** Values that must never appear in logs, errors, the journal or inspect output. */
export function secretValuesOf(config: BootConfig): string[] {
  const values = [config.adminPassword, config.telegramToken, config.claudeToken];
  for (const setting of config.giteaIni) if (setting.secret) values.push(setting.value);
  if (config.databaseUrl) {
    try {
      const url = new URL(config.databaseUrl);
      const password = decodeURIComponent(url.password);
      if (password) values.push(password);
      // libpq also takes the password as a query parameter.
      for (const [key, value] of url.searchParams)
        if (/^(password|pass|pwd|sslpassword)$/i.test(key)) values.push(value);
    } catch {
      /* unparsable URLs are rejected by the schema before we get here */
    }
  }
  return values.filter((v): v is string => typeof v === 'string' && v.length > 0);
}
