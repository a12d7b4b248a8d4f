// Helpers of the suites that check AIO containers from outside (test/aio/container.test.ts,
// test/aio/swarm.test.ts): polling with a diagnostic, and supervisord's view of the programs.
import { execa } from 'execa';

/** Polls `probe` each second until it returns a value; on timeout, throws with `diag`'s tail. */
export async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
  diag?: () => Promise<string>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what} (${String(last)})\n${diag ? (await diag()).slice(-3000) : ''}`,
  );
}

/** `supervisorctl status` inside the container, typed as an operator would (no -c), as {program: state}. */
export async function programStates(container: string): Promise<Record<string, string>> {
  const result = await execa('docker', ['exec', container, 'supervisorctl', 'status']).catch(
    (error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }),
  );
  return Object.fromEntries(
    result.stdout
      .split('\n')
      .filter((l) => /^\S+\s+[A-Z]+/.test(l))
      .map((l) => l.trim().split(/\s+/).slice(0, 2) as [string, string]),
  );
}
