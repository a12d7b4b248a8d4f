// The detectModes step: which Gitea (internal or external), which Chrome and whether Docker is
// there, read from the config and the volume; and whether this run redoes only the runner-worker
// image (the plan's scope). It writes nothing, and reports an adopted bash-entrypoint volume.
import type { StepOutput } from '../../../machines/boot.ts';
import { describeAdoption } from '../adoption.ts';
import { detectModes as readModes } from '../detect-modes.ts';
import type { StepContext } from './context.ts';
import { defineStep, dockerFault } from './step.ts';

export type DetectModesDeps = Pick<StepContext, 'config' | 'paths' | 'logger' | 'scope'>;

export const detectModes = defineStep<DetectModesDeps>({
  // The one probe that can fail is the Docker engine's.
  fault: dockerFault('daemon-down'),
  create:
    ({ config, paths, logger, scope: planned }) =>
    async (): Promise<StepOutput> => {
      const modes = await readModes(config);
      const scope = planned ?? 'all';
      const adoption = describeAdoption(config.dataDir, paths);
      if (adoption) logger.info({ event: 'volume.adopted', layout: paths.layout }, adoption.message);
      logger.info(
        { event: 'boot.modes', modes, scope },
        `Gitea ${modes.gitea}, Chrome ${modes.chrome}, Docker ${modes.docker ? 'present' : 'absent'}${scope === 'runner' ? '; runner-worker image only' : ''}`,
      );
      return {
        modes,
        scope,
        outcome: `gitea:${modes.gitea} chrome:${modes.chrome} docker:${modes.docker ? 'yes' : 'no'}${scope === 'runner' ? ' scope:runner' : ''}${adoption ? ` ${adoption.outcome}` : ''}`,
      };
    },
});
