// Runs the real `gigi-boot` CLI as a child process, the way the container entrypoint does, so
// tests can kill it for real and read what it printed.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './postgres.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(REPO_ROOT, 'bin', 'gigi-boot.js');
export const SIMULATOR_BIN = join(REPO_ROOT, 'test', 'gitea-sim', 'bin', 'gitea');

/** The Gitea binary the integration suites run against: a real one via GITEA_BIN, else the simulator. */
export function giteaBinForTests(): string {
  return process.env.GITEA_BIN ?? SIMULATOR_BIN;
}

export interface BootEnvOptions {
  databaseUrl?: string;
  extra?: Record<string, string>;
}

/** A fresh data dir (readable by the unprivileged Gitea user) and the env for one volume. */
export async function bootEnv({ databaseUrl, extra = {} }: BootEnvOptions = {}): Promise<
  Record<string, string>
> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gigi-boot-test-'));
  chmodSync(dataDir, 0o755);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    GIGI_DATA_DIR: dataDir,
    GITEA_BIN: giteaBinForTests(),
    GITEA_HTTP_PORT: String(await freePort()),
    GIGI_BOOT_GITEA_USER: 'gigi',
    GIGI_BOOT_RETRY_BASE_DELAY: '100ms',
    GIGI_BOOT_RETRY_MAX_DELAY: '500ms',
    // Most suites are about Gitea: keep them off the Docker engine (the runner-worker suite
    // points these at the real one).
    GIGI_BOOT_DOCKER_SOCKET: '/nonexistent/docker.sock',
    GIGI_BOOT_DOCKER_SOCKET_WAIT: '0',
    ...extra,
  };
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  return env;
}

/**
 * The env for one volume booting against an external Gitea as `adminUser` (default `ops-admin`):
 * no GITEA_HTTP_PORT, since gigi-boot starts no Gitea of its own then.
 */
export async function externalGiteaEnv({
  databaseUrl,
  giteaUrl,
  adminPassword,
  adminUser = 'ops-admin',
  extra = {},
}: {
  databaseUrl: string;
  giteaUrl: string;
  adminPassword: string;
  adminUser?: string;
  extra?: Record<string, string>;
}): Promise<Record<string, string>> {
  const env = await bootEnv({
    databaseUrl,
    extra: { GITEA_URL: giteaUrl, ADMIN_USER: adminUser, ADMIN_PASSWORD: adminPassword, ...extra },
  });
  delete env.GITEA_HTTP_PORT;
  return env;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Start the CLI; the caller decides when (and how) it ends. */
export function startCli(
  args: string[],
  env: Record<string, string>,
): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [CLI, ...args], {
    env,
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolveDone) => {
    child.once('close', (code, signal) => resolveDone({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

/** Run the CLI to the end. */
export function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return startCli(args, env).done;
}

/**
 * Processes whose command line names this directory (a temporary Gitea, a gitea CLI, gigi-boot
 * itself): after a boot ends, none may be left on its data dir.
 */
export function processesUsing(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(dir)) found.push(`${pid}: ${cmd}`);
    } catch {
      /* exited meanwhile */
    }
  }
  return found;
}
