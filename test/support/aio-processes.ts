// Process helpers for the AIO suites: wait for an HTTP endpoint, stop a detached process group,
// start gigi-boot's real hand-off and read supervisord's view of its programs.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './boot-process.ts';
import { waitFor } from './wait.ts';

/** Poll `url` until it answers 2xx; on timeout the error carries `diagnostics()` (a log tail). */
export function waitForHttp(
  url: string,
  timeoutMs: number,
  diagnostics: () => string = () => '',
): Promise<Response> {
  return waitFor(
    `${url} to answer 2xx`,
    async () => {
      const res = await fetch(url, { signal: AbortSignal.timeout(3_000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return res;
    },
    { timeout: timeoutMs, interval: 250, diagnostics },
  );
}

/** TERM the child's process group (it was spawned detached), KILL it after `graceMs`. */
export async function stopProcessGroup(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, s);
    } catch {
      /* already gone */
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export const exec = promisify(execFile);

/**
 * Why: the suites run gigi-boot's real hand-off (test/support/aio-hand-off.ts) as a container's
 * entrypoint would be, with `env` as its whole environment and its output appended to `outFile`
 * (a file, as Docker gives a container: supervisord cannot reopen Node's socket stdio as /dev/stderr).
 */
export function spawnHandOff(env: NodeJS.ProcessEnv, outFile: string): ChildProcess {
  const out = openSync(outFile, 'a');
  try {
    return spawn(
      process.execPath,
      ['--import', 'tsx', join(REPO_ROOT, 'test', 'support', 'aio-hand-off.ts')],
      {
        cwd: REPO_ROOT,
        env,
        stdio: ['ignore', out, out],
      },
    );
  } finally {
    closeSync(out);
  }
}

/** `supervisorctl -c conf status` as {name: state}; supervisorctl exits non-zero when one is not RUNNING. */
export async function supervisorStates(conf: string): Promise<Record<string, string>> {
  const result = await exec('supervisorctl', ['-c', conf, 'status']).catch((error: { stdout?: string }) => ({
    stdout: error.stdout ?? '',
  }));
  return Object.fromEntries(
    result.stdout
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => l.trim().split(/\s+/).slice(0, 2) as [string, string]),
  );
}
