// The visualizer's graph, DOT and overlay, against the boot machine's own definition: a state
// or transition added to machines/boot.ts must show up here without touching the visualizer.
import type { AnyStateNode } from 'xstate';
import { describe, expect, it } from 'vitest';
import { BOOT_STEPS, bootMachine } from '../../machines/boot.ts';
import { toDot } from '../../src/visualize/dot.ts';
import { extractGraph } from '../../src/visualize/graph.ts';
import { layoutSvg } from '../../src/visualize/layout.ts';
import { buildOverlay, leafIdsOf, type OverlayInput } from '../../src/visualize/overlay.ts';

/** Every state node of the machine, walked here independently of the visualizer. */
function machineStateNodes(): AnyStateNode[] {
  const out: AnyStateNode[] = [];
  const walk = (node: AnyStateNode) => {
    out.push(node);
    for (const child of Object.values(node.states)) walk(child);
  };
  walk(bootMachine.root);
  return out;
}

const graph = extractGraph(bootMachine);

describe('extractGraph(bootMachine)', () => {
  it('has exactly the machine’s state nodes, with their kinds', () => {
    const nodes = machineStateNodes();
    expect(graph.states.map((s) => s.id).sort()).toEqual(nodes.map((n) => n.id).sort());
    for (const node of nodes) expect(graph.states.find((s) => s.id === node.id)?.kind).toBe(node.type);
  });

  it('has an initial edge for every compound state, to its initial child', () => {
    const compound = machineStateNodes().filter((n) => n.type === 'compound');
    expect(compound.length).toBeGreaterThan(BOOT_STEPS.length);
    for (const node of compound) {
      const initial = graph.edges.filter((e) => e.kind === 'initial' && e.source === node.id);
      expect(initial.map((e) => e.target)).toEqual(node.initial.target.map((t) => t.id));
    }
  });

  it('has every event transition target (guarded ones too) and every always transition', () => {
    for (const node of machineStateNodes()) {
      const expected = [...node.transitions.values()]
        .flat()
        .flatMap((t) => (t.target ?? [node]).map((x) => x.id));
      const found = graph.edges
        .filter((e) => e.kind === 'event' && e.source === node.id)
        .map((e) => e.target);
      expect(found.sort()).toEqual(expected.sort());
      const always = (node.always ?? []).flatMap((t) => (t.target ?? [node]).map((x) => x.id));
      const foundAlways = graph.edges.filter((e) => e.kind === 'always' && e.source === node.id);
      expect(foundAlways.map((e) => e.target).sort()).toEqual(always.sort());
    }
    // The branch after prepareSecrets is two guarded edges, shown with the guard.
    const prepare = graph.edges.filter((e) => e.source === 'boot.prepareSecrets.run' && e.tone === 'success');
    expect(prepare.map((e) => e.label).sort()).toEqual(['done', 'done [internalGitea]']);
  });

  it('reads `always` edges from a machine that has them (toDirectedGraph leaves them out)', async () => {
    const { createMachine } = await import('xstate');
    const machine = createMachine({
      id: 'm',
      initial: 'a',
      states: { a: { always: [{ guard: () => false, target: 'b' }, { target: 'c' }] }, b: {}, c: {} },
    });
    const g = extractGraph(machine);
    const always = g.edges.filter((e) => e.kind === 'always');
    expect(always.map((e) => `${e.source}->${e.target}`)).toEqual(['m.a->m.b', 'm.a->m.c']);
    expect(g.edges.filter((e) => e.kind === 'initial').map((e) => e.target)).toEqual(['m.a']);
  });
});

describe('layout (Graphviz WASM)', () => {
  it('draws every state and every edge with a stable id', async () => {
    const svg = await layoutSvg(toDot(graph));
    expect(svg.startsWith('<svg')).toBe(true);
    for (const state of graph.states) expect(svg).toContain(`id="state:${state.id}"`);
    graph.edges.forEach((_, i) => expect(svg).toContain(`id="edge:${i}"`));
    const initials = graph.edges.filter((e) => e.kind === 'initial');
    for (const e of initials) expect(svg).toContain(`id="init:${e.source}"`);
  });
});

function report(
  run: Partial<NonNullable<OverlayInput['run']>>,
  journal: OverlayInput['journal'],
): OverlayInput {
  const steps = [...new Set(journal.map((r) => r.step))].map((step) => {
    const rows = journal.filter((r) => r.step === step);
    return {
      step,
      attempts: rows.length,
      firstStartedAt: rows[0]!.startedAt,
      lastFinishedAt: rows.at(-1)!.finishedAt,
      durationMs: rows.reduce((n, r) => n + r.durationMs, 0),
      outcome: rows.at(-1)!.outcome,
      lastError: rows.findLast((r) => r.error)?.error ?? null,
    };
  });
  return {
    volumeId: 'v',
    run: {
      runId: 'r',
      status: 'running',
      machineVersion: bootMachine.version!,
      currentStep: null,
      stateValue: null,
      startedAt: '2024-01-01T00:00:00.000Z',
      updatedAt: '2024-01-01T00:00:01.000Z',
      finishedAt: null,
      wallMs: 1000,
      error: null,
      failure: null,
      degraded: [],
      ...run,
    },
    steps,
    journal,
  };
}

function row(step: string, outcome: string, durationMs = 10, error: string | null = null) {
  return {
    step,
    attempt: 1,
    startedAt: '2024-01-01T00:00:00.000Z',
    finishedAt: '2024-01-01T00:00:00.010Z',
    durationMs,
    outcome,
    error,
    detail: null,
  } as OverlayInput['journal'][number];
}

describe('buildOverlay', () => {
  it('flattens a persisted state value into leaf state ids', () => {
    expect(leafIdsOf('boot', 'done')).toEqual(['boot.done']);
    expect(
      leafIdsOf('boot', { provision: { gitea: { createOrg: 'backoff' }, runner: 'ready' } }).sort(),
    ).toEqual(['boot.provision.gitea.createOrg.backoff', 'boot.provision.runner.ready']);
  });

  it('a failed boot: the failed step and the failed end are marked, steps before done, after pending', () => {
    const journal = [
      row('detectModes', 'ok'),
      row('prepareSecrets', 'ok'),
      row('writeAppIni', 'ok'),
      row('startGitea', 'ok'),
      row('awaitApi', 'ok'),
      row('createUsers', 'ok'),
      row('createTokens', 'ok'),
      row('buildRunnerWorker', 'skipped'),
      row('createOrg', 'error', 30, 'POST /api/v1/orgs answered 418'),
    ];
    const overlay = buildOverlay(
      graph,
      report(
        {
          status: 'failed',
          stateValue: 'failed',
          failure: { step: 'createOrg', message: 'answered 418', hint: null, domain: 'gitea' },
        },
        journal,
      ),
    );
    const status = (id: string) => overlay.states[id]!.status;
    expect(status('boot.provision.gitea.createOrg')).toBe('failed');
    expect(status('boot.provision.gitea.createOrg.run')).toBe('failed');
    expect(status('boot.failed')).toBe('failed');
    expect(overlay.states['boot.failed']!.current).toBe(true);
    expect(status('boot.provision.gitea.createTokens')).toBe('done');
    expect(status('boot.provision.runner.buildRunnerWorker')).toBe('skipped');
    expect(status('boot.provision.gitea.addOwner')).toBe('pending');
    expect(status('boot.done')).toBe('pending');
    expect(overlay.steps.createOrg).toMatchObject({ attempts: 1, durationMs: 30, status: 'failed' });
    expect(overlay.steps.createOrg!.rows).toHaveLength(1);
    // The edge that was taken into `failed` is the createOrg one, not another step's.
    const taken = graph.edges.filter((e) => overlay.takenEdges.includes(e.id) && e.target === 'boot.failed');
    expect(taken.map((e) => e.source)).toEqual(['boot.provision.gitea.createOrg.run']);
  });

  it('a running boot: both regions’ current steps, a retrying one in backoff', () => {
    const overlay = buildOverlay(
      graph,
      report(
        {
          status: 'running',
          stateValue: { provision: { gitea: { awaitApi: 'backoff' }, runner: { buildRunnerWorker: 'run' } } },
        },
        [row('detectModes', 'ok'), row('prepareSecrets', 'ok'), row('awaitApi', 'error', 5, 'refused')],
      ),
    );
    const s = (id: string) => overlay.states[id]!;
    expect(s('boot.provision.gitea.awaitApi').status).toBe('current');
    expect(s('boot.provision.gitea.awaitApi.backoff')).toMatchObject({ status: 'current', current: true });
    expect(overlay.steps.awaitApi!.retrying).toBe(true);
    expect(s('boot.provision.runner.buildRunnerWorker').status).toBe('current');
    expect(s('boot.provision.runner.buildRunnerWorker.run').current).toBe(true);
    expect(s('boot.detectModes').status).toBe('done');
    expect(s('boot.provision.gitea.createUsers').status).toBe('pending');
    expect(s('boot.provision').current).toBe(true);
  });

  it('a completed external-Gitea boot: the untaken internal branch is skipped, done is reached', () => {
    const steps = BOOT_STEPS.filter(
      (x) => !['writeAppIni', 'startGitea', 'awaitApi', 'stopGitea'].includes(x),
    );
    const overlay = buildOverlay(
      graph,
      report(
        { status: 'completed', stateValue: 'done' },
        steps.map((x) => row(x, 'ok')),
      ),
    );
    expect(overlay.states['boot.provision.gitea.checkExternalGitea']!.status).toBe('done');
    expect(overlay.states['boot.provision.gitea.writeAppIni']!.status).toBe('skipped');
    expect(overlay.states['boot.provision.gitea.stopGitea']!.status).toBe('skipped');
    expect(overlay.states['boot.done']).toMatchObject({ status: 'done', current: true });
    const dot = toDot(graph, overlay);
    expect(dot).toMatch(/"state:boot\.done", class="state final final done is-current visited"/);
  });
});
