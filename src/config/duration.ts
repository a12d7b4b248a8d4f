// Durations in the environment: `500ms`, `30s`, `2m`, `1h`, or a bare number of milliseconds.

/** Largest delay Node's timers honour (2^31-1 ms, ~24.8 days); longer ones fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;

// Why: deadlines and retry delays are written by people (`30s`), but timers need whole ms.
// Returns the number of milliseconds, or undefined when the text is not a duration.
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match) return undefined;
  const unit = (match[2] ?? 'ms') as keyof typeof UNIT_MS;
  const ms = Number(match[1]) * UNIT_MS[unit];
  if (!Number.isFinite(ms) || !Number.isInteger(ms)) return undefined;
  return ms;
}
