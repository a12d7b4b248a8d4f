// How a gitea command is run: Gitea refuses uid 0 (CONTRACT §G.4), so as root we drop to the
// unprivileged run user with util-linux setpriv; in every case `--pdeathsig=TERM` makes the
// child stop with gigi-boot (even on SIGKILL), so no Gitea is left orphaned — TERM, not KILL,
// so a `gitea web` shuts down gracefully (queues and indexers flushed) instead of mid-write. The environment is
// built from scratch: HOME of the run user (Gitea needs it, §G.3), GITEA_WORK_DIR, PATH (git),
// plus GITEA_SIM_* test faults; gigi-boot's secrets never reach the child, nor its argv.
import { readFile } from 'node:fs/promises';
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
  return () => findRunUser(user, timeoutMs);
}

/** Successful look-ups of this process, by user name: preflight's answer serves the render too. */
const found = new Map<string, Promise<RunAs>>();

/**
 * Why: every start (a warm one too) needs the run user, and a `getent` child costs more than
 * the rest of the look-up. /etc/passwd is read first — where a container's users live, and
 * NSS's `files` source; a user it lacks (LDAP, sssd) is asked of NSS through getent. A failed
 * look-up is not remembered: the next call asks again.
 */
export function findRunUser(user: string, timeoutMs?: number): Promise<RunAs> {
  let lookup = found.get(user);
  if (!lookup) {
    lookup = resolveRunAs(user, undefined, timeoutMs, { passwdFile: true });
    found.set(user, lookup);
    lookup.catch(() => found.delete(user));
  }
  return lookup;
}

/** The fields of `user`'s line in /etc/passwd, or undefined (no such line, or no readable file). */
async function passwdFileEntry(user: string): Promise<string[] | undefined> {
  let text: string;
  try {
    text = await readFile('/etc/passwd', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields[0] === user && fields.length >= 7) return fields;
  }
  return undefined;
}

/** Why: the uid/gid/home of the Gitea user, via NSS (getent) so LDAP/extra users work too. */
export async function resolveRunAs(
  user: string,
  signal?: AbortSignal,
  timeoutMs = 60_000,
  { passwdFile = false }: { passwdFile?: boolean } = {},
): Promise<RunAs> {
  const currentUid = process.getuid?.() ?? -1;
  const fields =
    (passwdFile ? await passwdFileEntry(user) : undefined) ?? (await getentPasswd(user, signal, timeoutMs));
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

/** The passwd fields of `user` as NSS answers them (`getent passwd`), [] when there is none. */
async function getentPasswd(
  user: string,
  signal: AbortSignal | undefined,
  timeoutMs: number,
): Promise<string[]> {
  // Loaded here, not at start-up: only a user that /etc/passwd lacks is asked of NSS.
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
  return result.exitCode === 0 ? result.stdout.trim().split('\n')[0]!.split(':') : [];
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
