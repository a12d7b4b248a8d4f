// The provision phase of one boot, from its journal: how long the Gitea region and the
// runner-worker build each took, how long the phase took with them side by side, and what it
// would take with one after the other. Pure: unit-tested in helpers.test.ts.
import { GITEA_REGION_STEPS as MACHINE_GITEA_REGION_STEPS } from '../../machines/boot.ts';
import { BenchFailure } from './failure.ts';

/** The steps of the machine's `provision.gitea` region (internal or external Gitea). */
export const GITEA_REGION_STEPS: ReadonlySet<string> = new Set(MACHINE_GITEA_REGION_STEPS);
/** The one step of the `provision.runner` region. */
export const BUILD_STEP_NAME = 'buildRunnerWorker';

export interface TimedRow {
  step: string;
  startedAt: string | Date;
  finishedAt: string | Date;
}

export interface ParallelTimings {
  /** First start to last finish of the Gitea-region steps (retries and back-off sleeps included). */
  giteaRegionMs: number;
  /** First start to last finish of buildRunnerWorker (all attempts). */
  buildMs: number;
  /** First start to last finish of both together: what the boot really spent. */
  provisionWallMs: number;
  /** Gitea region + build: what the same steps take one after the other. */
  sequentialMs: number;
  /** How long both were running at once. */
  overlapMs: number;
  /** provisionWallMs / sequentialMs. */
  ratio: number;
  /** max / sum of the two: the ratio a perfect overlap gives. */
  idealRatio: number;
}

interface Span {
  start: number;
  end: number;
}

function spanOf(rows: readonly TimedRow[], what: string): Span {
  if (rows.length === 0) throw new BenchFailure(`the boot's journal has no ${what} rows`);
  return {
    start: Math.min(...rows.map((r) => new Date(r.startedAt).getTime())),
    end: Math.max(...rows.map((r) => new Date(r.finishedAt).getTime())),
  };
}

/** Why: the parallel figure is computed from one run's journal, so both sides see the same machine. */
export function analyseProvision(journal: readonly TimedRow[]): ParallelTimings {
  const gitea = spanOf(
    journal.filter((r) => GITEA_REGION_STEPS.has(r.step)),
    'Gitea-region step',
  );
  const build = spanOf(
    journal.filter((r) => r.step === BUILD_STEP_NAME),
    BUILD_STEP_NAME,
  );
  const giteaRegionMs = gitea.end - gitea.start;
  const buildMs = build.end - build.start;
  const provisionWallMs = Math.max(gitea.end, build.end) - Math.min(gitea.start, build.start);
  const sequentialMs = giteaRegionMs + buildMs;
  return {
    giteaRegionMs,
    buildMs,
    provisionWallMs,
    sequentialMs,
    overlapMs: Math.max(0, Math.min(gitea.end, build.end) - Math.max(gitea.start, build.start)),
    ratio: sequentialMs > 0 ? provisionWallMs / sequentialMs : Number.NaN,
    idealRatio: sequentialMs > 0 ? Math.max(giteaRegionMs, buildMs) / sequentialMs : Number.NaN,
  };
}
