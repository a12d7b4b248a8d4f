// Pure decisions and types of the boot machine: testable without running the machine.
// Nothing here touches the world; nothing here holds a secret (context and invoke input are
// persisted verbatim in every checkpoint).

/** Every step of a boot, in the order a first boot of an internal-Gitea box runs them. */
export const BOOT_STEPS = [
  'detectModes',
  'prepareSecrets',
  'writeAppIni',
  'startGitea',
  'awaitApi',
  'checkExternalGitea',
  'createUsers',
  'createTokens',
  'createOrg',
  'addOwner',
  'registerWebhook',
  'persistConfig',
  'buildRunnerWorker',
  'stopGitea',
  'handOff',
] as const;

export type BootStep = (typeof BOOT_STEPS)[number];

export function isBootStep(value: unknown): value is BootStep {
  return typeof value === 'string' && (BOOT_STEPS as readonly string[]).includes(value);
}

/** Which services run inside the container. */
export interface Modes {
  /** internal: gigi-boot starts and supervises Gitea; external: GITEA_URL points elsewhere. */
  gitea: 'internal' | 'external';
  /** internal: the Chromium/Xvfb/noVNC/CDP-relay stack runs inside; external: CHROME_CDP_URL is set. */
  chrome: 'internal' | 'external';
  /** A Docker socket is present, so the runner-worker image can be built. */
  docker: boolean;
}

/** How a step retries a transient fault; BootConfig.retry (src/config) is this type. */
export interface RetryPolicy {
  /** Attempts per step for transient faults, first attempt included (GIGI_BOOT_STEP_ATTEMPTS). */
  maxAttempts: number;
  /** First backoff delay; doubles each attempt (GIGI_BOOT_RETRY_BASE_DELAY). */
  baseDelayMs: number;
  /** Backoff ceiling (GIGI_BOOT_RETRY_MAX_DELAY). */
  maxDelayMs: number;
}

export interface BootInput {
  retry: RetryPolicy;
}

export interface FailureInfo {
  step: BootStep;
  message: string;
  hint: string | null;
  domain: string | null;
}

/**
 * What a run does: everything (a first boot, a resume, a replay), or only the runner-worker image
 * of a box whose Gitea is already set up (the last run was degraded by the build alone, or the
 * image's build context changed).
 */
export type BootScope = 'all' | 'runner';

export interface BootContext {
  retry: RetryPolicy;
  modes: Modes | null;
  scope: BootScope;
  /** Attempts per step so far (persisted, so retries stay bounded across restarts). */
  attempts: Partial<Record<BootStep, number>>;
  completed: BootStep[];
  /** What each finished step did: 'created', 'existed', 'skipped', … */
  outcomes: Partial<Record<BootStep, string>>;
  /** Reasons the boot completed in a degraded state (non-fatal steps that failed). */
  degraded: string[];
  /** The last transient error that caused a retry. */
  lastError: FailureInfo | null;
  failure: FailureInfo | null;
}

export interface StepInput {
  step: BootStep;
  attempt: number;
  modes: Modes | null;
}

export interface StepOutput {
  /** Set by detectModes only. */
  modes?: Modes;
  /** Set by detectModes only: 'runner' skips every Gitea step (the plan decided so). */
  scope?: BootScope;
  /** A short word for the journal and inspect: 'created', 'existed', 'skipped', … */
  outcome?: string;
  /** Set by a non-fatal step that could not do its job: the boot completes as degraded. */
  degraded?: string;
  /** Small, secret-free facts for the journal (image id, duration, …); not kept in context. */
  detail?: Record<string, unknown>;
}

export interface SleepInput {
  /** Absolute epoch ms, so a restored timer keeps its original deadline. */
  deadline: number;
}

export type BootOutcomeStatus = 'completed' | 'degraded' | 'failed';

export interface BootOutput {
  status: BootOutcomeStatus;
  failure: FailureInfo | null;
  degraded: string[];
}

/** A transient error may be retried while attempts remain. */
export function isRetryable(error: unknown, attemptsSoFar: number, retry: RetryPolicy): boolean {
  const transient =
    typeof error === 'object' && error !== null && (error as { transient?: unknown }).transient === true;
  return transient && attemptsSoFar < retry.maxAttempts;
}

/** Exponential backoff: base, 2×base, 4×base … capped. */
export function backoffDelayMs(attemptsSoFar: number, retry: RetryPolicy): number {
  const exponent = Math.max(0, attemptsSoFar - 1);
  return Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** exponent);
}

/** JSON-safe failure record (an Error becomes `{}` in JSON; keep its message and hint). */
export function describeFailure(step: BootStep, error: unknown): FailureInfo {
  if (typeof error === 'object' && error !== null) {
    const e = error as { message?: unknown; hint?: unknown; domain?: unknown };
    return {
      step,
      message: typeof e.message === 'string' ? e.message : 'unknown error (no message)',
      hint: typeof e.hint === 'string' ? e.hint : null,
      domain: typeof e.domain === 'string' ? e.domain : null,
    };
  }
  return { step, message: String(error), hint: null, domain: null };
}

/** The steps a persisted state value is in: one, or two while both provision regions run. */
export function activeSteps(value: unknown): BootStep[] {
  const out: BootStep[] = [];
  const walk = (v: unknown) => {
    if (typeof v !== 'object' || v === null) return;
    for (const [key, child] of Object.entries(v)) {
      if (isBootStep(key)) out.push(key);
      else walk(child);
    }
  };
  walk(value);
  return out;
}

/** Where a persisted state value stands: 'done', 'failed', or the active steps joined by '+'. */
export function describeStateValue(value: unknown): string | null {
  if (value === 'done' || value === 'failed') return value;
  const steps = activeSteps(value);
  return steps.length > 0 ? steps.join('+') : null;
}

/**
 * Has the Gitea region ended, hand-off included? Then supervisord may start while the runner
 * region still builds. Pure: the driver asks it of every snapshot's value.
 */
export function isReadyToHandOff(value: unknown): boolean {
  if (value === 'done') return true;
  const provision = (value as { provision?: { gitea?: unknown } } | null)?.provision;
  return provision?.gitea === 'ready';
}

/** The step a persisted state value is in (the Gitea region's, while provisioning). */
export function stepOfStateValue(value: unknown): BootStep | 'done' | 'failed' | null {
  if (value === 'done' || value === 'failed') return value;
  return activeSteps(value)[0] ?? null;
}
