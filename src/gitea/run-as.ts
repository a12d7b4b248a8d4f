// How a gitea command is run: Gitea refuses uid 0 (CONTRACT §G.4), so as root we drop to the
// unprivileged run user with util-linux setpriv; in every case `--pdeathsig=TERM` makes the
// child stop with gigi-boot (even on SIGKILL), so no Gitea is left orphaned — TERM, not KILL,
// so a `gitea web` shuts down gracefully (queues and indexers flushed) instead of mid-write. The environment is
// built from scratch: HOME of the run user (Gitea needs it, §G.3), GITEA_WORK_DIR, PATH (git),
// plus GITEA_SIM_* test faults; gigi-boot's secrets never reach the child, nor its argv.
import { ConfigError } from '../errors.ts';

export interface RunAs {
  user: string;
  uid: number;
  gid: number;
  home: string;
  /** True when we are root and must switch to `user` (setpriv --reuid/--regid). */
  switchUser: boolean;
}

export interface GiteaCommand {
  file: string;
  args: string[];
  env: Record<string, string>;
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Names of environment variables that hold secrets and must never be passed to Gitea. */
export function isSecretEnvName(name: string): boolean {
  const upper = name.toUpperCase();
  return (
    upper === 'ADMIN_PASSWORD' ||
    upper === 'DATABASE_URL' ||
    upper.endsWith('_TOKEN') ||
    upper.endsWith('_PASSWORD') ||
    upper.endsWith('_SECRET') ||
    upper.endsWith('_FILE') ||
    upper.includes('DATABASE_URL')
  );
}

/** The run user, looked up once on first use and shared (a boot's steps, a warm start's render). */
export function lazyRunAs(user: string, timeoutMs?: number): () => Promise<RunAs> {
  let resolved: Promise<RunAs> | undefined;
  return () => (resolved ??= resolveRunAs(user, undefined, timeoutMs));
}

/** Why: the uid/gid/home of the Gitea user, via NSS (getent) so LDAP/extra users work too. */
export async function resolveRunAs(user: string, signal?: AbortSignal, timeoutMs = 60_000): Promise<RunAs> {
  const currentUid = process.getuid?.() ?? -1;
  // Loaded here, not at start-up: a warm start that finds no temporary Gitea never needs it.
  const { execa } = await import('execa');
  const result = await execa('getent', ['passwd', user], {
    reject: false,
    // NSS can be LDAP or sssd: a source that does not answer must not hang the boot.
    timeout: timeoutMs,
    forceKillAfterDelay: 2_000,
    ...(signal ? { cancelSignal: signal } : {}),
  });
  if (result.isCanceled) throw signal?.reason ?? new Error('aborted');
  if (result.timedOut)
    throw new ConfigError(
      [
        `GIGI_BOOT_GITEA_USER: "getent passwd ${user}" did not answer within ${timeoutMs} ms (GIGI_BOOT_COMMAND_TIMEOUT)`,
      ],
      { hint: 'A name service (LDAP, sssd) is not answering: check /etc/nsswitch.conf and that service.' },
    );
  const fields = result.exitCode === 0 ? result.stdout.trim().split('\n')[0]!.split(':') : [];
  if (fields.length < 7) {
    throw new ConfigError([`GIGI_BOOT_GITEA_USER: OS user "${user}" does not exist`], {
      hint: `Create it (useradd --create-home ${user}) or set GIGI_BOOT_GITEA_USER to an existing unprivileged user.`,
    });
  }
  const uid = Number(fields[2]);
  const gid = Number(fields[3]);
  const home = fields[5] ?? '';
  if (uid === 0)
    throw new ConfigError([`GIGI_BOOT_GITEA_USER: "${user}" is root; Gitea refuses to run as root`], {
      hint: 'Set GIGI_BOOT_GITEA_USER to an unprivileged user such as gigi.',
    });
  if (currentUid !== 0 && currentUid !== uid)
    throw new ConfigError(
      [
        `GIGI_BOOT_GITEA_USER is "${user}" (uid ${uid}) but gigi-boot runs as uid ${currentUid} and cannot switch users`,
      ],
      { hint: `Run gigi-boot as root or as ${user}, or set GIGI_BOOT_GITEA_USER to the current user.` },
    );
  return { user, uid, gid, home: home || '/', switchUser: currentUid === 0 };
}

/** Why: the environment a gitea child gets — minimal, secret-free, with test faults passed on. */
export function giteaEnv(
  runAs: RunAs,
  workDir: string,
  parentEnv: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {
    HOME: runAs.home,
    USER: runAs.user,
    LOGNAME: runAs.user,
    PATH: parentEnv.PATH || DEFAULT_PATH,
    GITEA_WORK_DIR: workDir,
  };
  for (const name of ['LANG', 'LC_ALL', 'TZ']) {
    const value = parentEnv[name];
    if (value) env[name] = value;
  }
  for (const [name, value] of Object.entries(parentEnv)) {
    if (name.startsWith('GITEA_SIM_') && value !== undefined && !isSecretEnvName(name)) env[name] = value;
  }
  return env;
}

/** Why: one place that turns "run gitea <args>" into the setpriv-wrapped command line. */
export function giteaCommand(
  runAs: RunAs,
  bin: string,
  args: readonly string[],
  workDir: string,
): GiteaCommand {
  const identity = runAs.switchUser ? [`--reuid=${runAs.uid}`, `--regid=${runAs.gid}`, `--init-groups`] : [];
  return {
    file: 'setpriv',
    args: [...identity, '--pdeathsig=TERM', '--', bin, ...args],
    env: giteaEnv(runAs, workDir),
  };
}
