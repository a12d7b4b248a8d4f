// The idempotent Gitea operations the boot steps call: each checks, then creates only what is
// missing, and reports what it did (for the journal) — so a step interrupted at any point can
// simply run again. Every quirk handled here is a bash-script bug from CONTRACT §J.
import { GiteaApiError, isGiteaApiStatus } from '../errors.ts';
import type { GiteaClient } from './api.ts';
import {
  CreatedAccessTokenSchema,
  HookListSchema,
  HookSchema,
  OrganizationSchema,
  TeamListSchema,
  UserSchema,
  type Hook,
} from './schemas.ts';

const seg = encodeURIComponent;

// ---------------------------------------------------------------------------------------------
// Users

/** Why: an external Gitea's admin is the operator's: we only check it is there, never create it. */
export async function ensureExternalUserExists(options: {
  api: GiteaClient;
  username: string;
  signal?: AbortSignal;
}): Promise<{ action: 'existed'; id: number }> {
  try {
    const user = await options.api.get(`/users/${seg(options.username)}`, UserSchema, {
      signal: options.signal,
    });
    return { action: 'existed', id: user.id };
  } catch (error) {
    if (isGiteaApiStatus(error, 404))
      throw new GiteaApiError(
        {
          method: 'GET',
          path: `/users/${options.username}`,
          status: 404,
          message: `user "${options.username}" does not exist in the external Gitea at ${options.api.baseUrl}`,
        },
        {
          transient: false,
          hint: `Create the user "${options.username}" in that Gitea (an individual account, not a bot), or fix GITEA_URL.`,
        },
      );
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Tokens

/** Go's strconv.ParseInt(s, 0, 64) accepts these; Gitea then treats the name as a token id (§A.5). */
const GO_INTEGER = /^[+-]?(0[xX][_0-9a-fA-F]+|0[bB][_01]+|0[oO]?[_0-7]+|[0-9][_0-9]*)$/;

/** Why: a token named like a number can never be deleted by name, so recreate would duplicate it. */
export function assertUsableTokenName(name: string): void {
  if (name.trim() === '' || name !== name.trim() || GO_INTEGER.test(name))
    throw new GiteaApiError(
      {
        method: 'DELETE',
        path: `/users/{owner}/tokens/${name}`,
        message: `invalid Gitea token name "${name}"`,
      },
      {
        transient: false,
        hint: 'Token names must be non-empty, without surrounding spaces, and must not parse as an integer (Gitea would treat it as a token id): use a name like "gigi-boot".',
      },
    );
}

export interface RecreateTokenOptions {
  /** Client with the admin's Basic auth (token endpoints require Basic, §A.3). */
  api: GiteaClient;
  owner: string;
  name: string;
  scopes: readonly string[];
  signal?: AbortSignal;
}

/**
 * Why: Gitea shows a token's value only once, so after an interrupted boot the only way to get
 * a usable token is delete-by-name + create; the caller must persist it in the same step.
 */
export async function recreateToken(
  options: RecreateTokenOptions,
): Promise<{ action: 'created' | 'replaced'; token: string; id: number }> {
  assertUsableTokenName(options.name);
  if (options.api.auth.kind !== 'basic')
    throw new GiteaApiError(
      { method: 'POST', path: `/users/${options.owner}/tokens`, message: 'token endpoints need Basic auth' },
      { transient: false, hint: 'Pass a client made with basic(admin, password).' },
    );
  if (options.scopes.length === 0)
    throw new GiteaApiError(
      {
        method: 'POST',
        path: `/users/${options.owner}/tokens`,
        message: 'a Gitea token needs at least one scope',
      },
      { transient: false, hint: 'Set the token scopes, e.g. "all" or "write:repository,read:user".' },
    );
  const base = `/users/${seg(options.owner)}/tokens`;
  let action: 'created' | 'replaced' = 'replaced';
  try {
    await options.api.call('DELETE', `${base}/${seg(options.name)}`, { signal: options.signal });
  } catch (error) {
    if (!isGiteaApiStatus(error, 404)) throw error;
    action = 'created';
  }
  const created = await options.api.json('POST', base, CreatedAccessTokenSchema, {
    body: { name: options.name, scopes: [...options.scopes] },
    signal: options.signal,
  });
  return { action, token: created.sha1, id: created.id };
}

// ---------------------------------------------------------------------------------------------
// Organization and team

/** Why: POST /orgs is not idempotent (422 on re-run, §J.5): look first, create if missing. */
export async function ensureOrg(options: {
  api: GiteaClient;
  name: string;
  signal?: AbortSignal;
}): Promise<{ action: 'created' | 'existed'; id: number }> {
  const path = `/orgs/${seg(options.name)}`;
  const lookup = async (): Promise<number | undefined> => {
    try {
      return (await options.api.get(path, OrganizationSchema, { signal: options.signal })).id;
    } catch (error) {
      if (isGiteaApiStatus(error, 404)) return undefined;
      throw error;
    }
  };
  const existing = await lookup();
  if (existing !== undefined) return { action: 'existed', id: existing };
  try {
    const org = await options.api.json('POST', '/orgs', OrganizationSchema, {
      body: { username: options.name, visibility: 'public' },
      signal: options.signal,
    });
    return { action: 'created', id: org.id };
  } catch (error) {
    if (!isGiteaApiStatus(error, 422) || !/already exists/.test(error.message)) throw error;
    // Created concurrently, or the name is taken by a *user* (users and orgs share names).
    const raced = await lookup();
    if (raced !== undefined) return { action: 'existed', id: raced };
    throw new GiteaApiError(
      {
        method: 'POST',
        path: '/orgs',
        status: 422,
        message: `cannot create organization "${options.name}": a user account already has that name`,
      },
      {
        transient: false,
        hint: 'Choose another organization name (ORG_NAME) or rename that user.',
        cause: error,
      },
    );
  }
}

/** Why: select the owner team by its exact name (§J.6: the list is sorted by name, not Owners-first). */
async function findOwnersTeam(api: GiteaClient, org: string, signal?: AbortSignal): Promise<number> {
  const limit = 50;
  const seen = new Set<number>();
  for (let page = 1; ; page += 1) {
    const teams = await api.get(`/orgs/${seg(org)}/teams`, TeamListSchema, {
      query: { page, limit },
      signal,
    });
    const fresh = teams.filter((t) => !seen.has(t.id));
    const owners = fresh.find((t) => t.name === 'Owners');
    if (owners) return owners.id;
    fresh.forEach((t) => seen.add(t.id));
    if (teams.length < limit || fresh.length === 0) break;
  }
  throw new GiteaApiError(
    {
      method: 'GET',
      path: `/orgs/${org}/teams`,
      status: 200,
      message: `organization "${org}" has no team named "Owners"`,
    },
    {
      transient: false,
      hint: `Rename the owner team of "${org}" back to "Owners" in Gitea (boot adds gigi to it).`,
    },
  );
}

/** Why: make `username` an owner of `org`: check membership, PUT only when missing (PUT is idempotent anyway, §E.2). */
export async function ensureOwner(options: {
  api: GiteaClient;
  org: string;
  username: string;
  signal?: AbortSignal;
}): Promise<{ action: 'added' | 'existed'; teamId: number }> {
  const teamId = await findOwnersTeam(options.api, options.org, options.signal);
  const member = `/teams/${teamId}/members/${seg(options.username)}`;
  try {
    await options.api.get(member, UserSchema, { signal: options.signal });
    return { action: 'existed', teamId };
  } catch (error) {
    if (!isGiteaApiStatus(error, 404)) throw error;
  }
  await options.api.call('PUT', member, { signal: options.signal });
  return { action: 'added', teamId };
}

// ---------------------------------------------------------------------------------------------
// System webhook

/** The events the Gigi app consumes, as Gitea names them (§F.2). */
export const DEFAULT_WEBHOOK_EVENTS = [
  'create',
  'delete',
  'push',
  'issues',
  'issue_comment',
  'pull_request',
  'pull_request_review',
  'repository',
] as const;

export interface EnsureSystemWebhookOptions {
  /** Admin client (Basic auth or a token with write:admin). */
  api: GiteaClient;
  url: string;
  secret: string;
  /** The id we persisted when we created the hook; undefined on a first boot or after the secret changed. */
  knownId: number | undefined;
  events?: readonly string[];
  signal?: AbortSignal;
}

/** Why: GET /admin/hooks ignores paging today (§F.3); page anyway, stopping when a page repeats. */
async function listHooks(api: GiteaClient, type: 'all' | 'system', signal?: AbortSignal): Promise<Hook[]> {
  const limit = 50;
  const byId = new Map<number, Hook>();
  for (let page = 1; ; page += 1) {
    const hooks = await api.get('/admin/hooks', HookListSchema, { query: { type, page, limit }, signal });
    const fresh = hooks.filter((h) => !byId.has(h.id));
    fresh.forEach((h) => byId.set(h.id, h));
    if (hooks.length < limit || fresh.length === 0) break;
  }
  return [...byId.values()];
}

/**
 * Why: exactly one active *system* hook to `url` with our secret. Gitea never shows a hook's
 * secret, so the hook we keep is the one whose id we persisted after creating it; any other
 * hook with that URL (bash's default hook, a stale one from an interrupted boot) is deleted.
 */
export async function ensureSystemWebhook(
  options: EnsureSystemWebhookOptions,
): Promise<{ id: number; action: 'existed' | 'created' | 'replaced'; deleted: number[] }> {
  const { signal } = options;
  const api = options.api.withSecrets([options.secret]);
  const all = await listHooks(api, 'all', signal);
  const matching = all.filter((h) => h.config.url === options.url);
  if (options.knownId !== undefined && matching.some((h) => h.id === options.knownId)) {
    const systemIds = new Set((await listHooks(api, 'system', signal)).map((h) => h.id));
    const known = matching.find((h) => h.id === options.knownId)!;
    const others = matching.filter((h) => h.id !== options.knownId);
    if (systemIds.has(known.id) && known.active) {
      for (const hook of others) await api.call('DELETE', `/admin/hooks/${hook.id}`, { signal });
      return { id: known.id, action: 'existed', deleted: others.map((h) => h.id) };
    }
  }
  const deleted: number[] = [];
  for (const hook of matching) {
    try {
      await api.call('DELETE', `/admin/hooks/${hook.id}`, { signal });
    } catch (error) {
      if (!isGiteaApiStatus(error, 404)) throw error; // already gone: fine
    }
    deleted.push(hook.id);
  }
  const created = await api.json('POST', '/admin/hooks', HookSchema, {
    body: {
      type: 'gitea',
      config: { url: options.url, content_type: 'json', secret: options.secret, is_system_webhook: 'true' },
      events: [...(options.events ?? DEFAULT_WEBHOOK_EVENTS)],
      active: true,
      branch_filter: '*',
    },
    signal,
  });
  return { id: created.id, action: deleted.length > 0 ? 'replaced' : 'created', deleted };
}
