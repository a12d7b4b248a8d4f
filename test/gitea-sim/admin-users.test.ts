// CONTRACT §L against the simulator: /admin/users (create, edit, list, delete) with the group's
// middleware, binding and password rules; the CLI's change-password, must-change-password and
// list; the hold points a kill test uses. Every API answer is checked against the OpenAPI subset.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './api-client.ts';
import { expectScopeRefused } from './expect-scope.ts';
import { releaseHold } from './faults.ts';
import { createUserArgs, readCases, runGiteaCli, type RunningSimulator } from './harness.ts';
import { startScratchSimulator, stopScratchSimulator } from './scratch.ts';

let dir: string;
let sim: RunningSimulator;
let api: ApiClient;
let swagger = '';
const admin = { basic: ['root-admin', 'admin-pw-123'] as [string, string] };
const cli = (args: string[]) => runGiteaCli(args, { configPath: sim.configPath });

beforeAll(async () => {
  ({ dir, sim, api } = await startScratchSimulator('gitea-sim-admin-users-'));
  swagger = `${sim.url}/api/swagger`;
  const r = await cli(
    createUserArgs('root-admin', 'root@example.com', '--password', 'admin-pw-123', '--admin'),
  );
  expect(r.code, r.stderr).toBe(0);
});

afterAll(() => stopScratchSimulator({ dir, sim }));

/** `gitea admin user generate-access-token --raw` for root-admin: the token alone on stdout. */
const rootToken = (name: string, scopes: string) =>
  cli([
    'admin',
    'user',
    'generate-access-token',
    '--username',
    'root-admin',
    '--token-name',
    name,
    '--scopes',
    scopes,
    '--raw',
  ]);

const user = (name: string, password?: string) => ({
  basic: [name, password ?? `${name}-pw-123`] as [string, string],
});

describe('POST /admin/users (§L.2)', () => {
  it('creates a local user; must_change_password defaults to true (403 on every call until cleared)', async () => {
    const created = await api.request('POST', '/admin/users', {
      auth: admin,
      json: { username: 'ann', email: 'ann@example.org', password: 'ann-pw-123', login_name: 'ann-login' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      login: 'ann',
      email: 'ann@example.org',
      is_admin: false,
      active: true,
    });
    expect((created.body as { login_name: string }).login_name).toBe('ann-login');
    const me = await api.request('GET', '/user', { auth: user('ann') });
    expect(me.status).toBe(403);
    expect((me.body as { message: string }).message).toMatch(
      /^You must change your password\. Change it at: /,
    );

    const ok = await api.request('POST', '/admin/users', {
      auth: admin,
      json: {
        username: 'bea',
        email: 'bea@example.org',
        password: 'bea-pw-123',
        must_change_password: false,
      },
    });
    expect(ok.status).toBe(201);
    expect((await api.request('GET', '/user', { auth: user('bea') })).status).toBe(200);
  });

  it('applies binding, password and account rules with Gitea texts', async () => {
    const post = (json: unknown) => api.request('POST', '/admin/users', { auth: admin, json });
    // Each case: the body posted, and Gitea 1.24's status and message for it.
    const cases = readCases<{ json: unknown; status: number; message: string }>(
      'admin-users-rejections.json',
    );
    for (const { json, status, message } of cases) {
      const r = await post(json);
      expect([r.status, r.body], JSON.stringify(json)).toEqual([status, { message, url: swagger }]);
    }
  });

  it('is for site admins only, and a token needs write:admin', async () => {
    const body = { username: 'dan', email: 'dan@example.org', password: 'dan-pw-123' };
    expect((await api.request('POST', '/admin/users', { json: body })).body).toEqual({
      message: 'token is required',
      url: swagger,
    });
    const byBea = await api.request('POST', '/admin/users', { auth: user('bea'), json: body });
    expect([byBea.status, byBea.body]).toEqual([
      403,
      { message: 'user should be the site admin', url: swagger },
    ]);
    const t = await rootToken('ro', 'read:admin');
    const readOnly = await api.request('POST', '/admin/users', {
      auth: { token: t.stdout.trim() },
      json: body,
    });
    expectScopeRefused(readOnly, 'write:admin', 'read:admin');
  });
});

describe('PATCH /admin/users/{username} (§L.3, §L.5)', () => {
  it('sets a password and clears must_change_password, with a CLI-minted write:admin token, on the admin itself', async () => {
    const t = await rootToken('recover', 'write:admin');
    expect(t.code, t.stderr).toBe(0);
    const token = { token: t.stdout.trim() };
    const self = await api.request('PATCH', '/admin/users/root-admin', {
      auth: token,
      json: { login_name: 'root-admin', password: 'new-admin-pw-1', must_change_password: false },
    });
    expect(self.status).toBe(200);
    expect((await api.request('GET', '/user', { auth: admin })).status).toBe(401);
    admin.basic[1] = 'new-admin-pw-1';
    expect((await api.request('GET', '/user', { auth: admin })).status).toBe(200);

    const ann = await api.request('PATCH', '/admin/users/ann', {
      auth: admin,
      json: { login_name: 'ann', password: 'ann-new-pw-1', must_change_password: false },
    });
    expect(ann.status).toBe(200);
    expect((await api.request('GET', '/user', { auth: user('ann', 'ann-new-pw-1') })).status).toBe(200);
  });

  it('answers with Gitea texts: login_name required, password length, unknown user, last admin', async () => {
    const patch = (name: string, json: unknown) =>
      api.request('PATCH', `/admin/users/${name}`, { auth: admin, json });
    const cases: Array<[string, unknown, number, string]> = [
      ['ann', { password: 'whatever-long' }, 422, '[LoginName]: Required'],
      ['ann', { login_name: 'ann', password: 'short' }, 400, 'password must be at least 8 characters'],
      ['nobody', { login_name: 'x' }, 404, 'user redirect does not exist [name: nobody]'],
      [
        'root-admin',
        { login_name: 'root-admin', admin: false },
        400,
        'can not delete the last admin user [uid: 1]',
      ],
      [
        'ann',
        { login_name: 'ann', email: 'bea@example.org' },
        400,
        'e-mail already in use [email: bea@example.org]',
      ],
    ];
    for (const [name, json, status, message] of cases) {
      const r = await patch(name, json);
      expect([r.status, r.body], JSON.stringify(json)).toEqual([status, { message, url: swagger }]);
    }
    // The admin edit path takes an address the create binding refuses (§L.7.4).
    const local = await patch('ann', { login_name: 'ann', email: 'ann@localhost' });
    expect([local.status, (local.body as { email: string }).email]).toEqual([200, 'ann@localhost']);
  });
});

describe('GET and DELETE /admin/users (§L.4)', () => {
  it('lists individual users by name (all without page; pages with Link), and deletes one', async () => {
    const all = await api.request('GET', '/admin/users', { auth: admin });
    expect(all.status).toBe(200);
    const names = (all.body as Array<{ login: string }>).map((u) => u.login);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(['ann', 'bea', 'root-admin']));
    expect(all.headers.get('x-total-count')).toBe(String(names.length));
    const page = await api.request('GET', '/admin/users?page=1&limit=1', { auth: admin });
    expect(page.body).toHaveLength(1);
    expect(page.headers.get('link')).toContain('rel="next"');

    const removed = await api.request('DELETE', '/admin/users/bea', { auth: admin });
    expect(removed.status).toBe(204);
    expect((await api.request('GET', '/users/bea')).status).toBe(404);
    const self = await api.request('DELETE', '/admin/users/root-admin', { auth: admin });
    expect([self.status, self.body]).toEqual([422, { message: 'you cannot delete yourself', url: swagger }]);
  });
});

describe('CLI (§L.6)', () => {
  it('change-password sets must-change-password unless told not to; must-change-password --unset clears it', async () => {
    const r = await cli([
      'admin',
      'user',
      'change-password',
      '--username',
      'ann',
      '--password',
      'ann-cli-pw-1',
    ]);
    expect([r.code, r.stdout.trim()]).toEqual([0, "ann's password has been successfully updated!"]);
    expect((await api.request('GET', '/user', { auth: user('ann', 'ann-cli-pw-1') })).status).toBe(403);
    const unset = await cli(['admin', 'user', 'must-change-password', '--unset', 'ann', 'nobody']);
    expect([unset.code, unset.stdout.trim()]).toEqual([
      0,
      'Updated 1 users setting MustChangePassword to false',
    ]);
    expect((await api.request('GET', '/user', { auth: user('ann', 'ann-cli-pw-1') })).status).toBe(200);
    const again = await cli(['admin', 'user', 'must-change-password', '--unset', 'ann']);
    expect(again.stdout.trim()).toBe('Updated 0 users setting MustChangePassword to false');

    const errors: Array<[string[], string]> = [
      [['change-password', '--username', 'ann'], 'password is not set'],
      [['change-password', '--username', ' ', '--password', 'x'], 'username is required'],
      [
        ['change-password', '--username', 'ann', '--password', 'short'],
        'password is not long enough, needs to be at least 8 characters',
      ],
      [
        ['change-password', '--username', 'ghost', '--password', 'long-enough'],
        'user does not exist [uid: 0, name: ghost]',
      ],
      [['must-change-password'], 'either usernames or --all must be provided'],
    ];
    for (const [args, message] of errors) {
      const e = await cli(['admin', 'user', ...args]);
      expect([e.code, e.stderr.trim()], args.join(' ')).toEqual([1, `Command error: ${message}`]);
    }
  });

  it('list prints a tabwriter table, all users or admins only', async () => {
    const all = await cli(['admin', 'user', 'list']);
    expect(all.code).toBe(0);
    const lines = all.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID +Username +Email +IsActive +IsAdmin +2FA$/);
    expect(lines.some((l) => /^1 +root-admin +root@example\.com +true +true +false$/.test(l))).toBe(true);
    const admins = await cli(['admin', 'user', 'list', '--admin']);
    expect(admins.stdout).toBe(
      'ID   Username   Email            IsActive\n1    root-admin root@example.com true\n',
    );
  });
});

describe('hold points', () => {
  it('hold the CLI after the user is stored and before it says so, until the file is removed', async () => {
    const held = join(dir, 'held-cli');
    sim.setFaults({ holds: [{ id: 'cli-hold', at: 'admin user create', file: held, times: 1 }] });
    const running = cli(createUserArgs('held-user', 'held@example.org', '--random-password'));
    await expect.poll(() => existsSync(held), { timeout: 20_000, interval: 25 }).toBe(true);
    expect((await api.request('GET', '/users/held-user')).status).toBe(200); // stored already
    releaseHold(held);
    const r = await running;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("New user 'held-user' has been successfully created!");
    sim.setFaults({});
  });

  it('hold an API answer after the handler committed, other requests still served', async () => {
    const held = join(dir, 'held-api');
    sim.setFaults({ holds: [{ id: 'api-hold', at: 'POST /api/v1/admin/users', file: held, times: 1 }] });
    const pending = api.request('POST', '/admin/users', {
      auth: admin,
      json: { username: 'eve', email: 'eve@example.org', password: 'eve-pw-123' },
    });
    await expect.poll(() => existsSync(held), { timeout: 20_000, interval: 25 }).toBe(true);
    expect((await api.request('GET', '/users/eve')).status).toBe(200);
    releaseHold(held);
    expect((await pending).status).toBe(201);
    sim.setFaults({});
    expect(api.problems).toEqual([]);
  });
});
