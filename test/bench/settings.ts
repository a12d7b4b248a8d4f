// The bench's knobs, read from BENCH_* environment variables. Bad values stop the bench with a
// message naming the variable, rather than silently measuring something else.
import { BenchFailure } from './failure.ts';

export interface BenchSettings {
  /** Timed warm boots on Postgres (and `node -e 0` baselines, interleaved). */
  warmIterations: number;
  /** Timed warm boots on PGlite: each costs ~10 s of PGlite start-up, so fewer by default. */
  pgliteIterations: number;
  /** First boots on the simulator, each on a fresh volume and database. */
  firstBoots: number;
  /** The simulated Gitea start-up delay (simulator fault `startupDelayMs`). */
  giteaDelayMs: number;
  /** Timed saveCheckpoint calls (and `SELECT 1` baselines). */
  checkpoints: number;
  /** Size the checkpointed snapshot is padded up to when the real one is smaller (bytes of JSON). */
  snapshotBytes: number;
  /** Measure the runner-worker figures on the real Docker engine (BENCH_DOCKER=0 leaves them out). */
  docker: boolean;
  /** Timed runner-image up-to-date checks (and Docker `/_ping` baselines). */
  imageChecks: number;
  /** The simulated Gitea start-up delay of the first boot that builds the runner image beside Gitea. */
  parallelGiteaDelayMs: number;
  /** How long that boot's image build runs (`RUN busybox sleep N`), in seconds. */
  buildSeconds: number;
  /** The slow build of the time-to-hand-off figure, in seconds (BENCH_SLOW_BUILD_SECONDS). */
  slowBuildSeconds: number;
  /** Restarts after a degraded run (and as many warm starts) timed (BENCH_RESTARTS). */
  restarts: number;
  /** Volumes booting at once against one Postgres (BENCH_BOXES). */
  boxes: number;
  /** Keep the volumes and data dirs (BENCH_KEEP=1), e.g. to inspect a failed boot. */
  keep: boolean;
  /** Where the JSON result goes. */
  outputFile: string;
}

export const SETTINGS_HELP = `Settings (environment):
  BENCH_ITERATIONS           timed warm boots on Postgres (default 10)
  BENCH_PGLITE_ITERATIONS    timed warm boots on PGlite (default min(BENCH_ITERATIONS, 3))
  BENCH_FIRST_BOOTS          first boots on the simulator (default 1)
  BENCH_GITEA_DELAY_MS       simulated Gitea start-up delay in ms (default 1000)
  BENCH_CHECKPOINTS          timed saveCheckpoint calls (default 300)
  BENCH_SNAPSHOT_BYTES       pad the checkpointed snapshot up to this size (default 3072; 0 = real size)
  BENCH_DOCKER               0 leaves out the runner-worker figures (default 1: needs a Docker engine,
                             see test/support/start-dockerd.sh)
  BENCH_IMAGE_CHECKS         timed runner-image up-to-date checks (default 30)
  BENCH_PARALLEL_GITEA_DELAY_MS  simulated Gitea start-up delay of the boot that builds the runner
                             image beside Gitea (default 2500)
  BENCH_BUILD_SECONDS        how long that boot's image build sleeps, in seconds (default 3)
  BENCH_SLOW_BUILD_SECONDS   the slow runner-worker build of the time-to-hand-off figure (default 60)
  BENCH_RESTARTS             restarts after a degraded run, and warm starts, timed (default 5)
  BENCH_BOXES                volumes booting at once against one Postgres (max_connections 100; default 50)
  BENCH_KEEP                 1 keeps the volumes' data dirs afterwards (default 0: removed)
  BENCH_OUTPUT               JSON result file (default test-output/bench.json)`;

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < min) {
    throw new BenchFailure(
      `${name}="${raw}" is not valid: expected a whole number >= ${min} (or unset for the default ${fallback})`,
      { exitCode: 2 },
    );
  }
  return Number(raw);
}

/** Why: one place that turns the environment into validated iteration counts. */
export function readSettings(env: NodeJS.ProcessEnv, defaultOutput: string): BenchSettings {
  const warmIterations = integer(env, 'BENCH_ITERATIONS', 10, 1);
  return {
    warmIterations,
    pgliteIterations: integer(env, 'BENCH_PGLITE_ITERATIONS', Math.min(warmIterations, 3), 0),
    firstBoots: integer(env, 'BENCH_FIRST_BOOTS', 1, 1),
    giteaDelayMs: integer(env, 'BENCH_GITEA_DELAY_MS', 1000, 1),
    checkpoints: integer(env, 'BENCH_CHECKPOINTS', 300, 1),
    snapshotBytes: integer(env, 'BENCH_SNAPSHOT_BYTES', 3072, 0),
    docker: integer(env, 'BENCH_DOCKER', 1, 0) > 0,
    imageChecks: integer(env, 'BENCH_IMAGE_CHECKS', 30, 1),
    parallelGiteaDelayMs: integer(env, 'BENCH_PARALLEL_GITEA_DELAY_MS', 2500, 1),
    buildSeconds: integer(env, 'BENCH_BUILD_SECONDS', 3, 1),
    slowBuildSeconds: integer(env, 'BENCH_SLOW_BUILD_SECONDS', 60, 1),
    restarts: integer(env, 'BENCH_RESTARTS', 5, 1),
    boxes: integer(env, 'BENCH_BOXES', 50, 1),
    keep: integer(env, 'BENCH_KEEP', 0, 0) > 0,
    outputFile: env.BENCH_OUTPUT?.trim() || defaultOutput,
  };
}
