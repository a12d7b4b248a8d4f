// The step order and outcomes in machines/README.md and docs/architecture.md, rendered from the
// machine itself: the order is read by following each step's success transitions in
// `bootMachine` (per Gitea mode and scope, the way its guards choose), the outcomes come from
// step-outcomes.ts. Hand-written, the two had drifted (a step drawn after another it runs beside).
import type { AnyStateNode } from 'xstate';
import { BOOT_STEPS, bootMachine, isBootStep, type BootStep } from '../../machines/boot.ts';
import { markdownTable } from './blocks.ts';
import { STEP_OUTCOMES } from './step-outcomes.ts';

/** A step, or regions that run side by side, each a chain of steps. */
type Item = { step: BootStep } | { parallel: string; regions: { name: string; steps: BootStep[] }[] };

interface Scenario {
  title: string;
  /** The value of each guard on a step's success transitions in this scenario. */
  guards: Record<string, boolean>;
}

export const SCENARIOS: readonly Scenario[] = [
  {
    title: 'Internal Gitea (`GITEA_URL` unset): a first boot, a resume or a replay',
    guards: { internalGitea: true, runnerOnly: false },
  },
  {
    title: 'External Gitea (`GITEA_URL` set)',
    guards: { internalGitea: false, runnerOnly: false },
  },
  {
    title:
      "Only the runner-worker image (the plan's `runner` scope: Gitea is set up, the image is missing or stale)",
    guards: { internalGitea: true, runnerOnly: true },
  },
];

const contains = (outer: AnyStateNode, inner: AnyStateNode) =>
  inner.id === outer.id || inner.id.startsWith(`${outer.id}.`);

/** Where a step's success leads in this scenario: the first transition whose guard holds. */
function successTarget(node: AnyStateNode, guards: Record<string, boolean>): AnyStateNode {
  const transitions = node.states.run?.transitions.get(`xstate.done.actor.${node.key}`) ?? [];
  for (const t of transitions) {
    // The machine names its guards (a string, or `{ type }` with params); an inline function has no name.
    const guard =
      t.guard === undefined
        ? undefined
        : typeof t.guard === 'string'
          ? t.guard
          : typeof t.guard === 'object'
            ? t.guard.type
            : '(inline guard)';
    if (guard !== undefined && !(guard in guards))
      throw new Error(
        `${node.key}'s success is guarded by "${guard}": add it to SCENARIOS in steps-reference.ts`,
      );
    if ((guard === undefined || guards[guard]) && t.target?.[0]) return t.target[0];
  }
  throw new Error(`${node.key} has no success transition for ${JSON.stringify(guards)}`);
}

/** The items from `start` until a final state; entering a parallel state yields its regions. */
function follow(start: AnyStateNode, guards: Record<string, boolean>): Item[] {
  const items: Item[] = [];
  let node: AnyStateNode | undefined = start;
  while (node && node.type !== 'final') {
    if (!isBootStep(node.key)) {
      node = node.initial.target[0];
      continue;
    }
    items.push({ step: node.key });
    const target = successTarget(node, guards);
    let parallel: AnyStateNode | undefined = target.parent;
    while (parallel && (parallel.type !== 'parallel' || contains(parallel, node))) parallel = parallel.parent;
    if (!parallel) {
      node = target;
      continue;
    }
    const regions = Object.values(parallel.states).map((region) => ({
      name: region.key,
      steps: follow(contains(region, target) ? target : region.initial.target[0]!, guards).map((item) => {
        if (!('step' in item)) throw new Error(`nested parallel states in ${region.id}`);
        return item.step;
      }),
    }));
    items.push({ parallel: parallel.key, regions });
    node = parallel.transitions.get(`xstate.done.state.${parallel.id}`)?.[0]?.target?.[0];
  }
  return items;
}

/** Why: the order each scenario runs the steps in, for the test that every step appears in one. */
export function stepOrder(guards: Record<string, boolean>): Item[] {
  return follow(bootMachine.root.initial.target[0]!, guards);
}

const code = (text: string) => `\`${text}\``;

function renderScenario({ title, guards }: Scenario): string {
  const lines = stepOrder(guards).map((item, i) =>
    'step' in item
      ? `${i + 1}. ${code(item.step)}`
      : [
          `${i + 1}. side by side (${code(item.parallel)}), the boot ends when every region has:`,
          ...item.regions.map((r) => `   - ${code(r.name)}: ${r.steps.map(code).join(' → ')}`),
        ].join('\n'),
  );
  return [`**${title}**:`, '', ...lines].join('\n');
}

// Why: one block, the same in machines/README.md and docs/architecture.md.
export function renderStepReference(): string {
  const outcomes = markdownTable(
    ['Step', 'Outcome when it succeeds'],
    BOOT_STEPS.map((step) => [code(step), STEP_OUTCOMES[step].map(code).join(' · ')]),
  );
  return [...SCENARIOS.map(renderScenario), outcomes].join('\n\n');
}
