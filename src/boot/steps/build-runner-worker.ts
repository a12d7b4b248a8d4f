// The buildRunnerWorker step: make sure the CI runner's image exists and matches its build
// context, through the Docker API. Non-fatal by design, and after the hand-off (the app does
// not wait for it): no Docker → skipped with the reason (a configured engine that never answered
// is tried again at a later restart, see runnerRecordOf); anything else wrong → the boot
// completes as degraded and a later restart tries again, with backoff (src/boot/plan.ts).
import type { StepOutput } from '../../../machines/boot.ts';
import { connectDocker, DEFAULT_DOCKER_SOCKET, ensureRunnerImage } from '../../docker/index.ts';
import { isBootError } from '../../errors.ts';
import type { StepContext } from './context.ts';
import { defineStep, dockerFault } from './step.ts';

export type BuildRunnerWorkerDeps = Pick<StepContext, 'config' | 'logger'>;

export const buildRunnerWorker = defineStep<BuildRunnerWorkerDeps>({
  fault: dockerFault('build-failed'),
  /** Build (or find up to date) the runner-worker image; journal detail says which and how long. */
  create:
    ({ config, logger }) =>
    async (input, signal): Promise<StepOutput> => {
      if (!input.modes?.docker) {
        return {
          outcome: 'skipped',
          detail: { reason: `no Docker socket (${DEFAULT_DOCKER_SOCKET}) and no DOCKER_HOST` },
        };
      }
      let connection;
      try {
        connection = await connectDocker({
          socketPath: config.docker.socketPath,
          dockerHost: config.docker.dockerHost,
          socketWaitMs: config.deadlines.dockerSocketWaitMs,
          signal,
        });
      } catch (error) {
        if (isBootError(error) && (error as { reason?: unknown }).reason === 'no-socket') {
          return { outcome: 'skipped', detail: { reason: error.message } };
        }
        throw error;
      }
      const result = await ensureRunnerImage({
        docker: connection.docker,
        endpoint: connection.endpoint,
        contextDir: config.docker.runnerContextDir,
        image: config.docker.runnerImage,
        buildArgs: config.docker.buildArgs,
        ...(config.docker.networkMode ? { networkMode: config.docker.networkMode } : {}),
        signal,
        onProgress: (line) => logger.info({ event: 'docker.build', step: 'buildRunnerWorker', line }, line),
      });
      return {
        outcome: result.action,
        detail: {
          imageId: result.imageId,
          tags: result.tags,
          contextHash: result.contextHash,
          durationMs: result.durationMs,
          cacheHit: result.cacheHit,
          socketWaitedMs: connection.socketWaitedMs,
        },
      };
    },
});
