// The persistConfig step: what the app reads from the config table (Gitea's URL as the app
// reaches it, the admin's name, the bot tokens it was given).
import type { StepOutput } from '../../../machines/boot.ts';
import { CONFIG_KEYS } from '../config-keys.ts';
import { giteaUrlFor } from '../paths.ts';
import type { StepContext } from './context.ts';
import { defineStep, storeFault } from './step.ts';

export type PersistConfigDeps = Pick<StepContext, 'config' | 'store'>;

export const persistConfig = defineStep<PersistConfigDeps>({
  fault: storeFault,
  create:
    ({ config, store }) =>
    async (input): Promise<StepOutput> => {
      const entries: Record<string, string> = {
        [CONFIG_KEYS.giteaUrl]: giteaUrlFor(config, input.modes),
        [CONFIG_KEYS.adminUser]: config.adminUser,
      };
      if (config.telegramToken) entries[CONFIG_KEYS.telegramToken] = config.telegramToken;
      if (config.claudeToken) entries[CONFIG_KEYS.claudeToken] = config.claudeToken;
      await store.writeConfig(entries);
      return { outcome: `wrote ${Object.keys(entries).length} keys` };
    },
});
