// Finer API rules of CONTRACT §A, §E, §F, §I: binding 422s, path normalisation, credential
// forms, token deletion by base-0 id or name, hook validation and PATCH semantics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './api-client.ts';
import { expectScopeRefused } from './expect-scope.ts';
import { createUserArgs, runGiteaCli, type RunningSimulator } from './harness.ts';
import { startScratchSimulator, stopScratchSimulator } from './scratch.ts';

let dir: string;
let sim: RunningSimulator;
let api: ApiClient;
const admin = { basic: ['admin', 'admin-pw'] as [string, string] };
const bob = { basic: ['bob', 'bob-pw'] as [string, string] };
let swagger = '';

beforeAll(async () => {
  ({ dir, sim, api } = await startScratchSimulator('gitea-sim-rules-'));
  swagger = `${sim.url}/api/swagger`;
  for (const [name, extra] of [
    ['admin', ['--admin']],
    ['bob', ['--must-change-password=false']],
  ] as const) {
    const r = await runGiteaCli(
      createUserArgs(name, `${name}@example.com`, '--password', `${name}-pw`, ...extra),
      { configPath: sim.configPath },
    );
    expect(r.code, r.stderr).toBe(0);
  }
});

afterAll(() => stopScratchSimulator({ dir, sim }));

describe('request binding (422)', () => {
  it('needs a Content-Type, a supported one, and well-formed JSON of the right types', async () => {
    const none = await api.request('POST', '/orgs', {
      auth: admin,
      body: '{"username":"x"}',
      contentType: null,
    });
    expect(none.body).toEqual({ message: '[]: Empty Content-Type', url: swagger });
    const xml = await api.request('POST', '/orgs', {
      auth: admin,
      body: '<x/>',
      contentType: 'application/xml',
    });
    expect(xml.body).toEqual({ message: '[]: Unsupported Content-Type', url: swagger });
    const broken = await api.request('POST', '/orgs', { auth: admin, body: '{"username":' });
    expect(broken.status).toBe(422);
    expect((broken.body as { message: string }).message).toMatch(/^\[\]: /);
    const wrongType = await api.request('POST', '/orgs', { auth: admin, json: { username: 5 } });
    expect(wrongType.status).toBe(422);
    expect((wrongType.body as { message: string }).message).toMatch(/^\[\]: json: cannot unmarshal number/);
    const missing = await api.request('POST', '/orgs', { auth: admin, json: { full_name: 'no name' } });
    expect(missing.body).toEqual({ message: '[UserName]: Required', url: swagger });
    const long = await api.request('POST', '/orgs', { auth: admin, json: { username: 'a'.repeat(41) } });
    expect(long.body).toMatchObject({ message: '[UserName]: MaxSize' });
    const vis = await api.request('POST', '/orgs', {
      auth: admin,
      json: { username: 'ok', visibility: 'secret' },
    });
    expect(vis.body).toMatchObject({ message: '[Visibility]: In' });
    const reserved = await api.request('POST', '/orgs', { auth: admin, json: { username: 'Assets' } });
    expect(reserved.body).toMatchObject({ message: 'name is reserved [name: assets]' });
    const noName = await api.request('POST', '/users/admin/tokens', {
      auth: admin,
      json: { scopes: ['all'] },
    });
    expect(noName.body).toMatchObject({ message: '[Name]: Required' });
  });
});

describe('auth forms and paths', () => {
  it('accepts token/Bearer headers and ?token=, ignores a capitalised "Token", normalises slashes', async () => {
    const created = await api.request('POST', '//users/admin/tokens/', {
      auth: admin,
      json: { name: 't1', scopes: ['read:user'] },
    });
    expect(created.status).toBe(201);
    const sha = (created.body as { sha1: string }).sha1;
    expect((await api.request('GET', '/user', { auth: { header: `Bearer ${sha}` } })).status).toBe(200);
    expect((await api.request('GET', `/user?token=${sha}`)).status).toBe(200);
    const capital = await api.request('GET', '/user', { auth: { header: `Token ${sha}` } });
    expect(capital.status).toBe(401);
    expect(capital.body).toMatchObject({ message: 'token is required' });
    const basicToken = await api.request('GET', '/user', { auth: { basic: [sha, ''] } });
    expect(basicToken.status).toBe(200);
    const scope = await api.request('POST', '/orgs', { auth: { token: sha }, json: { username: 'nope' } });
    expectScopeRefused(scope, 'write:organization', 'read:user');
  });

  it('validates token scopes and deletes by base-0 id before name', async () => {
    const bad = await api.request('POST', '/users/admin/tokens', {
      auth: admin,
      json: { name: 'bad', scopes: [' all'] },
    });
    expect(bad.body).toEqual({
      message: 'invalid access token scope provided: invalid access token scope:  all',
      url: swagger,
    });
    const none = await api.request('POST', '/users/admin/tokens', { auth: admin, json: { name: 'none' } });
    expect(none.body).toEqual({ message: 'access token must have a scope', url: swagger });
    const missingUser = await api.request('GET', '/users/ghostly/tokens', { auth: admin });
    expect(missingUser.body).toEqual({
      message: 'user redirect does not exist [name: ghostly]',
      url: swagger,
    });

    const named = await api.request('POST', '/users/bob/tokens', {
      auth: bob,
      json: { name: '123', scopes: ['read:user', 'write:user'] },
    });
    expect((named.body as { scopes: string[] }).scopes).toEqual(['write:user']);
    const id = (named.body as { id: number }).id;
    const byName = await api.request('DELETE', '/users/bob/tokens/123', { auth: bob });
    expect(byName.status).toBe(404); // "123" parses as an id, never as a name
    const byHex = await api.request('DELETE', `/users/bob/tokens/0x${id.toString(16)}`, { auth: bob });
    expect(byHex.status).toBe(204);
  });
});

describe('teams', () => {
  it('hides teams from non-members and team membership changes from non-owners', async () => {
    const org = await api.request('POST', '/orgs', { auth: admin, json: { username: 'teamorg' } });
    expect(org.status).toBe(201);
    const teams = await api.request('GET', '/orgs/teamorg/teams', { auth: admin });
    const owners = (teams.body as { id: number }[])[0]!.id;
    const listAsBob = await api.request('GET', '/orgs/teamorg/teams', { auth: bob });
    expect(listAsBob.status).toBe(403);
    expect(listAsBob.body).toMatchObject({ message: 'Must be an organization member' });
    const putAsBob = await api.request('PUT', `/teams/${owners}/members/bob`, { auth: bob });
    expect(putAsBob.status).toBe(404);
    const anon = await api.request('PUT', `/teams/${owners}/members/bob`);
    expect(anon.body).toMatchObject({ message: 'token is required' });
    const noTeam = await api.request('PUT', '/teams/9999/members/bob', { auth: admin });
    expect(noTeam.body).toEqual({ message: "The target couldn't be found.", url: swagger, errors: null });
  });
});

describe('admin hooks', () => {
  it('validates in Gitea’s order and applies PATCH semantics', async () => {
    const post = (json: unknown) => api.request('POST', '/admin/hooks', { auth: admin, json });
    expect((await post({ config: {} })).body).toMatchObject({ message: '[Type]: Required' });
    expect((await post({ type: 'gitea' })).body).toMatchObject({ message: '[Config]: Required' });
    expect((await post({ type: 'svn', config: {} })).body).toMatchObject({
      message: 'Invalid hook type: svn',
    });
    expect((await post({ type: 'gitea', config: {} })).body).toMatchObject({
      message: 'Missing config option: url',
    });
    expect((await post({ type: 'gitea', config: { url: 'http://a/' } })).body).toMatchObject({
      message: 'Missing config option: content_type',
    });
    expect(
      (await post({ type: 'gitea', config: { url: 'http://a/', content_type: 'xml' } })).body,
    ).toMatchObject({
      message: 'Invalid content type',
    });
    expect(
      (await post({ type: 'gitea', config: { url: 'ftp://a/', content_type: 'json' } })).body,
    ).toMatchObject({
      message: 'Invalid url',
    });
    const maybe = await post({
      type: 'gitea',
      config: { url: 'http://a/', content_type: 'json', is_system_webhook: 'maybe' },
    });
    expect(maybe.status).toBe(422);
    expect(maybe.body).toMatchObject({ message: 'Invalid is_system_webhook value' });

    const created = await post({
      type: 'gitea',
      config: { url: 'http://a:8080/hook', content_type: 'form', secret: 'orig', is_system_webhook: '1' },
      events: ['issues_only', 'no-such-event'],
      authorization_header: 'Bearer x',
      active: true,
    });
    expect(created.status).toBe(201);
    const hook = created.body as { id: number; events: string[]; authorization_header: string };
    expect(hook.events).toEqual(['issues']);
    expect(hook.authorization_header).toBe('Bearer x');
    const patched = await api.request('PATCH', `/admin/hooks/${hook.id}`, {
      auth: admin,
      json: { config: { secret: 'changed', url: 'https://b/' } },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      events: ['push'],
      branch_filter: '',
      authorization_header: '',
      active: true,
      config: { url: 'https://b/', content_type: 'form' },
    });
    expect(sim.readState().hooks.find((h) => h.id === hook.id)?.secret).toBe('orig');
    const unknown = await api.request('PATCH', '/admin/hooks/4242', { auth: admin, json: {} });
    expect(unknown.status).toBe(500);
    expect(unknown.body).toEqual({ message: 'webhook does not exist [id: 4242]', url: swagger });
    expect((await api.request('GET', `/admin/hooks/${hook.id}`, { auth: admin })).status).toBe(200);
    expect((await api.request('DELETE', `/admin/hooks/${hook.id}`, { auth: admin })).status).toBe(204);
    const gone = await api.request('GET', `/admin/hooks/${hook.id}`, { auth: admin });
    expect(gone.body).toEqual({ message: "The target couldn't be found.", url: swagger, errors: null });
    const anon = await api.request('GET', '/admin/hooks');
    expect(anon.body).toMatchObject({ message: 'token is required' });
  });

  it('answered every request within the OpenAPI subset and the contract’s error shapes', () => {
    expect(api.problems).toEqual([]);
  });
});
