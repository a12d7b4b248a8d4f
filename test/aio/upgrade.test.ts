// Upgrade in a container (issue 10): a volume the bash entrypoint booted — its own init steps
// (test/e2e/fixtures/seed-entrypoint-init.sh) run with the image's Gitea on /data, as the seed's
// container did — then the gigi-boot AIO image started on it: the same users, the same repository,
// the seed's token still working, one system webhook (the seed's default one gone), every program
// RUNNING, the app healthy. Killed mid-adoption (createUsers), the next container resumes and ends
// the same. Plain `docker run` on a bind-mounted /data, with its own network and Postgres.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DbState } from '../gitea-sim/state-store.ts';
import { containerLogs, docker, programStates } from '../support/aio-docker.ts';
import { waitFor } from '../support/wait.ts';
import { REPO_ROOT } from '../support/boot-process.ts';

const IMAGE = process.env.GIGI_AIO_TEST_IMAGE ?? 'gigi-aio-test/aio:latest';
const PG_IMAGE = 'gigi-aio-test/postgres:latest';
const NAME = `gigiupgrade-${process.pid}`;
const HOOK_URL = 'http://localhost:3000/webhook/gitea';

let work: string;
const created: string[] = [];
/** The container's log; only a newline once it is gone. */
const logsOf = (container: string) => containerLogs(container).catch(() => '\n');

async function psql(sql: string): Promise<string> {
  const { stdout } = await docker('exec', `${NAME}-pg`, 'psql', '-U', 'gigi', '-d', 'gigi', '-tAc', sql);
  return stdout.trim();
}

async function configTable(db: string): Promise<Record<string, string>> {
  const { stdout } = await docker(
    'exec',
    `${NAME}-pg`,
    'psql',
    '-U',
    'gigi',
    '-d',
    db,
    '-tAF',
    '\t',
    '-c',
    'SELECT key, value FROM config',
  );
  return Object.fromEntries(
    stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t') as [string, string]),
  );
}

function giteaDb(dataDir: string): DbState {
  return JSON.parse(readFileSync(join(dataDir, 'gitea', 'gitea.db'), 'utf8')) as DbState;
}

/** The seed's init on a fresh bind-mounted /data, in the image (its Gitea, its users), as root. */
async function seedVolume(
  db: string,
): Promise<{ dataDir: string; before: DbState; seedConfig: Record<string, string> }> {
  await psql(`CREATE DATABASE ${db} OWNER gigi`);
  const dataDir = join(work, db);
  mkdirSync(dataDir);
  await docker(
    'run',
    '--rm',
    '--name',
    `${NAME}-seed-${db}`,
    '--network',
    NAME,
    '-v',
    `${dataDir}:/data`,
    '-v',
    `${join(REPO_ROOT, 'test', 'e2e', 'fixtures')}:/seed:ro`,
    '-v',
    `${join(work, 'xxd')}:/usr/local/sbin/xxd:ro`,
    '-e',
    'DATA=/data',
    '-e',
    'GITEA=/usr/local/bin/gitea',
    '-e',
    'PORT=3300',
    '-e',
    `HOOK_URL=${HOOK_URL}`,
    '-e',
    'TEMPLATES_SRC=/app/gitea/custom/templates',
    ...deploymentEnv(db),
    '--entrypoint',
    'bash',
    IMAGE,
    '-c',
    // A repository's files, where the seed's Gitea keeps them (the simulator keeps none).
    'bash /seed/seed-entrypoint-init.sh && R=/data/gitea/data/gitea-repositories/mauro/notes.git && ' +
      'mkdir -p $R && echo "ref: refs/heads/main" > $R/HEAD && chown -R gigi /data/gitea/data',
  );
  const seedConfig = await configTable(db);
  expect(seedConfig.gitea_token).toMatch(/^[0-9a-f]{40}$/);
  expect(seedConfig.webhook_secret).toMatch(/^[0-9a-f]{32}$/);
  const before = giteaDb(dataDir);
  expect(before.hooks.filter((h) => h.url === HOOK_URL).map((h) => h.isSystemWebhook)).toEqual([false]);
  return { dataDir, before, seedConfig };
}

/** The deployment's settings, as `docker run -e` flags: its database, admin and org. */
const deploymentEnv = (db: string) => [
  '-e',
  `DATABASE_URL=postgres://gigi:upgrade-pg-password@${NAME}-pg:5432/${db}`,
  '-e',
  'ADMIN_USER=mauro',
  '-e',
  'ORG_NAME=gigi-org',
];

/** `docker run` the AIO image on the volume (detached), as a deployment would. */
async function startAio(container: string, db: string, dataDir: string, extra: string[] = []) {
  created.push(container);
  await docker(
    'run',
    '-d',
    '--name',
    container,
    '--network',
    NAME,
    '-v',
    `${dataDir}:/data`,
    ...deploymentEnv(db),
    // The stand-in boots need no runner-worker image (its base cannot be pulled here).
    '-e',
    'GIGI_BOOT_DOCKER_SOCKET=/nonexistent/docker.sock',
    '-e',
    'GIGI_BOOT_DOCKER_SOCKET_WAIT=0',
    ...extra,
    IMAGE,
  );
}

/** What an adopted, running container shows, however it got there. */
async function expectUpgraded(
  container: string,
  db: string,
  seed: { dataDir: string; before: DbState; seedConfig: Record<string, string> },
) {
  const health = await waitFor(
    'the app /health with the config table and Gitea',
    async () => {
      const { stdout } = await docker('exec', container, 'curl', '-sf', 'http://localhost:3000/health');
      const body = JSON.parse(stdout) as { config: { keys?: string[] }; gitea: { status?: number } };
      return body.config.keys && body.gitea.status === 200 ? body : undefined;
    },
    { timeout: 150_000, interval: 1_000, diagnostics: () => logsOf(container) },
  );
  expect(health.config.keys).toEqual(expect.arrayContaining(['gitea_token', 'webhook_secret']));
  const states = await waitFor(
    'every program RUNNING',
    async () => {
      const s = await programStates(container);
      return s.gitea && s.gigi && Object.values(s).every((v) => v === 'RUNNING') ? s : undefined;
    },
    { timeout: 90_000, interval: 1_000, diagnostics: () => logsOf(container) },
  );
  expect(Object.keys(states).length).toBeGreaterThanOrEqual(2);

  // Same Gitea database: every account the seed made, with the same id; the repository's files.
  const db2 = giteaDb(seed.dataDir);
  for (const user of seed.before.users)
    expect(db2.users.find((u) => u.name === user.name)).toMatchObject({ id: user.id, isAdmin: user.isAdmin });
  expect(db2.users.map((u) => u.name).sort()).toEqual(seed.before.users.map((u) => u.name).sort());
  expect(
    readFileSync(
      join(seed.dataDir, 'gitea', 'data', 'gitea-repositories', 'mauro', 'notes.git', 'HEAD'),
      'utf8',
    ),
  ).toBe('ref: refs/heads/main\n');
  expect(readFileSync(join(seed.dataDir, 'gitea', 'conf', 'app.ini'), 'utf8')).toMatch(
    /^PATH\s*=\s*\/data\/gitea\/gitea\.db$/m,
  );
  // One system webhook to the app, the seed's default one gone, with the secret the app knows.
  const config = await configTable(db);
  const toApp = db2.hooks.filter((h) => h.url === HOOK_URL);
  expect(toApp.map((h) => h.isSystemWebhook)).toEqual([true]);
  expect(config.webhook_secret).toBe(seed.seedConfig.webhook_secret);
  expect(toApp[0]!.secret).toBe(config.webhook_secret);

  // The seed's token is still the app's, and the running Gitea takes it.
  expect(config.gitea_token).toBe(seed.seedConfig.gitea_token);
  const { stdout: me } = await docker(
    'exec',
    container,
    'curl',
    '-sf',
    '-H',
    `authorization: token ${seed.seedConfig.gitea_token}`,
    'http://localhost:3300/api/v1/user',
  );
  expect((JSON.parse(me) as { login: string }).login).toBe('gigi');
  const { stdout: org } = await docker(
    'exec',
    container,
    'curl',
    '-s',
    '-o',
    '/dev/null',
    '-w',
    '%{http_code}',
    '-H',
    `authorization: token ${seed.seedConfig.gitea_token}`,
    'http://localhost:3300/api/v1/orgs/gigi-org',
  );
  expect(org).toBe('200');
  // The agent's workspace, as the seed's entrypoint made it on every start, the run user's.
  const { stdout: workspace } = await docker('exec', container, 'stat', '-c', '%U %F', '/data/workspace');
  expect(workspace).toBe('gigi directory');
  // The image's health check agrees.
  await docker('exec', container, '/opt/gigi-boot/aio/healthcheck.sh');
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'gigi-aio-upgrade-'));
  chmodSync(work, 0o755);
  await execa('bash', [join(REPO_ROOT, 'test', 'support', 'aio-images.sh')], { stdio: 'inherit' });
  // The seed's image had xxd (vim-common); the AIO image has not: the same hex, from od.
  writeFileSync(join(work, 'xxd'), "#!/bin/sh\nod -An -tx1 -v | tr -d ' \\n'\n");
  chmodSync(join(work, 'xxd'), 0o755);
  await docker('network', 'create', NAME);
  created.push(`${NAME}-pg`);
  await docker(
    'run',
    '-d',
    '--name',
    `${NAME}-pg`,
    '--network',
    NAME,
    '-e',
    'POSTGRES_USER=gigi',
    '-e',
    'POSTGRES_PASSWORD=upgrade-pg-password',
    '-e',
    'POSTGRES_DB=gigi',
    PG_IMAGE,
  );
  // Over TCP: the image's init server listens on its socket only, the real one on TCP.
  await waitFor(
    'Postgres',
    async () => {
      await docker('exec', `${NAME}-pg`, 'pg_isready', '-h', '127.0.0.1', '-U', 'gigi', '-d', 'gigi');
      return true;
    },
    { timeout: 60_000, interval: 1_000 },
  );
}, 1_800_000);

afterAll(async () => {
  if (process.env.GIGI_AIO_KEEP !== '1') {
    for (const c of created.reverse()) await docker('rm', '-f', '-v', c).catch(() => undefined);
    await docker('network', 'rm', NAME).catch(() => undefined);
  }
  rmSync(work, { recursive: true, force: true });
}, 120_000);

describe('the AIO image on a volume the bash entrypoint booted', () => {
  it('adopts it: same users, repository and token; one system webhook; every program RUNNING; app healthy', async () => {
    const seed = await seedVolume('upgrade');
    // A bind mount the seed's workspace never reached (it moved elsewhere): the boot makes it again.
    rmSync(join(seed.dataDir, 'workspace'), { recursive: true });
    const container = `${NAME}-aio`;
    await startAio(container, 'upgrade', seed.dataDir);
    await expectUpgraded(container, 'upgrade', seed);
    expect(await logsOf(container)).toContain('adopting a volume the bash entrypoint booted (init done)');
  }, 240_000);

  it('killed mid-adoption (createUsers), the next container resumes and ends the same', async () => {
    const seed = await seedVolume('upgradekill');
    const crashed = `${NAME}-aio-crash`;
    await startAio(crashed, 'upgradekill', seed.dataDir, ['-e', 'GIGI_BOOT_FAILPOINTS=createUsers=crash']);
    const { stdout: code } = await docker('wait', crashed);
    // gigi-boot SIGKILLed itself at the step: tini reports 128 + 9.
    expect(code.trim(), await logsOf(crashed)).toBe('137');
    const resumed = `${NAME}-aio-resumed`;
    await startAio(resumed, 'upgradekill', seed.dataDir);
    expect(await logsOf(crashed)).toContain('adopting a volume the bash entrypoint booted (init done)');
    await expectUpgraded(resumed, 'upgradekill', seed);
    // The second container resumed the first one's boot rather than starting over.
    expect(await logsOf(resumed)).toMatch(/"event":"boot\.completed","plan":"resume"/);
  }, 240_000);
});
