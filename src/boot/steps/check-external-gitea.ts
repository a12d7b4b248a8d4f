// The checkExternalGitea step (external mode): GITEA_URL answers, and ADMIN_USER/ADMIN_PASSWORD
// are a site administrator's there.
import type { StepOutput } from '../../../machines/boot.ts';
import { GiteaApiError } from '../../errors.ts';
import { waitForApi } from '../../gitea/api.ts';
import { UserSchema } from '../../gitea/schemas.ts';
import type { StepContext } from './context.ts';
import { adminApi, baseUrlFor } from './gitea-session.ts';
import { apiFault, defineStep } from './step.ts';

export type CheckExternalGiteaDeps = Pick<StepContext, 'config' | 'storedSecret'>;

export const checkExternalGitea = defineStep<CheckExternalGiteaDeps>({
  fault: apiFault('GET', '/user'),
  create:
    (deps) =>
    async (input, signal): Promise<StepOutput> => {
      const { config } = deps;
      const { version } = await waitForApi({
        baseUrl: baseUrlFor(config, input),
        timeoutMs: config.deadlines.giteaReadyMs,
        signal,
      });
      const api = await adminApi(deps, input);
      const me = await api.get('/user', UserSchema, { signal });
      if ((me as { is_admin?: unknown }).is_admin !== true) {
        throw new GiteaApiError(
          {
            method: 'GET',
            path: '/user',
            status: 200,
            message: `"${config.adminUser}" is not a site admin of ${config.giteaUrl}`,
          },
          { hint: 'ADMIN_USER/ADMIN_PASSWORD must be the credentials of a Gitea site administrator' },
        );
      }
      return { outcome: `reachable (Gitea ${version})` };
    },
});
