// The boot's Gitea operations end to end against the simulator (or a real Gitea with
// GITEA_BIN): first run creates, every re-run is a no-op, nothing is ever duplicated, and no
// secret shows up in any error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, GiteaClient, token } from '../../src/gitea/api.ts';
import {
  ensureExternalUserExists,
  ensureOrg,
  ensureOwner,
  ensureSystemWebhook,
  recreateToken,
} from '../../src/gitea/ensure.ts';
import { createUserWithCli } from '../../src/gitea/cli.ts';
import { HookListSchema, UserSchema, TeamListSchema } from '../../src/gitea/schemas.ts';
import { isBootError, type BootError, type GiteaApiError } from '../../src/errors.ts';
import { startTestGitea, type TestGitea } from './helpers.ts';

const WEBHOOK_URL = 'http://localhost:3000/webhook/gitea';
const WEBHOOK_SECRET = 'webhook-secret-value-1234';

let gitea: TestGitea;
let adminPassword: string;
let admin: GiteaClient;
const secrets: string[] = [WEBHOOK_SECRET];

async function failure(promise: Promise<unknown>): Promise<BootError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isBootError(error)).toBe(true);
  const boot = error as BootError;
  // No secret may ever appear in what an error carries to the journal or the log.
  const visible = `${boot.message}\n${boot.hint ?? ''}\n${JSON.stringify(boot)}`;
  for (const secret of secrets) expect(visible).not.toContain(secret);
  return boot;
}

/** `gitea admin user create` (how boot makes the internal admin); a re-run reports existed. */
async function cli(username: string, email: string, isAdmin: boolean) {
  const result = await createUserWithCli({
    bin: gitea.bin,
    configPath: gitea.configPath,
    workDir: gitea.workDir,
    runAs: gitea.runAs,
    username,
    email,
    admin: isAdmin,
  });
  return result.created
    ? { action: 'created' as const, password: result.password }
    : { action: 'existed' as const };
}

beforeAll(async () => {
  gitea = await startTestGitea();
});

afterAll(async () => {
  await gitea?.stop();
});

describe('gitea ensure operations', () => {
  it('creates the admin and gigi with generated passwords; a re-run reports existed', async () => {
    const first = await cli('admin', 'admin@example.com', true);
    expect(first.action).toBe('created');
    if (first.action !== 'created') return;
    adminPassword = first.password;
    secrets.push(adminPassword);
    expect(adminPassword.length).toBeGreaterThanOrEqual(8);
    const gigi = await cli('gigi', 'gigi@example.com', false);
    expect(gigi.action).toBe('created');
    if (gigi.action === 'created') secrets.push(gigi.password);

    expect(await cli('admin', 'admin@example.com', true)).toEqual({ action: 'existed' });
    expect(await cli('gigi', 'gigi@example.com', false)).toEqual({ action: 'existed' });

    admin = new GiteaClient({
      baseUrl: gitea.baseUrl,
      auth: basic('admin', adminPassword),
      timeoutMs: 10_000,
    });
    const me = await admin.get('/user', UserSchema);
    expect(me.login).toBe('admin');
    expect(me.is_admin).toBe(true);
    // gigi was created with --must-change-password=false, so its own Basic auth works (§J.3).
    if (gigi.action === 'created') {
      const asGigi = admin.withAuth(basic('gigi', gigi.password));
      expect((await asGigi.get('/user', UserSchema)).login).toBe('gigi');
    }
  });

  it('checks users of an external Gitea without creating them, with an actionable error', async () => {
    expect((await ensureExternalUserExists({ api: admin, username: 'gigi' })).action).toBe('existed');
    const error = await failure(ensureExternalUserExists({ api: admin, username: 'nobody-here' }));
    expect(error.message).toContain('nobody-here');
    expect(error.hint).toMatch(/Create the user/);
    expect(error.transient).toBe(false);
  });

  it('recreates gigi’s token by name; the old one stops working and scopes are enforced', async () => {
    const recreate = () =>
      recreateToken({ api: admin, owner: 'gigi', name: 'gigi-boot', scopes: ['read:user'] });
    const first = await recreate();
    secrets.push(first.token);
    expect(first.token).toMatch(/^[0-9a-f]{40}$/);
    const asGigi = admin.withAuth(token(first.token));
    expect((await asGigi.get('/user', UserSchema)).login).toBe('gigi');

    const second = await recreate();
    secrets.push(second.token);
    expect(second.action).toBe('replaced');
    expect(second.token).not.toBe(first.token);
    const stale = await failure(asGigi.get('/user', UserSchema));
    expect((stale as GiteaApiError).status).toBe(401);
    expect(stale.hint).toMatch(/token/);

    const fresh = admin.withAuth(token(second.token));
    expect((await fresh.get('/user', UserSchema)).login).toBe('gigi');
    // read:user does not grant read:admin: the scope check answers 403 before anything else.
    const denied = await failure(fresh.get('/admin/hooks', HookListSchema));
    expect((denied as GiteaApiError).status).toBe(403);
    expect(denied.message).toMatch(/scope/);
  });

  it('refuses token names Gitea would read as a token id', async () => {
    for (const name of ['123', '0x1f', '0o17', '1_000', ' spaced']) {
      const error = await failure(recreateToken({ api: admin, owner: 'gigi', name, scopes: ['all'] }));
      expect(error.hint).toMatch(/integer/);
    }
  });

  it('refuses to create tokens without Basic auth (Gitea answers 401 auth required)', async () => {
    const tokenOnly = admin.withAuth(token('0'.repeat(40)));
    const error = await failure(
      recreateToken({ api: tokenOnly, owner: 'gigi', name: 'x-token', scopes: ['all'] }),
    );
    expect(error.message).toMatch(/Basic/);
  });

  it('creates the org once and makes gigi an owner once, even on re-runs', async () => {
    const org = await ensureOrg({ api: admin, name: 'gigi-org' });
    expect(org.action).toBe('created');
    const again = await ensureOrg({ api: admin, name: 'gigi-org' });
    expect(again).toEqual({ action: 'existed', id: org.id });

    const owner = await ensureOwner({ api: admin, org: 'gigi-org', username: 'gigi' });
    expect(owner.action).toBe('added');
    expect(await ensureOwner({ api: admin, org: 'gigi-org', username: 'gigi' })).toEqual({
      action: 'existed',
      teamId: owner.teamId,
    });
    const teams = await admin.get('/orgs/gigi-org/teams', TeamListSchema);
    expect(teams.find((t) => t.id === owner.teamId)?.name).toBe('Owners');
  });

  it('reports an org name taken by a user instead of looping on 422', async () => {
    const error = await failure(ensureOrg({ api: admin, name: 'gigi' }));
    expect(error.message).toMatch(/user account already has that name/);
    expect(error.hint).toMatch(/\(ORG_NAME\)/);
  });

  it('creates one system webhook, keeps it on re-run, and never duplicates it', async () => {
    const created = await ensureSystemWebhook({
      api: admin,
      url: WEBHOOK_URL,
      secret: WEBHOOK_SECRET,
      knownId: undefined,
    });
    expect(created.action).toBe('created');
    const system = await admin.get('/admin/hooks', HookListSchema, { query: { type: 'system' } });
    const hook = system.find((h) => h.id === created.id);
    expect(hook?.config).toEqual({ url: WEBHOOK_URL, content_type: 'json' });
    expect(hook?.active).toBe(true);
    expect(hook?.events).toEqual(
      expect.arrayContaining(['push', 'issues', 'issue_comment', 'pull_request_review']),
    );

    const again = await ensureSystemWebhook({
      api: admin,
      url: WEBHOOK_URL,
      secret: WEBHOOK_SECRET,
      knownId: created.id,
    });
    expect(again).toEqual({ id: created.id, action: 'existed', deleted: [] });
    const all = await admin.get('/admin/hooks', HookListSchema, { query: { type: 'all' } });
    expect(all.filter((h) => h.config.url === WEBHOOK_URL)).toHaveLength(1);
  });

  it('replaces hooks with our URL whose id we did not persist (stale, or bash’s default hook)', async () => {
    const all = await admin.get('/admin/hooks', HookListSchema, { query: { type: 'all' } });
    const current = all.find((h) => h.config.url === WEBHOOK_URL)!;
    // The bash script's request: no is_system_webhook, so Gitea makes a *default* hook (§J.7).
    await admin.call('POST', '/admin/hooks', {
      body: {
        type: 'gitea',
        config: { url: WEBHOOK_URL, content_type: 'json' },
        events: ['push'],
        active: true,
      },
    });
    const replaced = await ensureSystemWebhook({
      api: admin,
      url: WEBHOOK_URL,
      secret: WEBHOOK_SECRET,
      knownId: 987654,
    });
    expect(replaced.action).toBe('replaced');
    expect(replaced.deleted).toHaveLength(2);
    expect(replaced.deleted).toContain(current.id);
    const after = await admin.get('/admin/hooks', HookListSchema, { query: { type: 'all' } });
    expect(after.filter((h) => h.config.url === WEBHOOK_URL).map((h) => h.id)).toEqual([replaced.id]);
    const system = await admin.get('/admin/hooks', HookListSchema, { query: { type: 'system' } });
    expect(system.map((h) => h.id)).toContain(replaced.id);

    // A default hook next to our known system hook is removed, and ours is kept.
    await admin.call('POST', '/admin/hooks', {
      body: { type: 'gitea', config: { url: WEBHOOK_URL, content_type: 'json' }, active: true },
    });
    const kept = await ensureSystemWebhook({
      api: admin,
      url: WEBHOOK_URL,
      secret: WEBHOOK_SECRET,
      knownId: replaced.id,
    });
    expect(kept.action).toBe('existed');
    expect(kept.id).toBe(replaced.id);
    expect(kept.deleted).toHaveLength(1);
    const final = await admin.get('/admin/hooks', HookListSchema, { query: { type: 'all' } });
    expect(final.filter((h) => h.config.url === WEBHOOK_URL)).toHaveLength(1);
  });

  it('maps a wrong admin password to a non-transient 401 with the reset hint, without the password', async () => {
    const wrong = 'not-the-password-9876';
    secrets.push(wrong);
    const bad = admin.withAuth(basic('admin', wrong));
    const error = await failure(bad.get('/user', UserSchema));
    expect((error as GiteaApiError).status).toBe(401);
    expect(error.transient).toBe(false);
    expect(error.hint).toMatch(/stored admin password no longer matches/);
    expect(error.message).toContain('GET');
    expect(error.message).toContain('/user');
  });
});
