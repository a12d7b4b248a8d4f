// The persisted run drawn on the graph: which states are done, current, failed, degraded,
// skipped or still pending, with each step's attempts, durations and journal rows. Pure: it
// reads an InspectReport (what `inspect` gathers) and the machine graph, nothing else.
import { activeSteps, BOOT_MACHINE_VERSION, isBootStep, type BootStep } from '../../machines/boot.ts';
import type { InspectReport } from '../inspect/gather.ts';
import type { GraphState, MachineGraph } from './graph.ts';

export type StateStatus = 'done' | 'current' | 'failed' | 'degraded' | 'skipped' | 'pending';

export type JournalRow = InspectReport['journal'][number];

export interface StepView {
  step: BootStep;
  status: StateStatus;
  /** Waiting in `backoff` before the next attempt. */
  retrying: boolean;
  attempts: number;
  /** Sum of the attempts' durations. */
  durationMs: number;
  outcome: string | null;
  lastError: string | null;
  rows: JournalRow[];
}

export interface StateView {
  status: StateStatus;
  /** The run is in this state now (one of the persisted state value's leaves, or its ancestor). */
  current: boolean;
  visited: boolean;
  step: BootStep | null;
}

type RunView = NonNullable<InspectReport['run']>;

/** What the overlay reads of an InspectReport (gatherReport's output). */
export interface OverlayInput {
  volumeId: string | null;
  run: Pick<
    RunView,
    | 'runId'
    | 'status'
    | 'machineVersion'
    | 'currentStep'
    | 'stateValue'
    | 'startedAt'
    | 'updatedAt'
    | 'finishedAt'
    | 'wallMs'
    | 'error'
    | 'failure'
    | 'degraded'
  > | null;
  steps: InspectReport['steps'];
  journal: JournalRow[];
}

export interface Overlay {
  run: OverlayInput['run'];
  volumeId: string | null;
  /** Every state of the graph, by state id. */
  states: Record<string, StateView>;
  steps: Partial<Record<BootStep, StepView>>;
  /** Ids of the graph's edges the run went through. */
  takenEdges: string[];
  /** Set when the run was written by another machine version than the one drawn. */
  versionNote: string | null;
}

const LIVE_STATUSES = new Set(['running', 'interrupted']);

/** The leaf state ids a persisted state value stands for: `{a:{b:'c'}}` → `root.a.b.c`. */
export function leafIdsOf(rootId: string, value: unknown): string[] {
  if (typeof value === 'string') return [`${rootId}.${value}`];
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([key, child]) =>
    child === undefined || (typeof child === 'object' && child !== null && Object.keys(child).length === 0)
      ? [`${rootId}.${key}`]
      : leafIdsOf(`${rootId}.${key}`, child),
  );
}

function stepStatus(
  step: BootStep,
  rows: JournalRow[],
  run: NonNullable<OverlayInput['run']>,
  active: Set<BootStep>,
): StateStatus {
  const live = LIVE_STATUSES.has(run.status);
  if (run.status === 'failed' && run.failure?.step === step) return 'failed';
  if (live && active.has(step)) return 'current';
  const last = rows.at(-1);
  if (!last) return live || run.status === 'failed' ? 'pending' : 'skipped';
  switch (last.outcome) {
    case 'skipped':
      return 'skipped';
    case 'ok':
      return last.detail?.degraded === true ? 'degraded' : 'done';
    case 'error':
      return run.degraded.some((d) => d.startsWith(`${step}:`)) ? 'degraded' : 'failed';
    default:
      return 'pending';
  }
}

/** Why: one model of "where the boot is" that the SVG, the HTML page and the live server share. */
export function buildOverlay(graph: MachineGraph, report: OverlayInput): Overlay {
  const run = report.run;
  const byId = new Map(graph.states.map((s) => [s.id, s]));
  const states: Record<string, StateView> = {};
  const steps: Partial<Record<BootStep, StepView>> = {};
  for (const s of graph.states)
    states[s.id] = { status: 'pending', current: false, visited: false, step: s.step };
  if (!run) return { run, volumeId: report.volumeId, states, steps, takenEdges: [], versionNote: null };

  const live = LIVE_STATUSES.has(run.status);
  const leaves = leafIdsOf(graph.root, run.stateValue).filter((id) => byId.has(id));
  const active = new Set(activeSteps(run.stateValue));
  const summaries = new Map(report.steps.map((s) => [s.step, s]));

  for (const s of graph.states) {
    if (s.role !== 'step' || !s.step) continue;
    const rows = report.journal.filter((r) => r.step === s.step);
    const summary = summaries.get(s.step);
    const status = stepStatus(s.step, rows, run, active);
    steps[s.step] = {
      step: s.step,
      status,
      retrying: live && leaves.includes(`${s.id}.backoff`),
      attempts: summary?.attempts ?? 0,
      durationMs: summary?.durationMs ?? 0,
      outcome: summary?.outcome ?? null,
      lastError: summary?.lastError ?? null,
      rows,
    };
    const visited = rows.length > 0 || status === 'current' || status === 'failed';
    states[s.id] = { status, current: false, visited, step: s.step };
  }

  const markAncestors = (id: string, field: 'visited' | 'current') => {
    for (let p = byId.get(id)?.parent; p; p = byId.get(p)?.parent) states[p]![field] = true;
  };
  for (const leaf of leaves) {
    states[leaf]!.current = true;
    states[leaf]!.visited = true;
    markAncestors(leaf, 'current');
  }

  const stepOf = (s: GraphState) => (s.step ? steps[s.step] : undefined);
  for (const s of graph.states) {
    const view = states[s.id]!;
    if (s.role === 'run') {
      const step = stepOf(s)!;
      view.visited = step.attempts > 0 || view.current || step.status === 'failed';
      view.status = view.current ? 'current' : step.status === 'current' ? 'pending' : step.status;
    } else if (s.role === 'backoff') {
      const step = stepOf(s)!;
      view.visited = view.current || (step.rows.some((r) => r.outcome === 'error') && step.attempts > 1);
      view.status = view.current ? 'current' : view.visited ? 'done' : 'pending';
    } else if (s.role === 'final') {
      const finished = run.status === 'completed' || run.status === 'degraded';
      if (s.key === 'failed') view.status = run.status === 'failed' ? 'failed' : 'pending';
      else if (s.parent === graph.root) view.status = finished ? 'done' : 'pending';
      else view.status = view.current || finished ? 'done' : 'pending';
      view.visited ||= view.status !== 'pending';
    }
  }
  // Containers: failed if a failed state is inside, current if the run is inside, done if visited.
  for (const s of [...graph.states].reverse()) {
    if (s.children.length === 0 || s.role === 'step') continue;
    const kids = s.children.map((c) => states[c]!);
    const view = states[s.id]!;
    view.visited ||= kids.some((k) => k.visited);
    view.status = kids.some((k) => k.status === 'failed')
      ? 'failed'
      : view.current && live
        ? 'current'
        : view.visited
          ? 'done'
          : 'pending';
  }
  for (const s of graph.states) if (states[s.id]!.visited) markAncestors(s.id, 'visited');
  // A step whose run is a current leaf: mark the step current too (ancestor of the leaf).
  for (const s of graph.states) {
    if (s.role === 'step' && states[s.id]!.current && live && states[s.id]!.status === 'pending') {
      states[s.id]!.status = 'current';
    }
  }

  const takenEdges = graph.edges
    .filter((e) => {
      const source = byId.get(e.source);
      const target = states[e.target];
      if (!source || !target?.visited) return false;
      if (e.kind === 'initial') return true;
      const step = source.step && isBootStep(source.step) ? steps[source.step] : undefined;
      switch (e.tone) {
        case 'success':
          return source.role === 'run' ? step?.status === 'done' || step?.status === 'degraded' : true;
        case 'error':
          return step?.status === 'failed' || step?.status === 'degraded';
        case 'retry':
        case 'wake':
          return states[e.source]!.visited && target.visited && (step?.attempts ?? 0) > 1;
        default:
          return states[e.source]!.visited;
      }
    })
    .map((e) => e.id);

  const versionNote =
    run.machineVersion === BOOT_MACHINE_VERSION
      ? null
      : `this run was written by machine v${run.machineVersion}; drawn on v${BOOT_MACHINE_VERSION}`;
  return { run, volumeId: report.volumeId, states, steps, takenEdges, versionNote };
}
