// One step's attempts in a run, summed: what inspect shows per step and the critical path walks.
// Its own module so gather.ts and critical-path.ts share it without importing each other.
export interface StepSummary {
  step: string;
  attempts: number;
  firstStartedAt: string;
  lastFinishedAt: string;
  /** Sum of the attempts' durations. */
  durationMs: number;
  /** The last attempt's outcome: ok, error, interrupted or skipped. */
  outcome: string;
  lastError: string | null;
}
