// A throwaway Postgres cluster for the test run: initdb into a temp dir, start on a free
// port, one database per test file. Uses TEST_DATABASE_URL instead when it is set (an
// operator's or CI's own server).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { waitFor } from './wait.ts';

const PG_BIN_DIRS = [
  '/usr/lib/postgresql/17/bin',
  '/usr/lib/postgresql/16/bin',
  '/usr/lib/postgresql/15/bin',
];

function pgBin(name: string): string {
  for (const dir of PG_BIN_DIRS) {
    try {
      execFileSync('test', ['-x', join(dir, name)]);
      return join(dir, name);
    } catch {
      /* try the next version */
    }
  }
  return name; // fall back to PATH
}

/** A Postgres program as the `postgres` OS user when root (initdb and postgres refuse root). */
function asPostgres(program: string, args: string[]): [string, string[]] {
  return userInfo().uid === 0
    ? ['/usr/bin/setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', pgBin(program), ...args]]
    : [pgBin(program), args];
}

/** A throwaway cluster: trust auth, no fsync at init, one encoding and locale everywhere. */
const initdbArgs = (dataDir: string) => [
  '-D',
  dataDir,
  '-U',
  'postgres',
  '--auth=trust',
  '--no-sync',
  '-E',
  'UTF8',
  '--locale=C',
];

/** Whether something can listen on 127.0.0.1:port right now. */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** The kernel's ephemeral range: where it picks the local port of every outgoing connection. */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 11_024 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

const handedOut = new Set<number>();

/**
 * Why: a port for a test's listener (a simulated Gitea, a cluster). Taken below the ephemeral
 * range, so no client socket (the bench's hundred Postgres sessions, an HTTP request) can be
 * given it between this check and the listener's bind, and never the same one twice in a process.
 */
export async function freePort(): Promise<number> {
  const high = ephemeralLow() - 1;
  for (let tries = 0; tries < 500; tries++) {
    const port = high - Math.floor(Math.random() * 10_000);
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    if (await canListen(port)) return port;
  }
  throw new Error(`freePort: no free port below ${high + 1} after 500 tries`);
}

export interface TestCluster {
  url: string;
  stop(): Promise<void>;
}

export interface TestClusterOptions {
  /** Default off (tests do not need durability); the bench measures checkpoints with it on. */
  fsync?: boolean;
  /** Default 200; the bench's fifty-box figure uses Postgres's own default, 100. */
  maxConnections?: number;
}

/** initdb + postgres as the `postgres` OS user when root (initdb refuses root). */
export async function startTestCluster({
  fsync = false,
  maxConnections = 200,
}: TestClusterOptions = {}): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'gigi-boot-pg-'));
  chmodSync(dir, 0o777);
  const dataDir = join(dir, 'data');
  const port = await freePort();
  const [initCmd, initArgs] = asPostgres('initdb', initdbArgs(dataDir));
  execFileSync(initCmd, initArgs, { stdio: 'ignore' });
  const [cmd, args] = asPostgres('postgres', [
    '-D',
    dataDir,
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    `fsync=${fsync ? 'on' : 'off'}`,
    '-c',
    `max_connections=${maxConnections}`,
  ]);
  const child = spawn(cmd, args, { stdio: 'ignore', detached: false });
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  await waitFor(
    `test Postgres to start on port ${port}`,
    async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.end();
      return true;
    },
    { timeout: 30_000 },
  );
  return {
    url,
    stop: async () => {
      child.kill('SIGINT');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Why: a test reads the store's tables as an operator would, one short session per query. */
export async function queryRows<R extends pg.QueryResultRow>(
  databaseUrl: string,
  sql: string,
  params: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** A fresh database on the test server, so test files never see each other's rows. */
export async function createTestDatabase(serverUrl: string, prefix = 't'): Promise<string> {
  const name = `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export interface RestartableCluster {
  /** Superuser URL of the cluster's `postgres` database. */
  url: string;
  /** The cluster's server log (what pg_ctl writes), for a failing test's message. */
  logFile: string;
  /** `pg_ctl restart -m MODE -w`: every session is cut, the server is back when this resolves. */
  restart(mode?: 'fast' | 'immediate'): Promise<void>;
  /** `pg_ctl stop -m fast -w`: the server is gone until start(). */
  pgStop(): Promise<void>;
  /** `pg_ctl start -w` after pgStop(). */
  pgStart(): Promise<void>;
  /** Stop the server and remove its files. */
  stop(): Promise<void>;
}

/**
 * Why: a test that restarts Postgres under a boot needs a cluster of its own (the shared test
 * server serves every other suite) managed by pg_ctl, which restarts it the way an operator does.
 */
export async function startRestartableCluster(): Promise<RestartableCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'gigi-boot-pgctl-'));
  chmodSync(dir, 0o777);
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const port = await freePort();
  const run = (cmd: string, args: string[]): Promise<void> =>
    new Promise((resolve, reject) => {
      const [file, argv] = asPostgres(cmd, args);
      const child = spawn(file, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('error', reject);
      child.once('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr}`)),
      );
    });
  await run('initdb', initdbArgs(dataDir));
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`;
  const pgStart = () =>
    run('pg_ctl', ['start', '-w', '-t', '60', '-D', dataDir, '-l', logFile, '-o', options]);
  await pgStart();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    logFile,
    restart: (mode = 'fast') =>
      run('pg_ctl', ['restart', '-w', '-t', '60', '-m', mode, '-D', dataDir, '-l', logFile, '-o', options]),
    pgStop: () => run('pg_ctl', ['stop', '-w', '-t', '60', '-m', 'fast', '-D', dataDir]),
    pgStart,
    stop: async () => {
      await run('pg_ctl', ['stop', '-w', '-t', '60', '-m', 'immediate', '-D', dataDir]).catch(
        () => undefined,
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
