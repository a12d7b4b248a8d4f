// Process helpers for the AIO suites: wait for an HTTP endpoint, stop a detached process group.
import type { ChildProcess } from 'node:child_process';

/** Poll `url` until it answers 2xx; on timeout the error carries `diagnostics()` (a log tail). */
export async function waitForHttp(
  url: string,
  timeoutMs: number,
  diagnostics: () => string = () => '',
): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(3_000) });
      if (res.ok) return res;
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = String(error);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `${url} did not answer within ${timeoutMs} ms (last: ${last})\n${diagnostics().slice(-2000)}`,
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
