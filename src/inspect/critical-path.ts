// The critical path of a boot (like `systemd-analyze critical-chain`): the chain of steps that
// set its wall time. --blame sums step time, but the Gitea region and the runner-worker build
// run side by side, so that sum overstates the wall time and hides which branch was the slow
// one. The chain ends at the step that finished last and walks back through what each step
// waited for: the step before it in its own region, or, for a region's first step, the
// top-level step that forked the regions.
import { bootMachine, isBootStep } from '../../machines/boot.ts';
import type { StepSummary } from './step-summary.ts';

export interface CriticalLink {
  step: string;
  startedAt: string;
  finishedAt: string;
  /** From the step's first start to its last finish: its attempts and their back-offs. */
  spanMs: number;
  /** Offset of its first start from the run's start. */
  atMs: number;
}

/** Which region of the machine each step is in ('top' outside the parallel state). */
function regionsOfMachine(): Map<string, string> {
  const regions = new Map<string, string>();
  const provision = bootMachine.root.states.provision;
  for (const [region, node] of Object.entries(provision?.states ?? {}))
    for (const step of Object.keys(node.states)) if (isBootStep(step)) regions.set(step, region);
  return regions;
}

let regions: Map<string, string> | null = null;

/** Why: the steps that made the boot as long as it was, first to last. */
export function criticalPath(steps: readonly StepSummary[], runStartedAt: string): CriticalLink[] {
  regions ??= regionsOfMachine();
  const regionOf = (step: string) => regions!.get(step) ?? 'top';
  const timed = steps.map((s) => ({
    summary: s,
    start: Date.parse(s.firstStartedAt),
    end: Date.parse(s.lastFinishedAt),
  }));
  if (timed.length === 0) return [];
  let current = timed.reduce((a, b) => (b.end > a.end ? b : a));
  const chain = [current];
  for (;;) {
    const here = current;
    const before = timed.filter((t) => !chain.includes(t) && t.end <= here.start);
    const sameRegion = before.filter((t) => regionOf(t.summary.step) === regionOf(here.summary.step));
    const pool =
      sameRegion.length > 0 ? sameRegion : before.filter((t) => regionOf(t.summary.step) === 'top');
    if (pool.length === 0) break;
    current = pool.reduce((a, b) => (b.end > a.end ? b : a));
    chain.push(current);
  }
  const origin = Date.parse(runStartedAt);
  return chain.reverse().map((t) => ({
    step: t.summary.step,
    startedAt: t.summary.firstStartedAt,
    finishedAt: t.summary.lastFinishedAt,
    spanMs: Math.max(0, t.end - t.start),
    atMs: Math.max(0, t.start - origin),
  }));
}
