// The composition root: the real implementation of every boot step, built from the validated
// config, the store and the step modules (./steps/, one file per step). Each step is
// check-then-create, because a resumed boot runs the step that was in flight again.
import { BOOT_STEPS } from '../../machines/boot.ts';
import { withFailpoints } from './failpoints.ts';
import type { StepImplementations } from './run-boot.ts';
import { createStepContext, type ComposeOptions } from './steps/context.ts';
import { STEP_MODULES } from './steps/index.ts';

export type { ComposeOptions } from './steps/context.ts';

/** Every step's implementation for this boot. */
export function composeSteps(options: ComposeOptions): StepImplementations {
  const ctx = createStepContext(options);
  const steps = Object.fromEntries(
    BOOT_STEPS.map((step) => [step, STEP_MODULES[step].create(ctx)]),
  ) as StepImplementations;
  // Tests and ops drills: GIGI_BOOT_FAILPOINTS makes chosen steps fail, or crash the process.
  const { config, store, logger } = options;
  return withFailpoints(steps, { failpoints: config.failpoints, dataDir: config.dataDir, store, logger });
}
