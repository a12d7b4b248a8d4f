// Test paths generated from the real boot machine's graph (@xstate/graph): one path per edge of
// the adjacency graph (every state × every event it handles, with real payloads), each then
// carried on to a final state with successes so every path predicts how the boot ends.
import {
  __unsafe_getAllOwnEventDescriptors,
  getNextSnapshot,
  type AnyEventObject,
  type AnyMachineSnapshot,
  type AnyStateMachine,
} from 'xstate';
import { getAdjacencyMap, getShortestPaths, type StatePath } from '@xstate/graph';
import {
  activeSteps,
  isBootStep,
  type BootOutcomeStatus,
  type BootStep,
  type Modes,
  type RetryPolicy,
  type StepOutput,
} from '../../machines/boot.ts';

/** Small, so the graph stays finite and every retry branch (retry, then give up) is in it. */
export const MODEL_RETRY: RetryPolicy = { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 };

/**
 * The modes that change what the boot does: Gitea internal/external (different steps), Docker
 * present/absent (the runner build runs or is skipped). Chrome only changes the hand-off's
 * config, so it alternates rather than doubling the graph.
 */
export const MODEL_MODES: Modes[] = [
  { gitea: 'internal', chrome: 'internal', docker: true },
  { gitea: 'internal', chrome: 'external', docker: false },
  { gitea: 'external', chrome: 'external', docker: true },
  { gitea: 'external', chrome: 'internal', docker: false },
];

export interface StepFault {
  transient: boolean;
  message: string;
}

export type ModelEvent =
  | { type: `xstate.done.actor.${string}`; output?: StepOutput }
  | { type: `xstate.error.actor.${string}`; error: StepFault }
  | { type: 'xstate.init' };

const DONE = 'xstate.done.actor.';
const ERROR = 'xstate.error.actor.';
const BACKOFF_SUFFIX = '.backoff';

/** What a finished step's actor resolves with, as the real implementations would. */
export function stepOutput(step: BootStep, modes: Modes | null): StepOutput {
  if (step === 'buildRunnerWorker') return { outcome: modes?.docker ? 'built' : 'skipped' };
  if (step === 'handOff') return { outcome: `handed-off (chrome ${modes?.chrome ?? 'unknown'})` };
  return { outcome: 'created' };
}

/** Every event the snapshot's states handle, with payloads; throws on an event it cannot script. */
export function modelEvents(snapshot: AnyMachineSnapshot): ModelEvent[] {
  const modes = (snapshot.context as { modes: Modes | null }).modes;
  const out: ModelEvent[] = [];
  const handled = __unsafe_getAllOwnEventDescriptors(snapshot) as string[];
  for (const type of handled) {
    // A parallel state's done event is raised by the machine itself, never sent from outside.
    if (type.startsWith('xstate.done.state.')) continue;
    if (type.startsWith(DONE) && type.endsWith(BACKOFF_SUFFIX)) {
      out.push({ type: type as ModelEvent['type'] } as ModelEvent);
      continue;
    }
    const step = type.startsWith(DONE)
      ? type.slice(DONE.length)
      : type.startsWith(ERROR)
        ? type.slice(ERROR.length)
        : '';
    if (!isBootStep(step))
      throw new Error(
        `the model cannot script event "${type}": add its payloads to test/model/boot-graph.ts`,
      );
    if (type.startsWith(DONE)) {
      if (step === 'detectModes') {
        for (const m of MODEL_MODES) out.push({ type: `${DONE}${step}`, output: { modes: m } });
        // The runner-only retry of a box whose Gitea is set up (the plan decides it), per Gitea mode.
        for (const m of MODEL_MODES.filter((m) => m.docker))
          out.push({ type: `${DONE}${step}`, output: { modes: m, scope: 'runner' } });
      } else out.push({ type: `${DONE}${step}`, output: stepOutput(step, modes) });
    } else {
      out.push({
        type: `${ERROR}${step}`,
        error: { transient: true, message: `${step}: Gitea answered 503` },
      });
      out.push({ type: `${ERROR}${step}`, error: { transient: false, message: `${step}: answered 422` } });
    }
  }
  return out;
}

/**
 * A graph vertex: the state value, the Gitea mode (guards read it) and the attempts of the
 * steps now active (the retry guard reads them). Other context cannot change where the boot goes.
 */
export function serializeModelState(snapshot: AnyMachineSnapshot): string {
  const context = snapshot.context as { modes: Modes | null; attempts: Partial<Record<BootStep, number>> };
  const attempts = Object.fromEntries(activeSteps(snapshot.value).map((s) => [s, context.attempts[s] ?? 0]));
  return JSON.stringify({ value: snapshot.value, gitea: context.modes?.gitea ?? null, attempts });
}

export interface ModelPath {
  /** Human-readable: the modes, the faults and retries, and the ending. */
  description: string;
  /** Index in `steps` of the first edge this path was generated for. */
  edgeIndex: number;
  /** steps[0] is xstate.init; every path ends in a final state. */
  steps: Array<{ event: ModelEvent; value: unknown }>;
  finalStatus: BootOutcomeStatus;
}

export function traversalOptions(input: { retry: RetryPolicy }) {
  return { input, events: modelEvents, serializeState: serializeModelState };
}

function describeEvent(event: AnyEventObject): string {
  if (event.type === 'xstate.init') return 'init';
  if (event.type.startsWith(DONE)) {
    const target = event.type.slice(DONE.length);
    const modes = (event as { output?: StepOutput }).output?.modes;
    const scope = (event as { output?: StepOutput }).output?.scope === 'runner' ? ', runner only' : '';
    if (modes)
      return `[${modes.gitea} gitea, chrome ${modes.chrome}, docker ${modes.docker ? 'on' : 'off'}${scope}]`;
    return target.endsWith(BACKOFF_SUFFIX) ? `${target.slice(0, -BACKOFF_SUFFIX.length)}⏲` : `${target}✓`;
  }
  const fault = (event as { error?: StepFault }).error;
  return `${event.type.slice(ERROR.length)}✗${fault?.transient ? 'transient' : 'permanent'}`;
}

function edgeKey(snapshot: AnyMachineSnapshot, event: AnyEventObject): string {
  return `${serializeModelState(snapshot)} ${JSON.stringify(event)}`;
}

/**
 * Walk on from a snapshot to a final state, taking an edge no path has taken yet where there is
 * one (a fault that does not end the boot first), else the step's success.
 */
function walkToEnd(
  machine: AnyStateMachine,
  start: AnyMachineSnapshot,
  covered: Set<string>,
): Array<{ event: ModelEvent; state: AnyMachineSnapshot }> {
  const out: Array<{ event: ModelEvent; state: AnyMachineSnapshot }> = [];
  let snapshot = start;
  while (snapshot.status === 'active') {
    const options = modelEvents(snapshot).map((event) => ({
      event,
      next: getNextSnapshot(machine, snapshot, event),
    }));
    const fresh = options.filter((o) => !covered.has(edgeKey(snapshot, o.event)));
    const choice =
      fresh.find((o) => o.next.status === 'active') ??
      fresh[0] ??
      options.find((o) => o.event.type.startsWith(DONE));
    if (!choice) throw new Error(`no success event from ${JSON.stringify(snapshot.value)}`);
    covered.add(edgeKey(snapshot, choice.event));
    snapshot = choice.next;
    out.push({ event: choice.event, state: snapshot });
    // Attempts are part of a vertex and only grow, so the graph has no cycle; this is a guard.
    if (out.length > 200)
      throw new Error('a walk through the boot machine does not end: the graph has a cycle');
  }
  return out;
}

/**
 * Edge coverage (../shared/notes/xstate-v5.md §3.4): every edge of the adjacency graph (every
 * vertex × every event it handles) is on some path. For each edge no path has taken yet: the
 * shortest path to its vertex, the edge, then on to a final state through edges not taken yet
 * where possible — so one path covers many edges and every path ends the boot.
 */
export function generateModelPaths(machine: AnyStateMachine, retry: RetryPolicy = MODEL_RETRY): ModelPath[] {
  const options = traversalOptions({ retry });
  const heads = new Map<string, StatePath<AnyMachineSnapshot, AnyEventObject>>(
    getShortestPaths(machine, options).map((p) => [serializeModelState(p.state), p]),
  );
  const adjacency = getAdjacencyMap(machine, options);
  const covered = new Set<string>();
  const paths: ModelPath[] = [];
  for (const [key, vertex] of Object.entries(adjacency)) {
    const head = heads.get(key);
    if (!head) throw new Error(`vertex ${key} has no shortest path`);
    const edges = Object.values<{ event: AnyEventObject; state: AnyMachineSnapshot }>(
      vertex.transitions as Record<string, { event: AnyEventObject; state: AnyMachineSnapshot }>,
    );
    for (const { event, state } of edges) {
      if (covered.has(edgeKey(vertex.state, event))) continue;
      for (let i = 1; i < head.steps.length; i++)
        covered.add(edgeKey(head.steps[i - 1]!.state, head.steps[i]!.event));
      covered.add(edgeKey(vertex.state, event));
      const steps = [
        ...head.steps.map((s) => ({ event: s.event as ModelEvent, state: s.state })),
        { event: event as ModelEvent, state },
        ...walkToEnd(machine, state, covered),
      ];
      const edgeIndex = head.steps.length;
      const output = steps.at(-1)!.state.output as { status: BootOutcomeStatus };
      paths.push({
        description: describePath(
          steps.map((s) => s.event),
          output.status,
        ),
        edgeIndex,
        steps: steps.map((s) => ({ event: s.event, value: s.state.value })),
        finalStatus: output.status,
      });
    }
  }
  const total = Object.values(adjacency).reduce((n, v) => n + Object.keys(v.transitions).length, 0);
  if (covered.size < total) throw new Error(`edge coverage incomplete: ${covered.size}/${total}`);
  return paths;
}

/** The mode, then only what is not a plain success (faults, retries), then the ending. */
function describePath(events: ModelEvent[], status: BootOutcomeStatus): string {
  const notable = events
    .filter((e) => e.type !== 'xstate.init')
    .filter(
      (e) =>
        !e.type.startsWith(DONE) ||
        e.type.endsWith(BACKOFF_SUFFIX) ||
        (e as { output?: StepOutput }).output?.modes,
    )
    .map(describeEvent);
  return `${notable.join(' → ')} ⇒ ${status}`;
}

/**
 * The ending a path's events predict, worked out from the events and the retry policy alone
 * (not by the machine): a permanent fault or a transient one on the last attempt fails the
 * boot, except in the runner-worker build, which only degrades it.
 */
export function predictStatus(events: ModelEvent[], retry: RetryPolicy): BootOutcomeStatus {
  const attempts = new Map<string, number>();
  let degraded = false;
  for (const event of events) {
    if (event.type === 'xstate.init') continue;
    if (event.type.startsWith(DONE)) continue; // a success, or a backoff that elapsed
    const step = event.type.slice(ERROR.length);
    // Attempt n of a step is the number of its errors before this one, plus one.
    const attempt = (attempts.get(step) ?? 0) + 1;
    attempts.set(step, attempt);
    const fault = (event as { error: StepFault }).error;
    const givesUp = !fault.transient || attempt >= retry.maxAttempts;
    if (!givesUp) continue;
    if (step === 'buildRunnerWorker') degraded = true;
    else return 'failed';
  }
  return degraded ? 'degraded' : 'completed';
}
