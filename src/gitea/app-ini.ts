// Writes Gitea's app.ini so `gitea web` starts non-interactively (CONTRACT §G.3) while keeping
// every key the operator set. Only the keys listed in ownedSettings() are ours; SECRET_KEY is
// generated once and never changed afterwards (changing it breaks encrypted data, §G.1).
//
// Decision on the listen address: the temporary Gitea and the supervised one share this file,
// and `gitea web` has no flag for the address (only `--port`, which makes Gitea write
// LOCAL_ROOT_URL into app.ini, §G.1) nor reads GITEA__ variables (§G.1). So HTTP_ADDR is written
// per phase: 127.0.0.1 by the boot's writeAppIni for the temporary Gitea (nothing outside the
// container reaches it while its admin is created), then GITEA_HTTP_ADDR (default 0.0.0.0) by
// the hand-off, and by every warm start, before supervisord starts the supervised Gitea.
//
// START_SSH_SERVER (§J.1): the bash config relied on START_SSH_SERVER=true to skip Gitea's
// RUN_USER check. We set RUN_USER to the real run user instead, so the check passes either way.
// START_SSH_SERVER=true with SSH on 2222 is among the bash entrypoint's settings we add where the
// file has no value (SEED_APP_INI_DEFAULTS); an operator's value, or a GITEA__ one, wins. With
// it, the temporary Gitea's SSH server runs during the boot too (public keys only, none exist yet).
//
// app.ini lives on the volume the run user can write, and root reads and rewrites it: it is
// opened without following links and only as a plain, singly-linked file (src/volume/safe-fs.ts),
// so a planted `app.ini -> /root/secret` is refused instead of copied into a file the run user reads.
import { randomBytes, randomInt } from 'node:crypto';
import { dirname, join, relative } from 'node:path';
import { ConfigError, isBootError } from '../errors.ts';
import {
  fixFileIn,
  readFileAndStatsIn,
  withParentDir,
  writeFileIn,
  type SafeDir,
} from '../volume/safe-fs.ts';
import type { GiteaIniSetting } from '../config/gitea-env.ts';
import { getIniValue, parseIni, serialiseIni, setIniValue, type IniDocument } from './ini.ts';
import { resolveRunAs } from './run-as.ts';

export interface AppIniOwner {
  uid: number;
  gid: number;
}

export interface EnsureAppIniOptions {
  /** Absolute path of app.ini (passed to gitea as `--config`). */
  path: string;
  httpPort: number;
  /** Address Gitea listens on; default 0.0.0.0 (the supervised Gitea's, see the file comment). */
  httpAddr?: string;
  /** Gitea's work dir (e.g. <GIGI_DATA_DIR>/gitea): WORK_PATH; data, repos and sqlite live below it. */
  dataDir: string;
  /** [database] PATH; default <dataDir>/data/gitea.db (an adopted bash-entrypoint volume keeps its <dataDir>/gitea.db). */
  databasePath?: string;
  /** OS user Gitea runs as (RUN_USER must equal it, §G.4). */
  runUser: string;
  /** uid/gid that must own the file; default: runUser's when we are root (Gitea writes INTERNAL_TOKEN etc. back). */
  owner?: AppIniOwner;
  rootUrl: string;
  /** Called only when SECRET_KEY is missing; e.g. `gitea generate secret SECRET_KEY` or generateSecretKey. */
  secretKeyGenerator: () => string | Promise<string>;
  /** `[webhook] ALLOWED_HOST_LIST` items that must be allowed (default loopback: the hook goes to localhost). */
  webhookAllowedHosts?: readonly string[];
  /** The operator's GITEA__section__KEY settings: applied over the file's values (as Gitea's environment-to-ini). */
  giteaSettings?: readonly GiteaIniSetting[];
  /** The trusted directory holding the work dir (GIGI_DATA_DIR); default: the work dir's parent. */
  volumeRoot?: string;
  signal?: AbortSignal;
}

export interface EnsureAppIniResult {
  action: 'created' | 'updated' | 'unchanged';
  /** `section.KEY` names whose value we changed (never the values: SECRET_KEY is among them). */
  changedKeys: string[];
}

const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Why: a SECRET_KEY of the same shape as `gitea generate secret SECRET_KEY` (64 alphanumerics). */
export function generateSecretKey(): string {
  let out = '';
  for (let i = 0; i < 64; i += 1) out += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return out;
}

/** `[oauth2] JWT_SECRET` as Gitea accepts it: unpadded base64url of exactly 32 bytes (§G.1). */
export function isValidJwtSecret(value: string | undefined): boolean {
  return (
    value !== undefined && /^[A-Za-z0-9_-]{43}$/.test(value) && Buffer.from(value, 'base64url').length === 32
  );
}

/**
 * Why: Gitea writes INTERNAL_TOKEN and JWT_SECRET into app.ini on its first start when they are
 * missing (JWT_SECRET also when invalid), rewriting the whole file with go-ini's writer, which
 * leaves a value like `"x"` unquoted (read back as `x`) and drops the layout. Pre-filled, Gitea
 * 1.24 never writes the file (§G.1: WORK_PATH is ours, no `--port`, LFS off), so every value
 * stays as written here. Generated once, like SECRET_KEY; an operator's own are kept.
 */
function giteaWriteBackSecrets(doc: IniDocument): [string, string, string][] {
  const out: [string, string, string][] = [];
  if (!getIniValue(doc, 'security', 'INTERNAL_TOKEN') && !getIniValue(doc, 'security', 'INTERNAL_TOKEN_URI'))
    out.push(['security', 'INTERNAL_TOKEN', randomBytes(48).toString('base64url')]);
  if (!isValidJwtSecret(getIniValue(doc, 'oauth2', 'JWT_SECRET')))
    out.push(['oauth2', 'JWT_SECRET', randomBytes(32).toString('base64url')]);
  return out;
}

/** The keys gigi-boot owns, as [section, key, value]; everything else belongs to the operator. */
export function ownedSettings(options: EnsureAppIniOptions): [string, string, string][] {
  const appData = join(options.dataDir, 'data');
  return [
    ['', 'RUN_USER', options.runUser],
    ['', 'WORK_PATH', options.dataDir],
    ['security', 'INSTALL_LOCK', 'true'],
    ['database', 'DB_TYPE', 'sqlite3'],
    ['database', 'PATH', options.databasePath ?? join(appData, 'gitea.db')],
    ['server', 'HTTP_ADDR', options.httpAddr ?? '0.0.0.0'],
    ['server', 'HTTP_PORT', String(options.httpPort)],
    ['server', 'ROOT_URL', options.rootUrl],
    ['server', 'APP_DATA_PATH', appData],
    ['server', 'LFS_START_SERVER', 'false'],
  ];
}

/**
 * The bash entrypoint's app.ini (aio-plan.md Task 3), added where a key is missing and never
 * over an operator's value: the built-in SSH server on 2222, no self-registration, sign-in by
 * the reverse proxy's X-WEBAUTH-USER header (Gitea trusts it only from REVERSE_PROXY_TRUSTED_PROXIES,
 * default loopback), the dark theme, and webhooks allowed to any host. Its other keys
 * (HTTP_PORT, the database, INSTALL_LOCK, ROOT_URL) are gigi-boot's own, in ownedSettings().
 * An operator changes any of these with GITEA__section__KEY, e.g. GITEA__webhook__ALLOWED_HOST_LIST=loopback.
 */
export const SEED_APP_INI_DEFAULTS: ReadonlyArray<readonly [string, string, string]> = [
  ['server', 'SSH_DOMAIN', 'localhost'],
  ['server', 'SSH_PORT', '2222'],
  ['server', 'SSH_LISTEN_PORT', '2222'],
  ['server', 'START_SSH_SERVER', 'true'],
  ['server', 'BUILTIN_SSH_SERVER_USER', 'git'],
  ['service', 'DISABLE_REGISTRATION', 'true'],
  ['service', 'ENABLE_REVERSE_PROXY_AUTHENTICATION', 'true'],
  ['service', 'ENABLE_REVERSE_PROXY_AUTO_REGISTRATION', 'false'],
  ['ui', 'DEFAULT_THEME', 'gitea-dark'],
  ['webhook', 'ALLOWED_HOST_LIST', '*'],
];

/**
 * Why: every key this boot sets, once each, in the order a later source wins: the seed's
 * defaults where the file has no value, then gigi-boot's own keys, then the operator's
 * GITEA__ settings (which may replace ROOT_URL, not the keys gigi-boot cannot run without;
 * loadConfig refuses those).
 */
export function desiredSettings(doc: IniDocument, options: EnsureAppIniOptions): [string, string, string][] {
  const out = new Map<string, [string, string, string]>();
  const put = (section: string, key: string, value: string) =>
    out.set(`${section}\u0000${key}`, [section, key, value]);
  for (const [section, key, value] of SEED_APP_INI_DEFAULTS)
    if (getIniValue(doc, section, key) === undefined) put(section, key, value);
  for (const [section, key, value] of ownedSettings(options)) put(section, key, value);
  for (const s of options.giteaSettings ?? []) put(s.section, s.key, s.value);
  return [...out.values()];
}

/**
 * The ALLOWED_HOST_LIST item that lets the system webhook reach `webhookUrl` (§F.8): `loopback`
 * for this container, the address itself for an IP, else the host name (a host pattern).
 */
export function webhookAllowedHostFor(webhookUrl: string): string {
  const host = new URL(webhookUrl).hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host === '::1' || /^127\./.test(host)) return 'loopback';
  return host.toLowerCase();
}

/** Merge the items we need into an operator's ALLOWED_HOST_LIST (`*` already allows all). */
function mergeAllowedHosts(current: string | undefined, needed: readonly string[]): string {
  const items = (current ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.includes('*')) return items.join(',');
  // An empty list means "external" to Gitea (§F.8): keep that meaning when adding to it.
  if (items.length === 0) items.push('external');
  const lower = items.map((i) => i.toLowerCase());
  for (const item of needed) if (!lower.includes(item.toLowerCase())) items.push(item);
  return items.join(',');
}

function validate(options: EnsureAppIniOptions): void {
  const issues: string[] = [];
  if (!options.path.startsWith('/'))
    issues.push(`Gitea app.ini path must be absolute, got "${options.path}"`);
  if (!options.dataDir.startsWith('/'))
    issues.push(`Gitea work dir must be an absolute path (it becomes WORK_PATH), got "${options.dataDir}"`);
  if (!Number.isInteger(options.httpPort) || options.httpPort < 1 || options.httpPort > 65535)
    issues.push(`GITEA_HTTP_PORT must be an integer between 1 and 65535, got ${options.httpPort}`);
  try {
    const url = new URL(options.rootUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
  } catch {
    issues.push(`Gitea ROOT_URL must be an absolute http(s) URL, got "${options.rootUrl}"`);
  }
  if (!/^[a-z_][a-z0-9_.-]*$/i.test(options.runUser))
    issues.push(`Gitea run user must be an OS user name, got "${options.runUser}"`);
  if (issues.length > 0) throw new ConfigError(issues);
}

function fileError(path: string, action: string, error: unknown): ConfigError {
  const code = (error as NodeJS.ErrnoException).code;
  const dir = dirname(path);
  if (code === 'ENOENT')
    return new ConfigError([`cannot ${action} Gitea config ${path}: directory ${dir} does not exist`], {
      hint: `Create ${dir} (it lives in the Gitea work dir under GIGI_DATA_DIR) or fix GIGI_DATA_DIR.`,
      cause: error,
    });
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
    return new ConfigError([`cannot ${action} Gitea config ${path}: ${code} (not writable)`], {
      hint: `Make ${dir} and ${path} writable by gigi-boot (and the file by the Gitea run user), e.g. chown -R gigi ${dir}; a read-only volume cannot hold Gitea's data.`,
      cause: error,
    });
  return new ConfigError([`cannot ${action} Gitea config ${path}: ${code ?? String(error)}`], {
    hint: `Check that ${dir} is a writable directory on a healthy volume.`,
    cause: error,
  });
}

/** The trusted root below which app.ini's directories are opened link by link. */
function volumeRootFor(options: EnsureAppIniOptions): string {
  const root = options.volumeRoot ?? dirname(options.dataDir);
  return relative(root, options.path).startsWith('..') ? dirname(options.path) : root;
}

/** Why: refusals of a planted link pass as they are; other file errors get the config wording. */
async function inAppIniDir<T>(
  options: EnsureAppIniOptions,
  action: string,
  fn: (dir: SafeDir, name: string) => Promise<T>,
): Promise<T> {
  try {
    return await withParentDir(volumeRootFor(options), options.path, fn);
  } catch (error) {
    if (isBootError(error)) throw error;
    throw fileError(options.path, action, error);
  }
}

/**
 * Why: one call that makes app.ini ready for both the temporary and the supervised Gitea,
 * safe to repeat: creates the file, or sets only our keys in the operator's file; writes
 * nothing when everything already matches (but still repairs owner and mode).
 */
export async function ensureAppIni(options: EnsureAppIniOptions): Promise<EnsureAppIniResult> {
  validate(options);
  options.signal?.throwIfAborted();
  const read = await inAppIniDir(options, 'read', (dir, name) => readFileAndStatsIn(dir, name));
  const existing = read?.text;
  const doc = parseIni(existing ?? '');
  const changedKeys: string[] = [];
  const set = (section: string, key: string, value: string): void => {
    try {
      if (setIniValue(doc, section, key, value)) changedKeys.push(section ? `${section}.${key}` : key);
    } catch (error) {
      throw new ConfigError([`cannot write ${key} to ${options.path}: ${(error as Error).message}`]);
    }
  };

  for (const [section, key, value] of desiredSettings(doc, options)) set(section, key, value);
  const hosts = options.webhookAllowedHosts ?? ['loopback'];
  set(
    'webhook',
    'ALLOWED_HOST_LIST',
    mergeAllowedHosts(getIniValue(doc, 'webhook', 'ALLOWED_HOST_LIST'), hosts),
  );
  if (!getIniValue(doc, 'security', 'SECRET_KEY')) {
    const secret = await options.secretKeyGenerator();
    if (typeof secret !== 'string' || secret.trim() === '' || /[\r\n]/.test(secret))
      throw new ConfigError([`the SECRET_KEY generator returned an empty or multi-line value`], {
        hint: 'Check the gitea binary (gitea generate secret SECRET_KEY) or leave the default generator.',
      });
    set('security', 'SECRET_KEY', secret.trim());
  }
  for (const [section, key, value] of giteaWriteBackSecrets(doc)) set(section, key, value);
  options.signal?.throwIfAborted();

  let owner = options.owner;
  if (!owner && process.getuid?.() === 0) owner = await resolveRunAs(options.runUser, options.signal);
  // 0600, owned by the run user: SECRET_KEY and INTERNAL_TOKEN are in it and Gitea writes it back.
  const file = { mode: 0o600, ...(owner ? { owner } : {}) };
  if (existing === undefined || changedKeys.length > 0) {
    const text = serialiseIni(doc);
    await inAppIniDir(options, 'write', (dir, name) => writeFileIn(dir, name, text, file));
    return { action: existing === undefined ? 'created' : 'updated', changedKeys };
  }
  // Unchanged content: leave Gitea's own layout alone, but make sure the run user can write it
  // (as read: every restart found it so, and walking to it again cost a warm start ~2 ms).
  const stats = read?.stats;
  const fixed =
    stats !== undefined &&
    (stats.mode & 0o7777) === file.mode &&
    (!owner || (stats.uid === owner.uid && stats.gid === owner.gid));
  if (!fixed) await inAppIniDir(options, 'fix the owner/mode of', (dir, name) => fixFileIn(dir, name, file));
  return { action: 'unchanged', changedKeys };
}
