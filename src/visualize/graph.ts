// The boot machine as a plain graph: every state node, and every transition read from the state
// nodes themselves — event transitions, `always` transitions and initial arrows. XState's
// `toDirectedGraph` leaves the last two out (../shared/notes/xstate-v5.md §4.1), so this walks
// `stateNode.transitions`, `stateNode.always` and `stateNode.initial` directly.
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { isBootStep, type BootStep } from '../../machines/boot.ts';

export type StateKind = 'atomic' | 'compound' | 'parallel' | 'final' | 'history';

/** What a state is for, in the boot machine's vocabulary (drives the drawing). */
export type StateRole = 'root' | 'step' | 'run' | 'backoff' | 'region' | 'group' | 'final' | 'state';

export interface GraphState {
  /** XState's state node id, e.g. `boot.provision.gitea.createOrg.run`. */
  id: string;
  key: string;
  parent: string | null;
  kind: StateKind;
  role: StateRole;
  /** The boot step this state belongs to (the step's own state and its run/backoff children). */
  step: BootStep | null;
  children: string[];
}

export type EdgeKind = 'event' | 'always' | 'initial';

/** How a transition reads: a step succeeded, failed, retries, or the flow just moves on. */
export type EdgeTone = 'success' | 'error' | 'retry' | 'wake' | 'initial' | 'flow';

export interface GraphEdge {
  id: string;
  kind: EdgeKind;
  source: string;
  target: string;
  /** The raw event type (null for `always` and initial edges). */
  event: string | null;
  guard: string | null;
  /** Short text for the drawing: `done`, `error [retryable]`, `after 500 ms` … */
  label: string;
  tone: EdgeTone;
}

export interface MachineGraph {
  machineId: string;
  version: string | null;
  root: string;
  states: GraphState[];
  edges: GraphEdge[];
}

function kindOf(node: AnyStateNode): StateKind {
  return node.type;
}

function roleOf(node: AnyStateNode, parent: AnyStateNode | null): StateRole {
  if (!parent) return 'root';
  if (node.type === 'final') return 'final';
  if (isBootStep(node.key) && node.type === 'compound') return 'step';
  if (parent && isBootStep(parent.key) && parent.type === 'compound') {
    if (node.key === 'run') return 'run';
    if (node.key === 'backoff') return 'backoff';
  }
  if (parent.type === 'parallel') return 'region';
  if (node.type === 'parallel' || node.type === 'compound') return 'group';
  return 'state';
}

function guardName(guard: unknown): string | null {
  if (guard === undefined || guard === null) return null;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && typeof (guard as { type?: unknown }).type === 'string') {
    return (guard as { type: string }).type;
  }
  if (typeof guard === 'function') return guard.name || 'guard';
  return 'guard';
}

/** `xstate.done.actor.createUsers` → `done`; `xstate.after.500.boot.x` → `after 500 ms`. */
export function shortEventLabel(event: string): string {
  const after = /^xstate\.after\.(\d+)\./.exec(event);
  if (after) return `after ${after[1]} ms`;
  if (event.startsWith('xstate.done.actor.')) return event.endsWith('.backoff') ? 'retry' : 'done';
  if (event.startsWith('xstate.error.actor.')) return 'error';
  if (event.startsWith('xstate.done.state.')) return 'done';
  return event;
}

function toneOf(kind: EdgeKind, event: string | null, target: GraphState | undefined): EdgeTone {
  if (kind === 'initial') return 'initial';
  if (target?.role === 'backoff') return 'retry';
  if (event?.startsWith('xstate.error.actor.')) return 'error';
  if (event?.startsWith('xstate.done.actor.') && event.endsWith('.backoff')) return 'wake';
  if (event?.startsWith('xstate.done.')) return 'success';
  return 'flow';
}

/** Why: the visualizer draws the machine from its own definition, so a new state shows up by itself. */
export function extractGraph(machine: AnyStateMachine): MachineGraph {
  const states: GraphState[] = [];
  const nodes: AnyStateNode[] = [];
  const visit = (node: AnyStateNode, parent: AnyStateNode | null) => {
    const role = roleOf(node, parent);
    const step = isBootStep(node.key) ? node.key : parent && isBootStep(parent.key) ? parent.key : null;
    const children = Object.values(node.states);
    states.push({
      id: node.id,
      key: node.key,
      parent: parent?.id ?? null,
      kind: kindOf(node),
      role,
      step: role === 'step' || role === 'run' || role === 'backoff' ? step : null,
      children: children.map((c) => c.id),
    });
    nodes.push(node);
    for (const child of children) visit(child, node);
  };
  visit(machine.root, null);

  const byId = new Map(states.map((s) => [s.id, s]));
  const edges: GraphEdge[] = [];
  const add = (edge: Omit<GraphEdge, 'id' | 'tone' | 'label'> & { label?: string }) => {
    const base = edge.label ?? (edge.event ? shortEventLabel(edge.event) : edge.kind);
    const label = edge.guard ? `${base} [${edge.guard}]` : base;
    const id = `${edge.kind}:${edge.source}->${edge.target}#${edges.length}`;
    edges.push({ ...edge, id, label, tone: toneOf(edge.kind, edge.event, byId.get(edge.target)) });
  };

  /** Why: one edge per target of a transition; a targetless one only runs actions: a self-loop. */
  const addTransition = (
    node: AnyStateNode,
    transition: { target?: readonly AnyStateNode[]; guard?: unknown },
    kind: 'event' | 'always',
    event: string | null,
  ) => {
    const targets = transition.target ?? [];
    for (const target of targets.length > 0 ? targets : [node]) {
      add({ kind, source: node.id, target: target.id, event, guard: guardName(transition.guard) });
    }
  };

  for (const node of nodes) {
    for (const target of node.initial?.target ?? []) {
      add({ kind: 'initial', source: node.id, target: target.id, event: null, guard: null, label: '' });
    }
    for (const [event, transitions] of node.transitions) {
      for (const transition of transitions) addTransition(node, transition, 'event', event);
    }
    // An always edge has no event: add() labels it by its kind, 'always'.
    for (const transition of node.always ?? []) addTransition(node, transition, 'always', null);
  }
  return {
    machineId: machine.id,
    version: machine.version ?? null,
    root: machine.root.id,
    states,
    edges,
  };
}
