// The one way a test waits for something to become true. Assertions on a value use vitest's
// `expect.poll`; this is for waits that hand a value back (a URL, a response, a pid) and for code
// that runs outside vitest too (the bench and the simulator's harness import these helpers), so
// it does not import vitest.

export interface WaitOptions {
  /** Give up after this long. */
  timeout: number;
  /** Pause between probes (default 100 ms). */
  interval?: number;
  /** Text added to the timeout error (a log tail, the last output); only its last 3000 characters. */
  diagnostics?: () => string | Promise<string>;
}

/** What a probe returns while the condition does not hold yet. */
type NotYet = undefined | null | false;

/**
 * Why: one bounded polling loop for the suites instead of a hand-written deadline loop in each.
 * Calls `probe` until it returns a value other than undefined/null/false (a throw counts as "not
 * yet" and is remembered), and returns that value; past `timeout` it throws an error that names
 * `what`, the last probe failure and the diagnostics.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | NotYet | Promise<T | NotYet>,
  { timeout, interval = 100, diagnostics }: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + timeout;
  let last: unknown = 'no probe answered yet';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
  const tail = diagnostics ? `\n${(await diagnostics()).slice(-3000)}` : '';
  throw new Error(`timed out after ${timeout} ms waiting for ${what} (last: ${String(last)})${tail}`);
}
