// The path set the process suite runs as real `gigi-boot run` processes: generated from the boot
// machine's graph (generateModelPaths, @xstate/graph), reduced by a deterministic greedy set
// cover to a few paths that still enter every state node and take every transition, then given
// crash points so that every step is crashed (and resumed) in some path. Nothing is hand-picked:
// a new state, transition or step gets its path here, or generation throws.
import {
  BOOT_STEPS,
  bootMachine,
  GITEA_REGION_STEPS,
  isBootStep,
  type BootOutcomeStatus,
  type BootStep,
  type Modes,
  type StepOutput,
} from '../../machines/boot.ts';
import {
  generateModelPaths,
  MODEL_MODES,
  MODEL_RETRY,
  type ModelEvent,
  type StepFault,
} from './boot-graph.ts';
import { allStateNodeIds, allTransitionKeys } from './coverage.ts';
import { coverageOfEvents } from './event-coverage.ts';

/** One attempt of a step, as a path scripts it. */
export type Attempt = 'ok' | 'transient' | 'permanent';
/** One attempt as the journal shows it: done, an error the step retried, an error that ended it. */
export type JournalAttempt = 'ok' | 'retry' | 'final';

export interface ProcessPath {
  /** Index among the generated graph paths. */
  graphIndex: number;
  description: string;
  /** detectModes' output on this path (a path that fails before it: Gitea internal, Docker absent). */
  modes: Modes;
  finalStatus: BootOutcomeStatus;
  events: ModelEvent[];
  /** Each step's attempts in order (backoffs left out). */
  attempts: Partial<Record<BootStep, Attempt[]>>;
  /** Steps whose last, successful attempt is crashed (SIGKILL) and then resumed by a new process. */
  crashes: BootStep[];
  /** What the path makes the machine do (state node ids, transition keys). */
  states: Set<string>;
  transitions: Set<string>;
}

const DONE = 'xstate.done.actor.';
const ERROR = 'xstate.error.actor.';

/** Each step's attempts, in order, from a path's events. */
export function attemptsOf(events: readonly ModelEvent[]): Partial<Record<BootStep, Attempt[]>> {
  const out: Partial<Record<BootStep, Attempt[]>> = {};
  for (const event of events) {
    const done = event.type.startsWith(DONE);
    const step = event.type.slice(done ? DONE.length : ERROR.length);
    if (!isBootStep(step)) continue; // init, a backoff timer
    const attempt: Attempt = done
      ? 'ok'
      : (event as { error: StepFault }).error.transient
        ? 'transient'
        : 'permanent';
    (out[step] ??= []).push(attempt);
  }
  return out;
}

/** What the journal must show per step: an error followed by another attempt was retried. */
export function journalOf(attempts: Partial<Record<BootStep, readonly Attempt[]>>) {
  const out: Partial<Record<BootStep, JournalAttempt[]>> = {};
  for (const [step, list] of Object.entries(attempts) as Array<[BootStep, Attempt[]]>)
    out[step] = list.map((a, i) => (a === 'ok' ? 'ok' : i < list.length - 1 ? 'retry' : 'final'));
  return out;
}

/** Attempts that end their step with an error (a permanent fault, or a transient one with no attempt left). */
function givingUp(attempts: Partial<Record<BootStep, readonly Attempt[]>>): BootStep[] {
  return (Object.entries(attempts) as Array<[BootStep, Attempt[]]>)
    .filter(([, list]) => list.at(-1) !== 'ok')
    .map(([step]) => step);
}

/**
 * Can a real process follow this path? One step may end in an error (a permanent fault), as a
 * real box fails once; and a path that fails in the Gitea region scripts no fault in the runner
 * region, whose attempts the failure cuts short at a moment no process controls.
 */
export function isRealizable(
  attempts: Partial<Record<BootStep, readonly Attempt[]>>,
  status: BootOutcomeStatus,
) {
  if (givingUp(attempts).length > 1) return false;
  if (status === 'failed' && (attempts.buildRunnerWorker ?? []).some((a) => a !== 'ok')) return false;
  return true;
}

function modesOf(events: readonly ModelEvent[]): Modes {
  for (const event of events) {
    const modes = (event as { output?: StepOutput }).output?.modes;
    if (modes) return modes;
  }
  return MODEL_MODES.find((m) => m.gitea === 'internal' && !m.docker)!;
}

/**
 * A crash can go on a path's step when its last attempt succeeds. The runner-worker build runs
 * beside the Gitea steps, so its crash lands wherever the Gitea region then is: only on a path
 * with Docker absent (the step is done at once, so the crash comes while the Gitea region is at
 * writeAppIni, long before the simulator's faults or createUsers) and no Gitea-region failure
 * (which would cancel the build first). A kill inside createUsers, between `gitea admin user
 * create` and saving the generated password, is not recoverable without an operator: see the
 * hint of that error in src/boot/steps/gitea-session.ts.
 */
function canCrash(path: ProcessPath, step: BootStep): boolean {
  if (path.attempts[step]?.at(-1) !== 'ok') return false;
  if (step === 'buildRunnerWorker')
    return (
      !path.modes.docker &&
      GITEA_REGION_STEPS.every(
        (s) => path.attempts[s]?.at(-1) !== 'permanent' && path.attempts[s]?.at(-1) !== 'transient',
      )
    );
  return true;
}

/**
 * Beyond the machine's own states and transitions: every mode of MODEL_MODES runs, and in each
 * Gitea mode (whose steps are different code: the CLI or the API, an app.ini or none) every step
 * active there succeeds, retries a transient fault and fails for good somewhere in the set.
 */
function modeItems(p: ProcessPath): string[] {
  const out = [`modes ${JSON.stringify(p.modes)}`];
  for (const [step, list] of Object.entries(journalOf(p.attempts)))
    for (const attempt of new Set(list)) out.push(`gitea ${p.modes.gitea}: ${step} ${attempt}`);
  return out;
}

export interface ProcessPathSet {
  paths: ProcessPath[];
  /** How many graph paths the cover was chosen from (the realizable ones). */
  candidates: number;
  generated: number;
}

/** Generate the graph's paths, keep the realizable ones, cover every state and transition greedily, add crashes. */
export async function generateProcessPaths(): Promise<ProcessPathSet> {
  const generated = generateModelPaths(bootMachine, MODEL_RETRY);
  const candidates: ProcessPath[] = [];
  for (const [graphIndex, path] of generated.entries()) {
    const events = path.steps.map((s) => s.event);
    const attempts = attemptsOf(events);
    if (!isRealizable(attempts, path.finalStatus)) continue;
    const covered = await coverageOfEvents(events, MODEL_RETRY);
    candidates.push({
      graphIndex,
      description: path.description,
      modes: modesOf(events),
      finalStatus: path.finalStatus,
      events,
      attempts,
      crashes: [],
      states: covered.states,
      transitions: covered.transitions,
    });
  }

  // Greedy set cover: the path with the most not-yet-covered items; ties to the shorter, then the earlier.
  const items = (p: ProcessPath) => [
    ...[...p.states].map((s) => `state ${s}`),
    ...[...p.transitions].map((t) => `transition ${t}`),
    ...modeItems(p),
  ];
  const covered = new Set<string>();
  const chosen: ProcessPath[] = [];
  for (;;) {
    let best: ProcessPath | undefined;
    let bestGain = 0;
    for (const candidate of candidates) {
      const gain = items(candidate).filter((i) => !covered.has(i)).length;
      if (
        gain > bestGain ||
        (gain === bestGain && gain > 0 && best && candidate.events.length < best.events.length)
      ) {
        best = candidate;
        bestGain = gain;
      }
    }
    if (!best) break;
    chosen.push(best);
    for (const i of items(best)) covered.add(i);
  }
  const missing = [
    ...allStateNodeIds(bootMachine).map((s) => `state ${s}`),
    ...allTransitionKeys(bootMachine).map((t) => `transition ${t}`),
  ].filter((i) => !covered.has(i));
  if (missing.length > 0)
    throw new Error(
      `no realizable generated path covers: ${missing.join('; ')} (see test/model/process-set.ts)`,
    );

  // Every step is crashed once, on the least-loaded path that can take it.
  for (const step of BOOT_STEPS) {
    const host = chosen
      .filter((p) => canCrash(p, step))
      .sort((a, b) => a.crashes.length - b.crashes.length)[0];
    if (!host) throw new Error(`no path of the process set can crash ${step} (see canCrash)`);
    host.crashes.push(step);
  }
  return { paths: chosen, candidates: candidates.length, generated: generated.length };
}
