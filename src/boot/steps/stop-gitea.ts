// The stopGitea step: stop the temporary Gitea before supervisord starts the real one.
import type { StepOutput } from '../../../machines/boot.ts';
import { stopTemporaryGitea } from '../../gitea/process.ts';
import type { StepContext } from './context.ts';
import { defineStep, processFault } from './step.ts';

export type StopGiteaDeps = Pick<StepContext, 'config' | 'paths'>;

export const stopGitea = defineStep<StopGiteaDeps>({
  fault: processFault,
  create:
    ({ config, paths }) =>
    async (_input, signal): Promise<StepOutput> => {
      const result = await stopTemporaryGitea({
        pidFile: paths.giteaPidFile,
        configPath: paths.appIni,
        graceMs: config.deadlines.giteaStopMs,
        signal,
      });
      return { outcome: result.action };
    },
});
