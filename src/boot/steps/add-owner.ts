// The addOwner step: gigi is in the Owners team of ORG_NAME.
import type { StepOutput } from '../../../machines/boot.ts';
import { GIGI_GITEA_USERNAME } from '../../config/gitea-names.ts';
import { ensureOwner } from '../../gitea/ensure.ts';
import { adminApi, ensureGiteaReady, type GiteaSessionDeps } from './gitea-session.ts';
import { apiFault, defineStep } from './step.ts';

export type AddOwnerDeps = GiteaSessionDeps;

export const addOwner = defineStep<AddOwnerDeps>({
  fault: apiFault('PUT', '/teams/{id}/members/gigi'),
  create:
    (deps) =>
    async (input, signal): Promise<StepOutput> => {
      await ensureGiteaReady(deps, input, signal);
      const result = await ensureOwner({
        api: await adminApi(deps, input),
        org: deps.config.orgName,
        username: GIGI_GITEA_USERNAME,
        signal,
      });
      return { outcome: result.action };
    },
});
