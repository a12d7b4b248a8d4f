// Wraps each step actor so every attempt leaves one journal row (start, finish, duration,
// outcome, redacted error). Rows wait here until the next checkpoint writes them in the same
// transaction as the state they led to.
import { fromPromise } from 'xstate';
import { activeSteps, type BootStep, type StepInput, type StepOutput } from '../../machines/boot.ts';
import { isBootError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { Redactor } from '../log/redactor.ts';
import type { JournalEntry } from '../store/types.ts';

export type StepImplementation = (input: StepInput, signal: AbortSignal) => Promise<StepOutput>;

/** A JSON-safe, secret-free copy of an error that keeps what the machine decides on. */
export function redactError(
  error: unknown,
  redactor: Redactor,
): Error & { transient: boolean; hint?: string; domain?: string } {
  const source = error instanceof Error ? error : new Error(String(error));
  const copy = new Error(redactor.redact(source.message)) as Error & {
    transient: boolean;
    hint?: string;
    domain?: string;
  };
  copy.name = source.name;
  copy.transient = isBootError(error) ? error.transient : false;
  if (isBootError(error)) {
    if (error.hint) copy.hint = redactor.redact(error.hint);
    copy.domain = error.domain;
  }
  return copy;
}

export class JournalRecorder {
  #pending: JournalEntry[] = [];
  readonly #bump = new Set<BootStep>();

  constructor(
    private readonly runId: () => string,
    private readonly redactor: Redactor,
    private readonly logger: Logger,
  ) {}

  #push(entry: Omit<JournalEntry, 'runId'>): void {
    this.#pending.push({
      ...entry,
      runId: this.runId(),
      error: entry.error === null ? null : this.redactor.redact(entry.error),
    });
  }

  /**
   * Why: one place for the 'interrupted' rows — of the last boot's steps when it is resumed, of
   * this boot's when a signal stops it: each step that was running in `persisted` (a persisted
   * snapshot; a step in backoff was not) gets one. `rerun`: the step runs again here, as a
   * new attempt.
   */
  journalInterrupted(
    persisted: unknown,
    row: { startedAt: Date; finishedAt: Date; error: string; rerun: boolean },
  ): void {
    const { value, children } = (persisted ?? {}) as {
      value?: unknown;
      children?: Record<string, { snapshot?: { input?: StepInput } }>;
    };
    for (const step of activeSteps(value)) {
      const input = children?.[step]?.snapshot?.input;
      if (!input) continue; // in backoff, not running
      if (row.rerun) this.#bump.add(step);
      this.#push({
        step,
        attempt: input.attempt,
        startedAt: row.startedAt,
        finishedAt: row.finishedAt,
        durationMs: row.finishedAt.getTime() - row.startedAt.getTime(),
        outcome: 'interrupted',
        error: row.error,
        detail: null,
      });
    }
  }

  /** Rows finished since the last checkpoint; the caller writes them. */
  take(): JournalEntry[] {
    const rows = this.#pending;
    this.#pending = [];
    return rows;
  }

  /** One row for an attempt that ended (done, skipped or failed); returns its duration. */
  #journalAttempt(
    step: BootStep,
    attempt: number,
    startedAt: Date,
    row: Pick<JournalEntry, 'outcome' | 'error' | 'detail'>,
  ): number {
    const finishedAt = new Date();
    const durationMs = finishedAt.getTime() - startedAt.getTime();
    this.#push({ step, attempt, startedAt, finishedAt, durationMs, ...row });
    return durationMs;
  }

  /** Wrap a step implementation as a promise actor that journals each attempt. */
  instrument(step: BootStep, implementation: StepImplementation) {
    return fromPromise<StepOutput, StepInput>(async ({ input, signal }) => {
      const attempt = input.attempt + (this.#bump.has(step) ? 1 : 0);
      const startedAt = new Date();
      this.logger.info({ event: 'step.start', step, attempt }, `${step}: attempt ${attempt}`);
      try {
        const output = await implementation(input, signal);
        const durationMs = this.#journalAttempt(step, attempt, startedAt, {
          outcome: output.outcome === 'skipped' ? 'skipped' : 'ok',
          error: output.degraded ?? null,
          detail: {
            outcome: output.outcome ?? 'done',
            ...(output.degraded ? { degraded: true } : {}),
            ...output.detail,
          },
        });
        this.logger.info(
          { event: 'step.done', step, attempt, durationMs, outcome: output.outcome ?? 'done' },
          `${step}: ${output.outcome ?? 'done'} in ${durationMs} ms`,
        );
        return output;
      } catch (error) {
        const safe = redactError(error, this.redactor);
        if (signal.aborted) throw safe; // interrupted: the runner journals it as such
        const durationMs = this.#journalAttempt(step, attempt, startedAt, {
          outcome: 'error',
          error: safe.message,
          detail: errorDetail(error, safe, this.redactor),
        });
        // The log's own words (Gitea's last lines) belong on the console, not just in a file.
        const tail = outputTailOf(error, this.redactor);
        this.logger.warn(
          {
            event: 'step.error',
            step,
            attempt,
            durationMs,
            transient: safe.transient,
            err: safe,
            ...(tail ? { outputTail: tail } : {}),
          },
          `${step}: ${safe.message}${tail ? `\n  ${tail.join('\n  ')}` : ''}`,
        );
        throw safe;
      }
    });
  }
}

/** Journal detail of a failed attempt: the hint, and a build's last output lines (redacted). */
function errorDetail(
  error: unknown,
  safe: { hint?: string },
  redactor: Redactor,
): Record<string, unknown> | null {
  const detail: Record<string, unknown> = {};
  if (safe.hint) detail.hint = safe.hint;
  const tail = outputTailOf(error, redactor);
  if (tail) detail.outputTail = tail;
  return Object.keys(detail).length > 0 ? detail : null;
}

/** An error's output tail as redacted lines: a build's (lines) or a Gitea process's (one string). */
function outputTailOf(error: unknown, redactor: Redactor): string[] | undefined {
  const tail = (error as { outputTail?: unknown } | null)?.outputTail;
  const lines =
    typeof tail === 'string'
      ? tail.split('\n').filter((l) => l.trim() !== '')
      : Array.isArray(tail)
        ? tail
        : [];
  return lines.length > 0 ? (redactor.redactDeep(lines) as string[]) : undefined;
}
