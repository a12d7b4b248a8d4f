// The writeAppIni step: the temporary Gitea's work dir (owned by the run user) and its app.ini.
import type { StepOutput } from '../../../machines/boot.ts';
import { ensureWorkDir } from '../../gitea/work-dir.ts';
import { writeGiteaAppIni } from '../gitea-app-ini.ts';
import type { StepContext } from './context.ts';
import { defineStep, processFault } from './step.ts';

export type WriteAppIniDeps = Pick<StepContext, 'config' | 'paths' | 'runAs'>;

export const writeAppIni = defineStep<WriteAppIniDeps>({
  fault: processFault,
  create:
    (deps) =>
    async (_input, signal): Promise<StepOutput> => {
      const { paths, runAs } = deps;
      await ensureWorkDir({
        workDir: paths.giteaWorkDir,
        runAs: await runAs(),
        subdirs:
          paths.layout === 'bash-entrypoint' ? ['conf', 'data', 'log'] : ['custom/conf', 'data', 'log'],
      });
      // Loopback: the temporary Gitea must not be reachable from outside while its admin is
      // created; the hand-off switches to GITEA_HTTP_ADDR for the supervised Gitea.
      const result = await writeGiteaAppIni(deps, 'boot', signal);
      return { outcome: result.action };
    },
});
