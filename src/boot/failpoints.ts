// GIGI_BOOT_FAILPOINTS applied: each armed step's implementation is wrapped so its attempts in
// this process fail, or crash the process, as the terms say (src/config/failpoints.ts). A fault
// is the error the step itself raises — its own domain's class (the step module's `fault`), `transient` set the way a real
// one is — so the machine retries, fails or degrades exactly as it would for a real fault.
import { writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BootStep, StepInput } from '../../machines/boot.ts';
import { failpointActionAt, type Failpoints } from '../config/failpoints.ts';
import type { Logger } from '../log/logger.ts';
import type { Store } from '../store/types.ts';
import { readOrCreateVolumeId } from '../store/volume.ts';
import type { StepImplementation } from './journal-recorder.ts';
import type { StepImplementations } from './run-boot.ts';
import { STEP_MODULES } from './steps/index.ts';

export interface FailpointContext {
  failpoints: Failpoints;
  dataDir: string;
  store: Store;
  logger: Logger;
}

/** How long a crash waits for the checkpoint that shows its step running (then crashes anyway). */
const CHECKPOINT_WAIT_MS = 5_000;

/** Is `step` running (not waiting to retry) in this persisted state value? */
function isRunning(value: unknown, step: BootStep): boolean {
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(value).some(([key, child]) =>
    key === step ? child === 'run' : isRunning(child, step),
  );
}

/** A crash "during" a step: once the store shows the step running, as a kill -9 would find it. */
async function waitForCheckpointOf(step: BootStep, { dataDir, store }: FailpointContext): Promise<void> {
  const volumeId = await readOrCreateVolumeId(dataDir);
  const deadline = Date.now() + CHECKPOINT_WAIT_MS;
  while (Date.now() < deadline) {
    const run = await store.latestRun(volumeId);
    if (run && isRunning(run.stateValue, step)) return;
    await sleep(20);
  }
}

function crashNow(step: BootStep): never {
  // Synchronous, so the line is out before the kill; then no cleanup at all, like a power cut.
  writeSync(2, `gigi-boot: failpoint ${step}=crash (GIGI_BOOT_FAILPOINTS): SIGKILL to self\n`);
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable: SIGKILL did not stop the process');
}

function armed(step: BootStep, implementation: StepImplementation, ctx: FailpointContext) {
  const terms = ctx.failpoints[step] ?? [];
  let calls = 0;
  return async (input: StepInput, signal: AbortSignal) => {
    const action = failpointActionAt(terms, calls++);
    if (action === 'transient' || action === 'permanent') {
      const transient = action === 'transient';
      ctx.logger.warn({ event: 'failpoint.fired', step, action }, `failpoint ${step}=${action}`);
      throw STEP_MODULES[step].fault(
        `failpoint ${step}=${action} (GIGI_BOOT_FAILPOINTS): a ${action} fault injected on purpose`,
        {
          transient,
          hint: 'GIGI_BOOT_FAILPOINTS is for tests and ops drills: unset it and run again',
        },
        input,
      );
    }
    const output = await implementation(input, signal);
    if (action === 'crash') {
      await waitForCheckpointOf(step, ctx);
      crashNow(step);
    }
    return output;
  };
}

/** Why: one place that makes armed steps misbehave; unarmed steps are returned untouched. */
export function withFailpoints(steps: StepImplementations, ctx: FailpointContext): StepImplementations {
  const out = { ...steps };
  for (const step of Object.keys(ctx.failpoints) as BootStep[]) out[step] = armed(step, steps[step], ctx);
  return out;
}
