// The boot machine: pure. It imports only xstate and decides what happens next; every effect
// is an actor injected from src/ with `bootMachine.provide({ actors })`. Importing this file
// starts nothing.
//
// Each step is a compound state `{ run, backoff }`: `run` invokes the step's actor; a transient
// failure (Gitea still starting, Postgres briefly away) goes to `backoff`, whose timer is itself
// an actor with an absolute deadline — `after` timers are lost on restore (see
// ../shared/notes/xstate-v5.md, fact 2) — and then runs the step again. A permanent failure, or
// running out of attempts, goes to `failed` with what the operator should do.
import { assign, fromPromise, setup, type ActorLogic, type AnyEventObject } from 'xstate';
import {
  BOOT_STEPS,
  backoffDelayMs,
  describeFailure,
  isBootStep,
  isRetryable,
  type BootContext,
  type BootInput,
  type BootStep,
  type SleepInput,
  type StepInput,
  type StepOutput,
} from './boot-logic.ts';

export * from './boot-logic.ts';

/** Placeholder actor: the composition root in src/ must provide the real one. */
function notProvided(step: string) {
  return fromPromise<StepOutput, StepInput>(() => {
    throw new Error(`actor "${step}" was not provided: use bootMachine.provide({ actors })`);
  });
}

type StepActors = Record<BootStep, ActorLogic<never, AnyEventObject, StepInput>>;

const stepActors = Object.fromEntries(BOOT_STEPS.map((step) => [step, notProvided(step)])) as unknown as {
  [K in BootStep]: ReturnType<typeof notProvided>;
};

const machineSetup = setup({
  types: {
    context: {} as BootContext,
    input: {} as BootInput,
  },
  actors: {
    ...stepActors,
    sleepUntil: fromPromise<void, SleepInput>(
      ({ input, signal }) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.max(0, input.deadline - Date.now()));
          signal.addEventListener('abort', () => clearTimeout(timer));
        }),
    ),
  },
  guards: {
    internalGitea: ({ context }) => context.modes?.gitea === 'internal',
    // Read from the event: guards run before recordSuccess has stored detectModes' output.
    runnerOnly: ({ context, event }) =>
      ((event as { output?: StepOutput }).output?.scope ?? context.scope) === 'runner',
    retryable: ({ context, event }, params: { step: BootStep }) =>
      isRetryable((event as { error?: unknown }).error, context.attempts[params.step] ?? 0, context.retry),
  },
  actions: {
    countAttempt: assign(({ context }, params: { step: BootStep }) => ({
      attempts: { ...context.attempts, [params.step]: (context.attempts[params.step] ?? 0) + 1 },
    })),
    recordSuccess: assign(({ context, event }, params: { step: BootStep }) => {
      const output = (event as { output?: StepOutput }).output ?? {};
      return {
        modes: output.modes ?? context.modes,
        scope: output.scope ?? context.scope,
        completed: [...context.completed.filter((s) => s !== params.step), params.step],
        outcomes: { ...context.outcomes, [params.step]: output.outcome ?? 'done' },
        degraded: output.degraded ? [...context.degraded, output.degraded] : context.degraded,
        lastError: null,
      };
    }),
    recordRetry: assign(({ event }, params: { step: BootStep }) => ({
      lastError: describeFailure(params.step, (event as { error?: unknown }).error),
    })),
    recordFailure: assign(({ event }, params: { step: BootStep }) => ({
      failure: describeFailure(params.step, (event as { error?: unknown }).error),
    })),
    /** A non-fatal step failed for good: the boot goes on and completes as degraded. */
    recordDegradedFailure: assign(({ context, event }, params: { step: BootStep }) => {
      const info = describeFailure(params.step, (event as { error?: unknown }).error);
      return {
        degraded: [
          ...context.degraded,
          `${params.step}: ${info.message}${info.hint ? ` (${info.hint})` : ''}`,
        ],
        outcomes: { ...context.outcomes, [params.step]: 'failed' },
      };
    }),
  },
});

/** Absolute state ids: steps live at the top level or inside the `provision` parallel state. */
const GITEA_REGION = '#boot.provision.gitea';
const at = {
  top: (state: string) => `#boot.${state}`,
  gitea: (state: string) => `${GITEA_REGION}.${state}`,
  runner: (state: string) => `#boot.provision.runner.${state}`,
};

/**
 * Where a step's success goes: one state; or by Gitea mode; or (detectModes) the runner-only
 * retry of a box whose Gitea is already set up, first.
 */
type Next = string | { internal: string; external: string; runnerOnly?: string };

interface StepOptions {
  /** Where a permanent failure goes: the boot's `failed`, or (non-fatal steps) a degraded end. */
  onFailure?: { target: string; action: 'recordFailure' | 'recordDegradedFailure' };
}

function stepState<S extends BootStep>(step: S, next: Next, { onFailure }: StepOptions = {}) {
  const failure = onFailure ?? { target: at.top('failed'), action: 'recordFailure' as const };
  const onDone =
    typeof next === 'string'
      ? [{ target: next, actions: { type: 'recordSuccess' as const, params: { step } } }]
      : [
          ...(next.runnerOnly
            ? [
                {
                  guard: 'runnerOnly' as const,
                  target: next.runnerOnly,
                  actions: { type: 'recordSuccess' as const, params: { step } },
                },
              ]
            : []),
          // One target for both modes (detectModes): one unguarded transition, none that cannot fire.
          ...(next.internal === next.external
            ? []
            : [
                {
                  guard: 'internalGitea' as const,
                  target: next.internal,
                  actions: { type: 'recordSuccess' as const, params: { step } },
                },
              ]),
          { target: next.external, actions: { type: 'recordSuccess' as const, params: { step } } },
        ];
  return {
    initial: 'run' as const,
    states: {
      run: {
        entry: { type: 'countAttempt' as const, params: { step } },
        invoke: {
          id: step,
          src: step,
          input: ({ context }: { context: BootContext }): StepInput => ({
            step,
            attempt: context.attempts[step] ?? 1,
            modes: context.modes,
          }),
          onDone,
          onError: [
            {
              guard: { type: 'retryable' as const, params: { step } },
              target: 'backoff',
              actions: { type: 'recordRetry' as const, params: { step } },
            },
            { target: failure.target, actions: { type: failure.action, params: { step } } },
          ],
        },
      },
      backoff: {
        invoke: {
          id: `${step}.backoff`,
          src: 'sleepUntil' as const,
          input: ({ context }: { context: BootContext }): SleepInput => ({
            deadline: Date.now() + backoffDelayMs(context.attempts[step] ?? 1, context.retry),
          }),
          onDone: { target: 'run' },
        },
      },
    },
  };
}

// 3: stopGitea and handOff moved into the Gitea region (the app starts while the runner image
// builds), and detectModes can route a runner-only retry straight to the hand-off.
export const BOOT_MACHINE_VERSION = '3';

export const bootMachine = machineSetup.createMachine({
  id: 'boot',
  version: BOOT_MACHINE_VERSION,
  initial: 'detectModes',
  context: ({ input }) => ({
    retry: input.retry,
    modes: null,
    scope: 'all',
    attempts: {},
    completed: [],
    outcomes: {},
    degraded: [],
    lastError: null,
    failure: null,
  }),
  states: {
    // A box whose Gitea is set up and whose only gap is the runner image (the plan decides, and
    // detectModes reports it as `scope: 'runner'`) goes straight to the hand-off and the build.
    detectModes: stepState('detectModes', {
      runnerOnly: at.gitea('handOff'),
      internal: at.top('prepareSecrets'),
      external: at.top('prepareSecrets'),
    }),
    prepareSecrets: stepState('prepareSecrets', {
      internal: at.gitea('writeAppIni'),
      external: at.gitea('checkExternalGitea'),
    }),
    // The Gitea region ends with the hand-off: once it is `ready`, the CLI starts supervisord and
    // the app runs, while the runner-worker image may still be building beside it (the app does
    // not need the image to start). The boot ends when both regions have; the runner region
    // cannot fail it, only degrade it.
    provision: {
      type: 'parallel',
      states: {
        gitea: {
          initial: 'writeAppIni',
          states: {
            writeAppIni: stepState('writeAppIni', at.gitea('startGitea')),
            startGitea: stepState('startGitea', at.gitea('awaitApi')),
            awaitApi: stepState('awaitApi', at.gitea('createUsers')),
            checkExternalGitea: stepState('checkExternalGitea', at.gitea('createUsers')),
            createUsers: stepState('createUsers', at.gitea('createTokens')),
            createTokens: stepState('createTokens', at.gitea('createOrg')),
            createOrg: stepState('createOrg', at.gitea('addOwner')),
            addOwner: stepState('addOwner', at.gitea('registerWebhook')),
            registerWebhook: stepState('registerWebhook', at.gitea('persistConfig')),
            persistConfig: stepState('persistConfig', {
              internal: at.gitea('stopGitea'),
              external: at.gitea('handOff'),
            }),
            stopGitea: stepState('stopGitea', at.gitea('handOff')),
            handOff: stepState('handOff', at.gitea('ready')),
            ready: { type: 'final' },
          },
        },
        runner: {
          initial: 'buildRunnerWorker',
          states: {
            buildRunnerWorker: stepState('buildRunnerWorker', at.runner('ready'), {
              onFailure: { target: at.runner('ready'), action: 'recordDegradedFailure' },
            }),
            ready: { type: 'final' },
          },
        },
      },
      onDone: { target: 'done' },
    },
    done: { type: 'final' },
    failed: { type: 'final' },
  },
  output: ({ context }) => ({
    status: context.failure ? 'failed' : context.degraded.length > 0 ? 'degraded' : 'completed',
    failure: context.failure,
    degraded: context.degraded,
  }),
});

/** Exposed for type tests: the actors a provider must supply. */
export type BootStepActors = StepActors;

/** The steps of the `provision.gitea` region, read from the machine itself (bench, tests). */
export const GITEA_REGION_STEPS: readonly BootStep[] = Object.keys(
  bootMachine.root.states.provision?.states.gitea?.states ?? {},
).filter(isBootStep);
