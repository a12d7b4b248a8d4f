// What the model-based tests covered of the machine: its state nodes and its transitions
// (event transitions, invoke onDone/onError, `always`, a parallel state's onDone), counted from
// the machine definition itself so a new state or transition shows up as uncovered.
import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition, InspectionEvent } from 'xstate';

/** Every state node below the root, by id. */
export function allStateNodeIds(machine: AnyStateMachine): string[] {
  const ids: string[] = [];
  const walk = (node: AnyStateNode) => {
    for (const child of Object.values(node.states) as AnyStateNode[]) {
      ids.push(child.id);
      walk(child);
    }
  };
  walk(machine.root);
  return ids;
}

/** A transition's stable name: source node, event, and its place among that event's candidates. */
export function transitionKey(t: AnyTransitionDefinition): string {
  const source = t.source as AnyStateNode;
  const candidates = t.eventType === '' ? (source.always ?? []) : (source.transitions.get(t.eventType) ?? []);
  const index = candidates.findIndex(
    (c) =>
      c === t || (c.eventType === t.eventType && JSON.stringify(c.toJSON()) === JSON.stringify(t.toJSON())),
  );
  return `${source.id} --${t.eventType || 'always'}#${index}`;
}

/** Every transition the machine defines, by key. */
export function allTransitionKeys(machine: AnyStateMachine): string[] {
  const keys: string[] = [];
  const walk = (node: AnyStateNode) => {
    for (const candidates of node.transitions.values())
      for (const t of candidates) keys.push(transitionKey(t));
    for (const t of node.always ?? []) keys.push(transitionKey(t));
    for (const child of Object.values(node.states) as AnyStateNode[]) walk(child);
  };
  walk(machine.root);
  return keys;
}

export interface CoverageReport {
  states: { covered: number; total: number; missing: string[] };
  transitions: { covered: number; total: number; missing: string[] };
  paths: number;
}

/** Compare what ran against the machine's definition. */
export function coverageReport(
  machine: AnyStateMachine,
  seenStates: ReadonlySet<string>,
  seenTransitions: ReadonlySet<string>,
  paths: number,
): CoverageReport {
  const states = allStateNodeIds(machine);
  const transitions = allTransitionKeys(machine);
  const missingStates = states.filter((s) => !seenStates.has(s));
  const missingTransitions = transitions.filter((t) => !seenTransitions.has(t));
  return {
    states: { covered: states.length - missingStates.length, total: states.length, missing: missingStates },
    transitions: {
      covered: transitions.length - missingTransitions.length,
      total: transitions.length,
      missing: missingTransitions,
    },
    paths,
  };
}

const percent = (covered: number, total: number) =>
  `${total === 0 ? 100 : Math.floor((covered / total) * 1000) / 10}%`;

/** The one line CI prints. */
export function formatCoverage(report: CoverageReport): string {
  const { states, transitions, paths } = report;
  return `model coverage: states ${states.covered}/${states.total} (${percent(states.covered, states.total)}), transitions ${transitions.covered}/${transitions.total} (${percent(transitions.covered, transitions.total)}), paths ${paths}`;
}

/**
 * Why: the replay and the event coverage count the transitions a running actor takes; pass
 * `inspect` to createActor and read `transitions`.
 */
export function transitionCollector(): {
  transitions: Set<string>;
  inspect: (event: InspectionEvent) => void;
} {
  const transitions = new Set<string>();
  const inspect = (event: InspectionEvent) => {
    if (event.type !== '@xstate.microstep') return;
    for (const t of (event as { _transitions: AnyTransitionDefinition[] })._transitions)
      transitions.add(transitionKey(t));
  };
  return { transitions, inspect };
}
