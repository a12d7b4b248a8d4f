// Wall time of a child process from spawn to exit, measured the same way for the baseline
// (`node -e 0`) and for gigi-boot, so their ratio compares like with like.
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { REPO_ROOT } from '../support/boot-process.ts';
import { BenchFailure } from './failure.ts';

const running = new Set<ChildProcess>();

/** Why: on SIGTERM/SIGINT the bench stops what it started (gigi-boot then stops its Gitea). */
export function terminateRunningChildren(): void {
  for (const child of running) child.kill('SIGTERM');
}

export interface TimedResult {
  wallMs: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Why: run one process to the end and time it, keeping its output for checks afterwards. */
export function timeProcess(file: string, args: string[], env: Record<string, string>): Promise<TimedResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, args, { env, cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', (error) => {
      running.delete(child);
      reject(error);
    });
    child.once('close', (code, signal) => {
      const wallMs = performance.now() - started;
      running.delete(child);
      resolve({ wallMs, code, signal, stdout, stderr });
    });
  });
}

/** The baseline: the cheapest possible Node process, started the same way gigi-boot is. */
export async function timeNodeBaseline(env: Record<string, string>): Promise<TimedResult> {
  const result = await timeProcess(process.execPath, ['-e', '0'], env);
  if (result.code !== 0) {
    throw new BenchFailure(
      `baseline \`${process.execPath} -e 0\` failed (exit ${result.code}): ${result.stderr}`,
    );
  }
  return result;
}
