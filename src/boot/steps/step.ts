// What a boot step module is: its implementation, built from only the parts of the step context
// it names (its `deps`), and its failure domain — the error it raises, which is also what a
// GIGI_BOOT_FAILPOINTS fault of that step throws, so the machine retries, fails or degrades
// exactly as it would for a real fault. The table of all of them is ./index.ts.
import type { StepInput } from '../../../machines/boot.ts';
import {
  DockerError,
  GiteaApiError,
  GiteaProcessError,
  isErrorIn,
  StoreError,
  type BootError,
  type BootErrorOptions,
} from '../../errors.ts';
import { SupervisorError } from '../../supervisor/hand-off.ts';
import type { StepImplementation } from '../journal-recorder.ts';

/** The error a step raises, in its own failure domain (the mode may choose it: createUsers). */
export type Fault = (message: string, options: BootErrorOptions, input: StepInput) => BootError;

export interface BootStepModule<Deps> {
  /** The step's failure domain: how its faults look (failpoints raise exactly this). */
  fault: Fault;
  /** Why a factory: the implementation closes over what it needs, given once per boot. */
  create: (deps: Deps) => StepImplementation;
}

/**
 * Why: one call per step file, so a step's deps type is checked where the step is written; and
 * a step's errors are its domain's. ConfigError means "exit 2, nothing written": the load-time
 * checks (config, preflight) throw it, but the same check met again mid-boot (the run user or a
 * file changed since preflight, an unusable DOCKER_HOST the build step is first to read) is a
 * failure of the step, so it is raised as the step's fault, with the same words, hint and cause.
 */
export function defineStep<Deps>({ fault, create }: BootStepModule<Deps>): BootStepModule<Deps> {
  return {
    fault,
    create: (deps) => {
      const implementation = create(deps);
      return async (input, signal) => {
        try {
          return await implementation(input, signal);
        } catch (error) {
          if (!isErrorIn(error, 'config')) throw error;
          throw fault(
            error.issues.join('; '),
            { hint: error.hint, transient: error.transient, cause: error },
            input,
          );
        }
      };
    },
  };
}

/** A Gitea API call failed: 503 when transient (Gitea busy), 422 when not. */
export const apiFault =
  (method: string, path: string): Fault =>
  (message, options) =>
    new GiteaApiError({ method, path, status: options.transient ? 503 : 422, message }, options);

/** The temporary Gitea or its CLI, or a file it reads, failed. */
export const processFault: Fault = (message, options) => new GiteaProcessError({ message }, options);

/** The config table (Postgres or PGlite) failed. */
export const storeFault: Fault = (message, options) => new StoreError(message, options);

/** The Docker engine, for a given reason. */
export const dockerFault =
  (reason: 'daemon-down' | 'build-failed'): Fault =>
  (message, options) =>
    new DockerError(reason, message, options);

/** Rendering supervisord's programs failed. */
export const supervisorFault: Fault = (message, options) => new SupervisorError(message, options);
