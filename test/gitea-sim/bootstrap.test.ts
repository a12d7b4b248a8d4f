// The bootstrap flow against the simulator, every response checked against openapi-subset.json.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './api-client.ts';
import { expectScopeRefused } from './expect-scope.ts';
import { createUserArgs, runGiteaCli, type RunningSimulator, startSimulator } from './harness.ts';
import { startScratchSimulator, stopScratchSimulator } from './scratch.ts';

let dir: string;
let sim: RunningSimulator;
let api: ApiClient;
let adminPassword = '';
const gigiPassword = 'gigi-password-123';
let adminToken = '';
let gigiToken = '';

beforeAll(async () => {
  ({ dir, sim, api } = await startScratchSimulator('gitea-sim-boot-'));
});

afterAll(() => stopScratchSimulator({ dir, sim }));

describe('bootstrap flow', () => {
  it('serves /api/v1/version anonymously with Gitea JSON conventions', async () => {
    const res = await api.request('GET', '/version');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json;charset=utf-8');
    expect(res.text).toBe('{"version":"1.24.7"}\n');
  });

  it('creates the admin with --random-password; the first user need not change it', async () => {
    const r = await runGiteaCli(
      createUserArgs('admin', 'admin@example.com', '--random-password', '--admin'),
      { configPath: sim.configPath },
    );
    expect(r.code).toBe(0);
    const pw = /^generated random password is '(.*)'$/m.exec(r.stdout);
    expect(pw?.[1]).toMatch(/^[A-Za-z0-9]{12}$/);
    adminPassword = pw![1]!;
    expect(r.stdout).toContain("New user 'admin' has been successfully created!");
    const me = await api.request('GET', '/user', { auth: { basic: ['admin', adminPassword] } });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ login: 'admin', is_admin: true, username: 'admin' });
  });

  it('creates gigi with --must-change-password=false, visible to the running server at once', async () => {
    const r = await runGiteaCli(
      createUserArgs('gigi', 'gigi@example.com', '--password', gigiPassword, '--must-change-password=false'),
      { configPath: sim.configPath },
    );
    expect(r.code, r.stderr).toBe(0);
    const res = await api.request('GET', '/users/gigi', { auth: { basic: ['gigi', gigiPassword] } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ login: 'gigi', is_admin: false, email: 'gigi@example.com' });
    const anon = await api.request('GET', '/users/gigi');
    expect((anon.body as { email: string }).email).toBe('gigi@noreply.localhost'); // DOMAIN stays localhost: ROOT_URL's host is an IP;
  });

  it('rejects a wrong password and an unknown user with 401 on any path', async () => {
    const bad = await api.request('GET', '/version', { auth: { basic: ['admin', 'nope'] } });
    expect(bad.status).toBe(401);
    expect(bad.body).toEqual({
      message: "user's password is invalid [uid: 1, name: admin]",
      url: `${sim.url}/api/swagger`,
    });
    const unknown = await api.request('GET', '/user', { auth: { basic: ['ghost2', 'x'] } });
    expect(unknown.body).toMatchObject({ message: 'user does not exist [uid: 0, name: ghost2]' });
    const badToken = await api.request('GET', '/user', { auth: { token: 'f'.repeat(40) } });
    expect(badToken.status).toBe(401);
    expect(badToken.body).toMatchObject({ message: 'user does not exist [uid: 0, name: ]' });
    const anon = await api.request('GET', '/user');
    expect(anon.status).toBe(401);
    expect(anon.body).toMatchObject({ message: 'token is required' });
  });

  it('creates, lists and deletes tokens with Basic auth; admin can create gigi’s token', async () => {
    const created = await api.request('POST', '/users/admin/tokens', {
      auth: { basic: ['admin', adminPassword] },
      json: { name: 'boot', scopes: ['all'] },
    });
    expect(created.status).toBe(201);
    const tok = created.body as {
      sha1: string;
      token_last_eight: string;
      scopes: string[];
      created_at: string;
    };
    expect(tok.sha1).toMatch(/^[0-9a-f]{40}$/);
    expect(tok.token_last_eight).toBe(tok.sha1.slice(-8));
    expect(tok.scopes).toEqual(['all']);
    expect(tok.created_at).toBe('0001-01-01T00:00:00Z');
    adminToken = tok.sha1;

    const dup = await api.request('POST', '/users/admin/tokens', {
      auth: { basic: ['admin', adminPassword] },
      json: { name: 'boot', scopes: ['all'] },
    });
    expect(dup.status).toBe(400);
    expect(dup.body).toEqual({
      message: 'access token name has been used already',
      url: `${sim.url}/api/swagger`,
    });

    const forGigi = await api.request('POST', '/users/gigi/tokens', {
      auth: { basic: ['admin', adminPassword] },
      json: { name: 'gigi-boot', scopes: ['write:organization', 'read:organization', 'write:user'] },
    });
    expect(forGigi.status).toBe(201);
    expect((forGigi.body as { scopes: string[] }).scopes).toEqual(['write:organization', 'write:user']);
    gigiToken = (forGigi.body as { sha1: string }).sha1;

    const list = await api.request('GET', '/users/admin/tokens', {
      auth: { basic: ['admin', adminPassword] },
    });
    expect(list.status).toBe(200);
    expect(list.headers.get('x-total-count')).toBe('1');
    expect((list.body as { sha1: string; name: string }[])[0]).toMatchObject({ name: 'boot', sha1: '' });

    const viaHeader = await api.request('GET', '/users/admin/tokens', { auth: { token: adminToken } });
    expect(viaHeader.status).toBe(401);
    expect(viaHeader.body).toMatchObject({ message: 'auth required' });
    const tokenAsBasic = await api.request('GET', '/users/admin/tokens', {
      auth: { basic: ['admin', adminToken] },
    });
    expect(tokenAsBasic.status).toBe(200);

    const other = await api.request('GET', '/users/admin/tokens', {
      auth: { basic: ['gigi', gigiPassword] },
    });
    expect(other.status).toBe(403);
    expect(other.body).toMatchObject({
      message: 'doer should be the site admin or be same as the contextUser',
    });

    const temp = await api.request('POST', '/users/admin/tokens', {
      auth: { basic: ['admin', adminPassword] },
      json: { name: 'temp', scopes: ['read:user'] },
    });
    expect(temp.status).toBe(201);
    const del = await api.request('DELETE', '/users/admin/tokens/temp', {
      auth: { basic: ['admin', adminPassword] },
    });
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
    const again = await api.request('DELETE', '/users/admin/tokens/temp', {
      auth: { basic: ['admin', adminPassword] },
    });
    expect(again.status).toBe(404);
    expect(again.body).toEqual({
      message: "The target couldn't be found.",
      url: `${sim.url}/api/swagger`,
      errors: null,
    });
  });

  it('checks token scopes only for token auth, with Gitea’s message', async () => {
    const res = await api.request('GET', '/admin/hooks', { auth: { token: gigiToken } });
    expectScopeRefused(res, 'read:admin', 'write:organization,write:user');
  });

  it('creates the org (Owners team with the creator), then 422 on re-create', async () => {
    const org = await api.request('POST', '/orgs', {
      auth: { token: adminToken },
      json: { username: 'acme', visibility: 'public' },
    });
    expect(org.status).toBe(201);
    expect(org.body).toMatchObject({ name: 'acme', username: 'acme', visibility: 'public' });
    const again = await api.request('POST', '/orgs', {
      auth: { token: adminToken },
      json: { username: 'ACME' },
    });
    expect(again.status).toBe(422);
    expect(again.body).toEqual({
      message: 'user already exists [name: ACME]',
      url: `${sim.url}/api/swagger`,
    });
    const bad = await api.request('POST', '/orgs', {
      auth: { token: adminToken },
      json: { username: 'a..b' },
    });
    expect(bad.body).toMatchObject({ message: '[UserName]: invalid username' });
    const missing = await api.request('GET', '/orgs/nope');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({
      message: 'GetOrgByName',
      errors: ['org does not exist [id: 0, name: nope]'],
    });
    const got = await api.request('GET', '/orgs/acme');
    expect(got.status).toBe(200);
    expect((got.body as { email: string }).email).toBe('');
  });

  it('lists teams sorted by name and adds gigi to Owners idempotently', async () => {
    const teams = await api.request('GET', '/orgs/acme/teams', { auth: { token: adminToken } });
    expect(teams.status).toBe(200);
    const list = teams.body as { id: number; name: string; permission: string; organization: unknown }[];
    expect(list.map((t) => t.name)).toEqual(['Owners']);
    expect(list[0]).toMatchObject({
      permission: 'owner',
      organization: null,
      includes_all_repositories: true,
    });
    const owners = list[0]!.id;
    for (let i = 0; i < 2; i++) {
      const put = await api.request('PUT', `/teams/${owners}/members/gigi`, { auth: { token: adminToken } });
      expect(put.status).toBe(204);
    }
    const member = await api.request('GET', `/teams/${owners}/members/gigi`, { auth: { token: gigiToken } });
    expect(member.status).toBe(200); // write:organization implies read:organization
    expect(member.body).toMatchObject({ login: 'gigi' });
    const stranger = await api.request('PUT', `/teams/${owners}/members/nobody`, {
      auth: { token: adminToken },
    });
    expect(stranger.status).toBe(404);
    expect(stranger.body).toMatchObject({
      message: 'GetUserByName',
      errors: ['user does not exist [uid: 0, name: nobody]'],
    });
  });

  it('creates a system webhook and lists hooks by type; never echoes the secret', async () => {
    const sys = await api.request('POST', '/admin/hooks', {
      auth: { token: adminToken },
      json: {
        type: 'gitea',
        config: {
          url: 'http://localhost:3000/webhook/gitea',
          content_type: 'json',
          secret: 's3cret',
          is_system_webhook: 'true',
        },
        events: [
          'create',
          'delete',
          'push',
          'issues',
          'issue_comment',
          'pull_request',
          'pull_request_review',
          'repository',
        ],
        branch_filter: '*',
        active: true,
      },
    });
    expect(sys.status).toBe(201);
    const hook = sys.body as { id: number; config: Record<string, string>; events: string[] };
    expect(hook.config).toEqual({ url: 'http://localhost:3000/webhook/gitea', content_type: 'json' });
    expect(hook.events).toHaveLength(17);
    expect(sim.readState().hooks.find((h) => h.id === hook.id)?.secret).toBe('s3cret');

    const dflt = await api.request('POST', '/admin/hooks/', {
      auth: { token: adminToken },
      json: { type: 'gitea', config: { url: 'http://localhost:3000/x', content_type: 'json' } },
    });
    expect(dflt.status).toBe(201);
    expect((dflt.body as { events: string[]; active: boolean }).events).toEqual(['push']);

    const system = await api.request('GET', '/admin/hooks', { auth: { token: adminToken } });
    expect((system.body as { id: number }[]).map((h) => h.id)).toEqual([hook.id]);
    const all = await api.request('GET', '/admin/hooks?type=all', { auth: { token: adminToken } });
    expect((all.body as unknown[]).length).toBe(2);
    const onlyDefault = await api.request('GET', '/admin/hooks?type=default', {
      auth: { token: adminToken },
    });
    expect((onlyDefault.body as { id: number }[]).map((h) => h.id)).toEqual([
      (dflt.body as { id: number }).id,
    ]);

    const boolFlag = await api.request('POST', '/admin/hooks', {
      auth: { token: adminToken },
      json: { type: 'gitea', config: { url: 'http://x:1/', content_type: 'json', is_system_webhook: true } },
    });
    expect(boolFlag.status).toBe(422);
    const notAdmin = await api.request('GET', '/admin/hooks', { auth: { basic: ['gigi', gigiPassword] } });
    expect(notAdmin.status).toBe(403);
    expect(notAdmin.body).toMatchObject({ message: 'user should be the site admin' });
  });

  it('keeps users, tokens, org, team membership and hooks across a restart', async () => {
    expect(await sim.stop()).toBe(0);
    sim = await startSimulator({ dir, port: sim.port });
    api = new ApiClient(sim.url);
    const teams = await api.request('GET', '/orgs/acme/teams', { auth: { token: gigiToken } });
    expect(teams.status).toBe(200);
    const hooks = await api.request('GET', '/admin/hooks', { auth: { basic: ['admin', adminPassword] } });
    expect((hooks.body as unknown[]).length).toBe(1);
  });

  it('answered every request within the OpenAPI subset and the contract’s error shapes', () => {
    expect(api.problems).toEqual([]);
  });
});
