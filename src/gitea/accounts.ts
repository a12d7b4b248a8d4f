// The admin and `gigi` accounts, created so that a kill at any instant converges. The password
// is generated and SAVED FIRST, then the account is made with it; a resume that finds the
// account with a saved password that does not work resets it through the admin API (CONTRACT
// §L.3, §L.5). Only passwords gigi-boot saved before the account existed are ever reset: an
// account someone else made keeps its password. No secret is ever on a command line.
import { randomBytes } from 'node:crypto';
import { GiteaProcessError, isGiteaApiStatus } from '../errors.ts';
import {
  generateAccessTokenWithCli,
  unsetMustChangePasswordWithCli,
  type AdminCliOptions,
} from './admin-cli.ts';
import { basic, token, type GiteaClient } from './api.ts';
import { createUserWithCli } from './cli.ts';
import { AccessTokenSchema, UserSchema } from './schemas.ts';
import * as z from 'zod';

const seg = encodeURIComponent;

/** Names of the short-lived admin tokens a recovery mints; any left behind is deleted on the next run. */
export const RECOVERY_TOKEN_PREFIX = 'gigi-boot-recovery-';

export type AccountAction = 'created' | 'existed' | 'recovered' | 'adopted';

/** The config-table slot holding an account's password: read it, or save a new one. */
export interface SavedPassword {
  /** The config key, for messages. */
  key: string;
  read(): Promise<string | undefined>;
  save(value: string): Promise<void>;
}

/** Why: a password every Gitea policy accepts (§L.8: ≥ 8 bytes; lower, upper, digit and spec when required). */
export function generateAccountPassword(): string {
  for (;;) {
    const candidate = randomBytes(24).toString('base64url');
    if (/[a-z]/.test(candidate) && /[A-Z]/.test(candidate) && /\d/.test(candidate) && /[-_]/.test(candidate))
      return candidate;
  }
}

/** Why: generate and save before the account exists, so no kill can leave an account whose password is lost. */
async function savedOrNew(slot: SavedPassword, onSecret: (v: string) => void): Promise<string> {
  const saved = await slot.read();
  if (saved) return saved;
  const fresh = generateAccountPassword();
  onSecret(fresh);
  await slot.save(fresh);
  return fresh;
}

/** Why: GET /users/{name} finds individual users only (§C.3): 404 means "create it". */
async function userExists(api: GiteaClient, username: string, signal?: AbortSignal): Promise<boolean> {
  try {
    await api.get(`/users/${seg(username)}`, UserSchema, { signal });
    return true;
  } catch (error) {
    if (isGiteaApiStatus(error, 404)) return false;
    throw error;
  }
}

/** What both accounts are ensured from. */
export interface AccountOptions {
  /** The admin account: an anonymous client of the temporary Gitea; gigi: the site admin's. */
  api: GiteaClient;
  username: string;
  email: string;
  password: SavedPassword;
  /** Called with every secret value as soon as it exists (redaction). */
  onSecret: (value: string) => void;
  signal?: AbortSignal;
}

/**
 * Why: both accounts start alike: the saved password, and for a missing account one saved before
 * it is created (a kill in between finds it on the next run).
 */
async function lookUpAccount(
  o: AccountOptions,
): Promise<{ exists: true; saved: string | undefined } | { exists: false; saved: string }> {
  const saved = await o.password.read();
  if (await userExists(o.api, o.username, o.signal)) return { exists: true, saved };
  return { exists: false, saved: await savedOrNew(o.password, o.onSecret) };
}

/** Why: does the saved password sign in? 401 = no; 403 "must change" = yes, but the flag must go (§L.1). */
async function checkLogin(
  api: GiteaClient,
  username: string,
  password: string,
  signal?: AbortSignal,
): Promise<'ok' | 'wrong' | 'must-change'> {
  try {
    await api.withAuth(basic(username, password)).get('/user', UserSchema, { signal });
    return 'ok';
  } catch (error) {
    if (isGiteaApiStatus(error, 401)) return 'wrong';
    if (isGiteaApiStatus(error, 403) && /must change your password/i.test(error.message))
      return 'must-change';
    throw error;
  }
}

/** Why: PATCH /admin/users/{name} sets the password and clears must-change-password (§L.3; login_name is required). */
async function setPassword(
  api: GiteaClient,
  username: string,
  password: string,
  signal?: AbortSignal,
): Promise<void> {
  await api.withSecrets([password]).json('PATCH', `/admin/users/${seg(username)}`, UserSchema, {
    body: { source_id: 0, login_name: username, password, must_change_password: false },
    signal,
  });
}

const TokenListSchema = z.array(AccessTokenSchema);

/** Why: a recovery token is an admin credential: none may outlive the recovery (token endpoints need Basic, §A.3). */
async function deleteRecoveryTokens(
  api: GiteaClient,
  username: string,
  signal?: AbortSignal,
): Promise<number> {
  const base = `/users/${seg(username)}/tokens`;
  const names = new Set<string>();
  for (let page = 1; page <= 20; page += 1) {
    const tokens = await api.get(base, TokenListSchema, { query: { page, limit: 50 }, signal });
    tokens.filter((t) => t.name.startsWith(RECOVERY_TOKEN_PREFIX)).forEach((t) => names.add(t.name));
    if (tokens.length < 50) break;
  }
  for (const name of names) {
    try {
      await api.call('DELETE', `${base}/${seg(name)}`, { signal });
    } catch (error) {
      if (!isGiteaApiStatus(error, 404)) throw error;
    }
  }
  return names.size;
}

function notOwned(username: string, slot: SavedPassword, configPath: string): GiteaProcessError {
  return new GiteaProcessError(
    {
      message: `Gitea already has a user "${username}" whose password gigi-boot did not generate (no ${slot.key} in the config table)`,
    },
    {
      transient: false,
      hint: `gigi-boot only resets passwords it generated and saved itself. If the account is someone's, set ADMIN_USER to a name that does not exist yet and run again. If an older gigi-boot created it and was killed before saving its password, delete it (as the Gitea user: \`gitea admin user delete --username ${username} --config ${configPath}\`) and run again.`,
    },
  );
}

export interface EnsureInternalAdminOptions extends AccountOptions {
  cli: AdminCliOptions;
  /**
   * An adopted volume (the bash entrypoint's): an existing admin without a saved password is a
   * person's account, used as it is through an access token this callback gets — never a reset.
   */
  adoptExisting?: () => Promise<void>;
}

/**
 * Why: the first admin can only come from the CLI (no API without an admin), and the CLI takes a
 * password only on argv — so it gets a random one (read back from stdout), then our saved one
 * through PATCH. A kill in between is healed by the recovery: a CLI-minted token and the same PATCH.
 */
export async function ensureInternalAdmin(o: EnsureInternalAdminOptions): Promise<AccountAction> {
  const { api, username, signal } = o;
  const account = await lookUpAccount(o);
  const saved = account.saved;
  if (!account.exists) {
    const result = await createUserWithCli({ ...o.cli, username, email: o.email, admin: true, signal });
    if (result.created) {
      o.onSecret(result.password);
      await setPassword(api.withAuth(basic(username, result.password)), username, account.saved, signal);
      return 'created';
    }
    // "already exists": made concurrently since we looked; treat it as found.
  }
  if (!saved && o.adoptExisting) {
    await o.adoptExisting();
    return 'adopted';
  }
  if (!saved) throw notOwned(username, o.password, o.cli.configPath);
  const login = await checkLogin(api, username, saved, signal);
  if (login === 'ok') {
    await deleteRecoveryTokens(api.withAuth(basic(username, saved)), username, signal);
    return 'existed';
  }
  // Ours, but the saved password does not sign in (killed between create and PATCH, or changed).
  await unsetMustChangePasswordWithCli({ ...o.cli, username, signal });
  const tokenName = `${RECOVERY_TOKEN_PREFIX}${randomBytes(4).toString('hex')}`;
  const value = await generateAccessTokenWithCli({
    ...o.cli,
    username,
    tokenName,
    scopes: 'write:admin',
    signal,
  });
  o.onSecret(value);
  await setPassword(api.withAuth(token(value)), username, saved, signal);
  await deleteRecoveryTokens(api.withAuth(basic(username, saved)), username, signal);
  return 'recovered';
}

export interface EnsureAppAccountOptions extends AccountOptions {
  /** An external Gitea's existing `gigi` without a saved password is the operator's: left as it is. */
  external: boolean;
}

/** Why: the app's account through the admin API (§L.2), with a password saved before it exists. */
export async function ensureAppAccount(o: EnsureAppAccountOptions): Promise<AccountAction> {
  const { api, username, signal } = o;
  const account = await lookUpAccount(o);
  let saved = account.saved;
  if (!account.exists) {
    try {
      await api.withSecrets([account.saved]).json('POST', '/admin/users', UserSchema, {
        body: { username, email: o.email, password: account.saved, must_change_password: false },
        signal,
      });
      return 'created';
    } catch (error) {
      if (!isGiteaApiStatus(error, 422) || !/user already exists/.test(error.message)) throw error;
    }
  }
  if (!saved) {
    if (o.external) return 'existed';
    // Internal: only gigi-boot makes this account; an older version died before saving the password.
    saved = await savedOrNew(o.password, o.onSecret);
  } else if ((await checkLogin(api, username, saved, signal)) === 'ok') return 'existed';
  await setPassword(api, username, saved, signal);
  return 'recovered';
}
