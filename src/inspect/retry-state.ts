// Live retry state, read from the run's last checkpoint: every state change is checkpointed,
// so while a step waits to run again after a transient error the stored snapshot holds it — the
// state value is `{ <step>: 'backoff' }`, the machine's context counts the attempts and keeps
// the last transient error, and the back-off timer's actor input holds its absolute deadline.
import { isBootStep, type FailureInfo, type RetryPolicy } from '../../machines/boot.ts';
import type { JournalEntry, RunRecord } from '../store/types.ts';

export interface RetryState {
  step: string;
  /** 'waiting': backing off before the next attempt; 'running': a second or later attempt runs. */
  phase: 'waiting' | 'running';
  /** The attempt that failed last ('waiting') or the one running now ('running'). */
  attempt: number;
  /** Attempts allowed for a transient error (GIGI_BOOT_STEP_ATTEMPTS), first included. */
  maxAttempts: number | null;
  /** The last transient error of this step (redacted), when recorded. */
  lastError: string | null;
  /** When the next attempt is due (ISO), while waiting. */
  nextAttemptAt: string | null;
}

interface StoredXState {
  context?: {
    attempts?: Record<string, number>;
    lastError?: FailureInfo | null;
    retry?: Partial<RetryPolicy>;
  };
  children?: Record<string, { snapshot?: { input?: { deadline?: unknown } } }>;
}

/** The steps in the state value, with their sub-state ('run' or 'backoff'). */
function stepStates(value: unknown, out: Array<[string, string]> = []): Array<[string, string]> {
  if (typeof value !== 'object' || value === null) return out;
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    if (isBootStep(key) && typeof child === 'string') out.push([key, child]);
    else stepStates(child, out);
  }
  return out;
}

/** Why: an operator looks first at the pending attempt and its last error (not only at failures). */
export function retryStatesOf(run: RunRecord, journal: readonly JournalEntry[]): RetryState[] {
  if (run.status !== 'running') return [];
  const xstate = (run.snapshot as { xstate?: StoredXState } | null)?.xstate;
  const context = xstate?.context;
  const out: RetryState[] = [];
  for (const [step, sub] of stepStates(run.stateValue)) {
    const attempts = context?.attempts?.[step] ?? 0;
    const waiting = sub === 'backoff';
    if (!waiting && attempts < 2) continue;
    const lastRow = [...journal].reverse().find((r) => r.step === step && r.outcome === 'error');
    const fromContext = context?.lastError?.step === step ? context.lastError.message : null;
    const deadline = xstate?.children?.[`${step}.backoff`]?.snapshot?.input?.deadline;
    out.push({
      step,
      phase: waiting ? 'waiting' : 'running',
      attempt: attempts,
      maxAttempts: context?.retry?.maxAttempts ?? null,
      lastError: lastRow?.error ?? fromContext,
      nextAttemptAt: waiting && typeof deadline === 'number' ? new Date(deadline).toISOString() : null,
    });
  }
  return out;
}
