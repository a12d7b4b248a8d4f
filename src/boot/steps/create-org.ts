// The createOrg step: the organization ORG_NAME exists.
import { ensureOrg } from '../../gitea/ensure.ts';
import { adminApi, ensureGiteaReady, type GiteaSessionDeps } from './gitea-session.ts';
import { apiFault, defineStep } from './step.ts';

export type CreateOrgDeps = GiteaSessionDeps;

export const createOrg = defineStep<CreateOrgDeps>({
  fault: apiFault('POST', '/orgs'),
  create: (deps) => async (input, signal) => {
    await ensureGiteaReady(deps, input, signal);
    const api = await adminApi(deps, input);
    const { action } = await ensureOrg({ api, name: deps.config.orgName, signal });
    return { outcome: action };
  },
});
