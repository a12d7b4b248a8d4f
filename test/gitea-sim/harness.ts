// Start/stop helpers for the Gitea simulator (or a real Gitea when GITEA_BIN is set), shared
// by the simulator's own tests and other engineers' integration tests.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FaultsConfig } from './faults.ts';
import type { DbState } from './state-store.ts';
import { waitFor } from '../support/wait.ts';

/** Absolute path of the simulated `gitea` executable. */
export const SIM_BIN = fileURLToPath(new URL('./bin/gitea', import.meta.url));

/** The OS user Gitea runs as in tests when we are root. */
export const GITEA_OS_USER = 'gigi';

/** The binary the helpers start: $GITEA_BIN (a real Gitea) or the simulator. */
export function giteaBin(): string {
  return process.env.GITEA_BIN || SIM_BIN;
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

function osUser(name: string): { uid: number; gid: number; home: string } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  if (!line)
    throw new Error(
      `OS user '${name}' does not exist: run the tests through vitest (global setup creates it)`,
    );
  const f = line.split(':');
  return { uid: Number(f[2]), gid: Number(f[3]), home: f[5]! };
}

/** Give a test directory (recursively) to the Gitea OS user so it can write there. */
export function chownToGiteaUser(path: string): void {
  if (!isRoot()) return;
  const { uid, gid } = osUser(GITEA_OS_USER);
  const walk = (p: string): void => {
    chownSync(p, uid, gid);
    if (statSync(p).isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
  };
  walk(path);
}

interface Launch {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

/** argv and env to run `bin args` as the Gitea user (setpriv when root). */
export function launchAs(
  args: string[],
  env: Record<string, string | undefined> = {},
  asRoot = false,
): Launch {
  const bin = giteaBin();
  const base: NodeJS.ProcessEnv = { PATH: process.env.PATH, LANG: 'C.UTF-8' };
  if (isRoot() && !asRoot) {
    const u = osUser(GITEA_OS_USER);
    return {
      command: 'setpriv',
      args: [`--reuid=${GITEA_OS_USER}`, `--regid=${GITEA_OS_USER}`, '--init-groups', '--', bin, ...args],
      env: { ...base, HOME: u.home, USER: GITEA_OS_USER, ...env },
    };
  }
  return { command: bin, args, env: { ...base, HOME: process.env.HOME, USER: userInfo().username, ...env } };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  configPath?: string; // passed as a leading `--config`
  env?: Record<string, string | undefined>;
  cwd?: string;
  asRoot?: boolean; // run without dropping privileges (to test the root refusal)
  timeoutMs?: number;
}

/** Run `gitea [--config X] args...` as the Gitea user and collect its output. */
export function runGiteaCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const full = opts.configPath ? ['--config', opts.configPath, ...args] : args;
  // the faults file startSimulator keeps next to app.ini also arms the CLI's cliFaults
  const faults = opts.configPath ? { GITEA_SIM_FAULTS: join(dirname(opts.configPath), 'faults.json') } : {};
  const { command, args: argv, env } = launchAs(full, { ...faults, ...opts.env }, opts.asRoot);
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { env, cwd: opts.cwd ?? '/', stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Make an account the way an operator does, with Gitea's own CLI (`admin user create`, a
 * generated 24-character password, no forced change); returns that password. `args` names the
 * account (`--username`, `--email`, maybe `--admin`). Throws with the CLI's output on failure.
 */
export async function createGiteaUser(configPath: string, args: string[]): Promise<string> {
  const result = await runGiteaCli(
    [
      'admin',
      'user',
      'create',
      ...args,
      '--random-password',
      '--random-password-length',
      '24',
      '--must-change-password=false',
    ],
    { configPath },
  );
  const password = /generated random password is '(.*)'/.exec(result.stdout)?.[1];
  if (result.code !== 0 || !password)
    throw new Error(
      `gitea admin user create ${args.join(' ')} failed (${result.code}):\n${result.stdout}${result.stderr}`,
    );
  return password;
}

export interface SimulatorOptions {
  dir: string; // work dir; app.ini, data and faults live here
  port: number;
  faults?: FaultsConfig;
  appIni?: string; // full app.ini text instead of the default one
  extraIni?: string; // appended to the default app.ini
  env?: Record<string, string | undefined>;
  waitReady?: boolean; // default true: resolve once /api/v1/version answers 200
  readyTimeoutMs?: number;
  args?: string[]; // extra `web` flags
}

export interface RunningSimulator {
  url: string; // http://127.0.0.1:<port>
  port: number;
  dir: string;
  configPath: string;
  statePath: string; // the simulator's JSON database ([database] PATH)
  faultsPath: string;
  pid: number;
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string; // stdout + stderr so far
  setFaults(faults: FaultsConfig): void;
  readState(): DbState; // simulator only
  waitReady(timeoutMs?: number): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** The default app.ini for tests: INSTALL_LOCK, sqlite under dir, loopback HTTP on port. */
export function defaultAppIni(dir: string, port: number): string {
  return [
    'APP_NAME = Gitea sim',
    `RUN_USER = ${isRoot() ? GITEA_OS_USER : userInfo().username}`,
    `WORK_PATH = ${dir}`,
    '',
    '[server]',
    'HTTP_ADDR = 127.0.0.1',
    `HTTP_PORT = ${port}`,
    `ROOT_URL = http://127.0.0.1:${port}/`,
    `APP_DATA_PATH = ${join(dir, 'data')}`,
    'DISABLE_SSH = true',
    '',
    '[database]',
    'DB_TYPE = sqlite3',
    `PATH = ${join(dir, 'data', 'gitea.db')}`,
    '',
    '[security]',
    'INSTALL_LOCK = true',
    'SECRET_KEY = gitea-sim-test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz',
    '',
    '[webhook]',
    'ALLOWED_HOST_LIST = *',
    '',
    '[log]',
    'MODE = console',
    'LEVEL = info',
    '',
  ].join('\n');
}

/** Why: the simulator is up when its API answers; a simulator that exited will never answer. */
async function pollVersion(url: string, timeoutMs: number, exited: () => boolean, output: () => string) {
  const answered = await waitFor(
    `gitea to answer ${url}/api/v1/version`,
    async () => {
      if (exited()) return 'exited';
      const res = await fetch(`${url}/api/v1/version`);
      await res.arrayBuffer();
      return res.status === 200 && 'answered';
    },
    { timeout: timeoutMs, interval: 50, diagnostics: () => `output:\n${output()}` },
  );
  if (answered === 'exited')
    throw new Error(`gitea exited before answering ${url}/api/v1/version; output:\n${output()}`);
}

/** Start `gitea web` in dir on port as the Gitea user; waits until the API answers. */
export async function startSimulator(opts: SimulatorOptions): Promise<RunningSimulator> {
  const { dir, port } = opts;
  mkdirSync(dir, { recursive: true });
  const configPath = join(dir, 'app.ini');
  if (!existsSync(configPath) || opts.appIni !== undefined || opts.extraIni !== undefined) {
    if (!existsSync(configPath) || opts.appIni !== undefined)
      writeFileSync(configPath, opts.appIni ?? defaultAppIni(dir, port) + (opts.extraIni ?? ''));
  }
  const faultsPath = join(dir, 'faults.json');
  if (opts.faults) writeFileSync(faultsPath, JSON.stringify(opts.faults));
  if (existsSync(faultsPath)) chmodSync(faultsPath, 0o644);
  chownToGiteaUser(dir);

  const { command, args, env } = launchAs(['web', '--config', configPath, ...(opts.args ?? [])], {
    GITEA_WORK_DIR: dir,
    GITEA_SIM_FAULTS: faultsPath,
    ...opts.env,
  });
  const child = spawn(command, args, { env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      resolve({ code, signal });
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const sim: RunningSimulator = {
    url,
    port,
    dir,
    configPath,
    statePath: join(dir, 'data', 'gitea.db'),
    faultsPath,
    pid: child.pid ?? -1,
    child,
    exited,
    output: () => out,
    setFaults(faults) {
      writeFileSync(faultsPath, JSON.stringify(faults));
      chmodSync(faultsPath, 0o644);
    },
    readState() {
      return JSON.parse(readFileSync(sim.statePath, 'utf8')) as DbState;
    },
    waitReady: (timeoutMs = 30_000) =>
      pollVersion(
        url,
        timeoutMs,
        () => done,
        () => out,
      ),
    async stop(signal = 'SIGTERM') {
      if (!done) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const { code } = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  if (opts.waitReady !== false) {
    try {
      await sim.waitReady(opts.readyTimeoutMs);
    } catch (error) {
      await sim.stop('SIGKILL');
      throw error;
    }
  }
  return sim;
}

/** Why: long tables of Gitea's answers are data, kept beside the tests in test/gitea-sim/fixtures. */
export function readCases<T>(name: string): T[] {
  return JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8')) as T[];
}

/** Why: most simulator tests create an account first: `admin user create` for it, then `flags`. */
export function createUserArgs(username: string, email: string, ...flags: string[]): string[] {
  return ['admin', 'user', 'create', '--username', username, '--email', email, ...flags];
}
