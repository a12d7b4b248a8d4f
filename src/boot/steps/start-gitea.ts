// The startGitea step: start the temporary Gitea (internal mode) and wait for its port.
import type { StepOutput } from '../../../machines/boot.ts';
import { startTemporaryGitea } from '../../gitea/process.ts';
import type { StepContext } from './context.ts';
import { defineStep, processFault } from './step.ts';

export type StartGiteaDeps = Pick<StepContext, 'giteaTarget'>;

export const startGitea = defineStep<StartGiteaDeps>({
  fault: processFault,
  create:
    ({ giteaTarget }) =>
    async (_input, signal): Promise<StepOutput> => {
      const gitea = await startTemporaryGitea(await giteaTarget(signal));
      return { outcome: `started pid ${gitea.pid}` };
    },
});
