// The first-boot baseline: what a plain bootstrapper costs for the same work as gigi-boot's first
// boot, with no machine, no checkpoints, no journal and no resume. A straight-line script: write
// the same app.ini, start the same `gitea web` the same way (setpriv as the run user, detached,
// output to a log file), notice its port opening by a connect retry every few milliseconds, make
// the same API and CLI calls in the same order as gigi-boot's steps, stop Gitea, write the same
// config rows in one statement, and render the hand-off files. The bench bundles it (esbuild,
// like gigi-boot) and runs it as a process with the same environment as the boot it is compared
// with; the bench then checks that the simulator saw the same calls and that the same config keys
// were written. Running this file starts the bootstrap: it is an entry point, never imported.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';

const env = process.env;
/** PLAIN_TRACE=1: each phase's wall-clock time on stderr, to set against a boot's log. */
const mark = (phase: string) => env.PLAIN_TRACE && process.stderr.write(`T ${phase} ${Date.now()}\n`);
mark('start');
const dataDir = env.GIGI_DATA_DIR!;
const port = Number(env.GITEA_HTTP_PORT);
const runUser = env.GIGI_BOOT_GITEA_USER ?? 'gigi';
const adminUser = env.ADMIN_USER ?? 'gigi-admin';
const adminEmail = env.ADMIN_EMAIL ?? `${adminUser}@gigi.local`;
const orgName = env.ORG_NAME ?? 'gigi-org';
const webhookUrl = env.WEBHOOK_URL ?? 'http://localhost:3000/webhook/gitea';
const tokenScopes = (
  env.GITEA_TOKEN_SCOPES ??
  'write:activitypub,write:issue,write:misc,write:notification,write:organization,write:package,write:repository,write:user'
).split(',');
const webhookEvents = [
  'create',
  'delete',
  'push',
  'issues',
  'issue_comment',
  'pull_request',
  'pull_request_review',
  'repository',
];

const workDir = join(dataDir, 'gitea');
const appIni = join(workDir, 'custom', 'conf', 'app.ini');
const bootDir = join(dataDir, 'gigi-boot');
const base = `http://127.0.0.1:${port}/api/v1`;

const [, , uidText, gidText, , home] = readFileSync('/etc/passwd', 'utf8')
  .split('\n')
  .find((line) => line.startsWith(`${runUser}:`))!
  .split(':');
const uid = Number(uidText);
const gid = Number(gidText);
const giteaEnv = {
  HOME: home!,
  USER: runUser,
  LOGNAME: runUser,
  PATH: env.PATH ?? '/usr/bin:/bin',
  GITEA_WORK_DIR: workDir,
  ...(env.GITEA_SIM_FAULTS ? { GITEA_SIM_FAULTS: env.GITEA_SIM_FAULTS } : {}),
};
const setpriv = (args: string[]) => [
  `--reuid=${uid}`,
  `--regid=${gid}`,
  '--init-groups',
  '--pdeathsig=TERM',
  '--',
  env.GITEA_BIN!,
  ...args,
];

const secret = (bytes: number) => randomBytes(bytes).toString('base64url');

function ownedDir(path: string, mode = 0o750): void {
  mkdirSync(path, { recursive: true, mode });
  chownSync(path, uid, gid);
}

function renderAppIni(httpAddr: string, keys: { secretKey: string; internalToken: string }): string {
  return `RUN_USER = ${runUser}
WORK_PATH = ${workDir}
[server]
SSH_DOMAIN = localhost
SSH_PORT = 2222
SSH_LISTEN_PORT = 2222
START_SSH_SERVER = true
BUILTIN_SSH_SERVER_USER = git
HTTP_ADDR = ${httpAddr}
HTTP_PORT = ${port}
ROOT_URL = http://localhost:${port}/
APP_DATA_PATH = ${workDir}/data
LFS_START_SERVER = false

[service]
DISABLE_REGISTRATION = true
ENABLE_REVERSE_PROXY_AUTHENTICATION = true
ENABLE_REVERSE_PROXY_AUTO_REGISTRATION = false

[ui]
DEFAULT_THEME = gitea-dark

[webhook]
ALLOWED_HOST_LIST = *

[security]
INSTALL_LOCK = true
SECRET_KEY = ${keys.secretKey}
INTERNAL_TOKEN = ${keys.internalToken}

[database]
DB_TYPE = sqlite3
PATH = ${workDir}/data/gitea.db
`;
}

/** One connect attempt every 5 ms until Gitea's port accepts. */
async function waitForPort(child: ChildProcess): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`gitea web exited with ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function call(
  method: string,
  path: string,
  auth: string | null,
  body?: unknown,
  okStatuses: number[] = [200, 201, 204],
): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(auth ? { authorization: auth } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!okStatuses.includes(response.status))
    throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 200)}`);
  return { status: response.status, json: text ? (JSON.parse(text) as unknown) : null };
}

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

function runCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('setpriv', setpriv(args), { env: giteaEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`gitea ${args[0]}: ${out}`)),
    );
  });
}

mark('loaded');
// app.ini for the temporary Gitea, on loopback.
for (const dir of [workDir, join(workDir, 'custom'), join(workDir, 'custom', 'conf'), join(workDir, 'data')])
  ownedDir(dir);
ownedDir(join(workDir, 'log'));
mkdirSync(bootDir, { recursive: true, mode: 0o700 });
const keys = { secretKey: secret(48), internalToken: secret(48) };
writeFileSync(appIni, renderAppIni('127.0.0.1', keys), { mode: 0o600 });
chownSync(appIni, uid, gid);

// The temporary Gitea.
const log = openSync(join(bootDir, 'temporary-gitea.log'), 'a', 0o600);
const gitea = spawn('setpriv', setpriv(['web', '--config', appIni]), {
  env: giteaEnv,
  cwd: workDir,
  detached: true,
  stdio: ['ignore', log, log],
});
closeSync(log);
const exited = new Promise((resolve) => gitea.once('exit', resolve));
mark('spawned');
await waitForPort(gitea);
mark('listening');
await call('GET', '/version', null);
mark('version');

// The admin: created by the CLI with a random password, then given ours.
const adminPassword = secret(24);
await call('GET', `/users/${adminUser}`, null, undefined, [404]);
const created = await runCli([
  'admin',
  'user',
  'create',
  '--config',
  appIni,
  '--username',
  adminUser,
  '--email',
  adminEmail,
  '--random-password',
  '--must-change-password=false',
  '--admin',
]);
mark('cli-done');
const randomPassword = /generated random password is '(.*)'/.exec(created)![1]!;
await call('PATCH', `/admin/users/${adminUser}`, basic(adminUser, randomPassword), {
  source_id: 0,
  login_name: adminUser,
  password: adminPassword,
  must_change_password: false,
});
const admin = basic(adminUser, adminPassword);

// gigi, its token, the org, gigi as its owner, the system webhook.
const giteaPassword = secret(24);
await call('GET', '/users/gigi', admin, undefined, [404]);
await call('POST', '/admin/users', admin, {
  username: 'gigi',
  email: 'gigi@gigi.local',
  password: giteaPassword,
  must_change_password: false,
});
await call('DELETE', '/users/gigi/tokens/gigi-app', admin, undefined, [204, 404]);
const token = (await call('POST', '/users/gigi/tokens', admin, { name: 'gigi-app', scopes: tokenScopes }))
  .json as { sha1: string };
await call('GET', `/orgs/${orgName}`, admin, undefined, [404]);
await call('POST', '/orgs', admin, { username: orgName, visibility: 'public' });
const teams = (await call('GET', `/orgs/${orgName}/teams?page=1&limit=50`, admin)).json as Array<{
  id: number;
  name: string;
}>;
const owners = teams.find((t) => t.name === 'Owners')!.id;
await call('GET', `/teams/${owners}/members/gigi`, admin, undefined, [404]);
await call('PUT', `/teams/${owners}/members/gigi`, admin);
const webhookSecret = secret(32);
await call('GET', '/admin/hooks?type=all&page=1&limit=50', admin);
const hook = (
  await call('POST', '/admin/hooks', admin, {
    type: 'gitea',
    config: { url: webhookUrl, content_type: 'json', secret: webhookSecret, is_system_webhook: 'true' },
    events: webhookEvents,
    active: true,
    branch_filter: '*',
  })
).json as { id: number };

mark('calls-done');
// Stop the temporary Gitea (its process group, as gigi-boot does).
process.kill(-gitea.pid!, 'SIGTERM');
await exited;
mark('stopped');

// The config rows, in one statement.
const db = new pg.Client({ connectionString: env.DATABASE_URL });
await db.connect();
const rows: Record<string, string> = {
  webhook_secret: webhookSecret,
  admin_password: adminPassword,
  gitea_password: giteaPassword,
  gitea_token: token.sha1,
  gitea_webhook_id: String(hook.id),
  gitea_url: `http://localhost:${port}`,
  admin_user: adminUser,
};
await db.query(`CREATE TABLE IF NOT EXISTS config (key text PRIMARY KEY, value text,
  created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now())`);
await db.query(
  `INSERT INTO config (key, value) SELECT key, value FROM json_each_text($1::json)
   ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now()`,
  [JSON.stringify(rows)],
);
await db.end();
mark('config-written');

// The hand-off: app.ini for the supervised Gitea, the app's directories, supervisord.conf.
writeFileSync(appIni, renderAppIni(env.GITEA_HTTP_ADDR ?? '0.0.0.0', keys), { mode: 0o600 });
ownedDir(join(dataDir, 'workspace'), 0o755);
ownedDir(join(dataDir, 'chrome-profile'), 0o755);
writeFileSync(
  join(bootDir, 'supervisord.conf'),
  `[supervisord]\nnodaemon=true\n\n[program:gitea]\ncommand=${env.GITEA_BIN} web --config ${appIni}\nuser=${runUser}\n`,
  { mode: 0o600 },
);
mark('end');
