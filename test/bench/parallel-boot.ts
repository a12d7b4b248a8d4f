// Figure 5: a first boot whose runner-worker image really builds (FROM scratch + busybox, a
// nonce, `RUN busybox sleep N`) beside the Gitea initialisation (simulator with a fixed start-up
// delay), on the real Docker engine. From that one run's journal: the wall of the provision
// phase versus what the same steps take one after the other (Gitea region + build), as a ratio;
// ideally max/sum of the two.
import { BUILD_STEP_NAME, type ParallelTimings, analyseProvision } from './provision-timings.ts';
import { endpoint, makeContext } from '../docker/helpers.ts';
import { BenchFailure } from './failure.ts';
import { measureFirstBoot, type FirstBootResult } from './first-boot.ts';
import type { Workspace } from './workspace.ts';

export interface ParallelBootResult {
  giteaDelayMs: number;
  buildSleepSeconds: number;
  timings: ParallelTimings;
  /** The build step's own report: image id and the duration ensureRunnerImage measured. */
  build: { imageId: string; ensureMs: number };
  boot: FirstBootResult;
}

/** The boot's Docker settings: the bench's engine, this context, this image name. */
function dockerEnv(contextDir: string, image: string): Record<string, string> {
  const base = { GIGI_BOOT_RUNNER_CONTEXT: contextDir, GIGI_BOOT_RUNNER_IMAGE: image };
  return endpoint.kind === 'unix'
    ? { ...base, GIGI_BOOT_DOCKER_SOCKET: endpoint.socketPath }
    : // An empty socket path setting leaves the choice to DOCKER_HOST.
      { ...base, GIGI_BOOT_DOCKER_SOCKET: '', DOCKER_HOST: `tcp://${endpoint.host}:${endpoint.port}` };
}

/** Why: one real first boot that builds beside Gitea; fails unless the image was really built, not found or cached. */
export async function measureParallelBoot(
  workspace: Workspace,
  cli: string,
  serverUrl: string,
  giteaDelayMs: number,
  buildSleepSeconds: number,
): Promise<ParallelBootResult> {
  const context = makeContext([`RUN ["/bin/busybox", "sleep", "${buildSleepSeconds}"]`]);
  const label = `first boot with a runner-worker build (${buildSleepSeconds} s) beside Gitea (${giteaDelayMs} ms start-up delay)`;
  const { result, journal } = await measureFirstBoot(workspace, cli, serverUrl, giteaDelayMs, {
    label,
    extraEnv: dockerEnv(context.dir, context.image),
  });
  const builds = journal.filter((r) => r.step === BUILD_STEP_NAME);
  const last = builds.at(-1);
  // The step's own outcome (built / up-to-date) is in the journal row's detail.
  const detail = last?.detail;
  if (
    last?.outcome !== 'ok' ||
    detail?.outcome !== 'built' ||
    detail.cacheHit !== false ||
    typeof detail.imageId !== 'string'
  ) {
    throw new BenchFailure(
      `${label}: expected ${BUILD_STEP_NAME} to have built the image from scratch, the journal says ${last ? `${last.outcome} ${JSON.stringify(detail ?? last.error)}` : 'it never ran'}; the figure would not time a build`,
    );
  }
  return {
    giteaDelayMs,
    buildSleepSeconds,
    timings: analyseProvision(journal),
    build: { imageId: detail.imageId, ensureMs: Number(detail.durationMs) },
    boot: result,
  };
}
