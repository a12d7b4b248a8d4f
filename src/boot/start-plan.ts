// Read, then decide, how this boot starts: the volume's latest run and the plan for it (fresh,
// resume, warm, runner only). Kept apart from run-boot.ts, which loads XState and the machine:
// a warm start — every restart of a booted box — decides here and loads neither.
import type { Logger } from '../log/logger.ts';
import type { ConfigRow, RunRecord, Store } from '../store/types.ts';
import { REQUIRED_CONFIG_KEYS } from './config-keys.ts';
import { planStart, type StartPlan } from './plan.ts';

export interface StartDecision {
  /** The volume's latest run, as read (the plan may supersede it). */
  latest: RunRecord | null;
  plan: StartPlan;
}

export interface DecideStartOptions {
  store: Store;
  volumeId: string;
  /** The boot machine's fingerprint (bootFingerprint()). */
  fingerprint: string;
  configDigest: string;
  runnerDigest: string;
  runnerRetryMs: number;
  /** The config table, when the caller has read it already (a warm start checks it). */
  configRows?: Promise<Map<string, ConfigRow>>;
  /** The volume's latest run, when the caller has read it already (under the boot lock). */
  latest?: RunRecord | null;
  logger: Logger;
}

/** Why: the one place a start's plan is made and logged (`boot.plan`), warm or not. */
export async function decideStart(options: DecideStartOptions): Promise<StartDecision> {
  const { store, logger } = options;
  const latest = options.latest !== undefined ? options.latest : await store.latestRun(options.volumeId);
  let plan = planStart(latest, options.fingerprint, options.configDigest, {
    digest: options.runnerDigest,
    retryBaseMs: options.runnerRetryMs,
    now: new Date(),
  });
  if (plan.kind === 'warm') {
    // Done before — unless someone emptied the app's config table since: then do it again.
    const config = await (options.configRows ?? store.readConfig());
    const missing = REQUIRED_CONFIG_KEYS.filter((key) => !config.get(key)?.value);
    if (missing.length > 0)
      plan = { kind: 'fresh', reason: `the config table lacks ${missing.join(', ')}; re-running every step` };
  }
  logger.info({ event: 'boot.plan', plan: plan.kind, reason: plan.reason }, plan.reason);
  return { latest, plan };
}
