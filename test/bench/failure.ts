// A bench that could not measure what it claims (a boot failed, took the wrong path, a setting
// is invalid) stops with one of these, and the process exits non-zero: a broken bench must
// never look green.

export class BenchFailure extends Error {
  override name = 'BenchFailure';
  /** Exit code of the bench process: 2 for bad settings, 1 for everything else. */
  readonly exitCode: number;

  constructor(message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.exitCode = options.exitCode ?? 1;
  }
}

/** The last lines of a child's output, for a failure message. */
export function tail(text: string, lines = 15): string {
  const all = text.trimEnd().split('\n');
  return all.slice(-lines).join('\n');
}
