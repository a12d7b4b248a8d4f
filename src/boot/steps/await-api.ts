// The awaitApi step (internal mode): the temporary Gitea answers GET /api/v1/version.
import type { StepOutput } from '../../../machines/boot.ts';
import { waitForApi } from '../../gitea/api.ts';
import type { StepContext } from './context.ts';
import { internalBaseUrl } from './gitea-session.ts';
import { apiFault, defineStep } from './step.ts';

export type AwaitApiDeps = Pick<StepContext, 'config' | 'ensureGiteaRunning'>;

export const awaitApi = defineStep<AwaitApiDeps>({
  fault: apiFault('GET', '/version'),
  create:
    ({ config, ensureGiteaRunning }) =>
    async (_input, signal): Promise<StepOutput> => {
      await ensureGiteaRunning(signal);
      const { version } = await waitForApi({
        baseUrl: internalBaseUrl(config),
        timeoutMs: config.deadlines.giteaReadyMs,
        signal,
      });
      return { outcome: `ready (Gitea ${version})` };
    },
});
