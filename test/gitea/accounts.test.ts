// The accounts gigi-boot owns, against the simulator (or a real Gitea with GITEA_BIN): the
// password is saved before the account exists; a saved password that stopped working is reset
// (the admin through a CLI-minted token, gigi through the admin API) and no recovery token
// survives; an account whose password gigi-boot never saved is not touched.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureAppAccount,
  ensureInternalAdmin,
  RECOVERY_TOKEN_PREFIX,
  type SavedPassword,
} from '../../src/gitea/accounts.ts';
import { generateAccessTokenWithCli } from '../../src/gitea/admin-cli.ts';
import { basic, GiteaClient } from '../../src/gitea/api.ts';
import { createUserWithCli } from '../../src/gitea/cli.ts';
import { isBootError, type BootError } from '../../src/errors.ts';
import { runGiteaCli } from '../gitea-sim/harness.ts';
import { startTestGitea, type TestGitea } from './helpers.ts';

let gitea: TestGitea;
let anonymous: GiteaClient;

/** A config-table slot in memory that records when it was written. */
function slot(initial?: string): SavedPassword & { value?: string; writes: number } {
  const s = {
    key: 'test_password',
    value: initial,
    writes: 0,
    read: () => Promise.resolve(s.value),
    save: (v: string) => {
      s.value = v;
      s.writes += 1;
      return Promise.resolve();
    },
  };
  return s;
}

const cliOptions = () => ({
  bin: gitea.bin,
  configPath: gitea.configPath,
  workDir: gitea.workDir,
  runAs: gitea.runAs,
});

/** An account someone else made with `gitea admin user create` (it must not exist yet). */
async function newAccount(username: string, email: string, admin: boolean) {
  const made = await createUserWithCli({ ...cliOptions(), username, email, admin });
  if (!made.created) throw new Error(`${username} existed`);
  return made;
}

async function loginStatus(user: string, password: string): Promise<number> {
  const r = await fetch(`${gitea.baseUrl}/api/v1/user`, {
    headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
  });
  return r.status;
}

async function tokenNames(user: string, password: string): Promise<string[]> {
  const r = await fetch(`${gitea.baseUrl}/api/v1/users/${user}/tokens`, {
    headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
  });
  return ((await r.json()) as Array<{ name: string }>).map((t) => t.name);
}

const admin = (password: SavedPassword, username = 'boot-admin') =>
  ensureInternalAdmin({
    api: anonymous,
    cli: cliOptions(),
    username,
    email: `${username}@example.com`,
    password,
    onSecret: () => undefined,
  });

beforeAll(async () => {
  gitea = await startTestGitea();
  anonymous = new GiteaClient({ baseUrl: gitea.baseUrl, timeoutMs: 10_000 });
});

afterAll(async () => {
  await gitea?.stop();
});

describe('ensureInternalAdmin', () => {
  const saved = slot();

  it('saves a password, creates the admin, and makes the saved password the one that signs in', async () => {
    expect(await admin(saved)).toBe('created');
    expect(saved.writes).toBe(1);
    expect(await loginStatus('boot-admin', saved.value!)).toBe(200);
    expect(await admin(saved)).toBe('existed');
    expect(saved.writes).toBe(1);
  });

  it('recovers its own admin whose password was changed (and flagged must-change), leaving no recovery token', async () => {
    const r = await runGiteaCli(
      ['admin', 'user', 'change-password', '--username', 'boot-admin', '--password', 'someone-elses-pw'],
      { configPath: gitea.configPath },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(await loginStatus('boot-admin', saved.value!)).toBe(401);
    expect(await admin(saved)).toBe('recovered');
    expect(await loginStatus('boot-admin', saved.value!)).toBe(200);
    expect(
      (await tokenNames('boot-admin', saved.value!)).filter((n) => n.startsWith(RECOVERY_TOKEN_PREFIX)),
    ).toEqual([]);
  });

  it('deletes a recovery token an interrupted recovery left behind', async () => {
    await generateAccessTokenWithCli({
      ...cliOptions(),
      username: 'boot-admin',
      tokenName: `${RECOVERY_TOKEN_PREFIX}left-over`,
      scopes: 'write:admin',
    });
    expect(await tokenNames('boot-admin', saved.value!)).toContain(`${RECOVERY_TOKEN_PREFIX}left-over`);
    expect(await admin(saved)).toBe('existed');
    expect(await tokenNames('boot-admin', saved.value!)).not.toContain(`${RECOVERY_TOKEN_PREFIX}left-over`);
  });

  it('never touches an admin whose password it did not save: a clear error instead', async () => {
    const theirs = await newAccount('human-admin', 'human@example.com', true);
    const error = (await admin(slot(), 'human-admin').catch((e: unknown) => e)) as BootError;
    expect(isBootError(error)).toBe(true);
    expect(error.message).toBe(
      'Gitea already has a user "human-admin" whose password gigi-boot did not generate (no test_password in the config table)',
    );
    expect(error.hint).toMatch(/set ADMIN_USER to a name that does not exist yet/);
    expect(await loginStatus('human-admin', theirs.password)).toBe(200);
  });
});

describe('ensureAppAccount', () => {
  let api: GiteaClient;
  beforeAll(async () => {
    const adminSlot = slot();
    await admin(adminSlot, 'app-admin');
    api = new GiteaClient({
      baseUrl: gitea.baseUrl,
      auth: basic('app-admin', adminSlot.value!),
      timeoutMs: 10_000,
    });
  });

  const app = (username: string, password: SavedPassword, external = false) =>
    ensureAppAccount({
      api,
      username,
      email: `${username}@gigi.local`,
      password,
      external,
      onSecret: () => undefined,
    });

  it('saves the password before creating: a failed create leaves it saved, the next attempt uses it', async () => {
    const saved = slot();
    gitea.setFaults({
      rules: [{ method: 'POST', path: '/api/v1/admin/users', action: 'status', status: 500, times: 1 }],
    });
    await expect(app('app-one', saved)).rejects.toMatchObject({ status: 500 });
    gitea.setFaults({});
    const first = saved.value;
    expect(first).toBeDefined();
    expect(await app('app-one', saved)).toBe('created');
    expect(saved.value).toBe(first);
    expect(await loginStatus('app-one', first!)).toBe(200);
    expect(await app('app-one', saved)).toBe('existed');
  });

  it('resets its saved password when it stopped working', async () => {
    const saved = slot();
    await app('app-two', saved);
    await runGiteaCli(
      ['admin', 'user', 'change-password', '--username', 'app-two', '--password', 'changed-by-hand'],
      { configPath: gitea.configPath },
    );
    expect(await app('app-two', saved)).toBe('recovered');
    expect(await loginStatus('app-two', saved.value!)).toBe(200);
  });

  it("external Gitea: an operator's own account without a saved password is left as it is", async () => {
    const theirs = await newAccount('app-three', 'x3@example.com', false);
    const saved = slot();
    expect(await app('app-three', saved, true)).toBe('existed');
    expect(saved.writes).toBe(0);
    expect(await loginStatus('app-three', theirs.password)).toBe(200);
  });

  it('internal Gitea: an account an older gigi-boot made without saving its password gets a saved one', async () => {
    await newAccount('app-four', 'x4@example.com', false);
    const saved = slot();
    expect(await app('app-four', saved)).toBe('recovered');
    expect(saved.writes).toBe(1);
    expect(await loginStatus('app-four', saved.value!)).toBe(200);
  });
});
