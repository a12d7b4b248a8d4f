// The prepareSecrets step: the webhook secret, generated once and kept in the config table (a
// resumed or repeated boot finds it there and keeps it).
import type { StepOutput } from '../../../machines/boot.ts';
import { CONFIG_KEYS } from '../config-keys.ts';
import { generateSecret } from '../secrets.ts';
import type { StepContext } from './context.ts';
import { defineStep, storeFault } from './step.ts';

export type PrepareSecretsDeps = Pick<StepContext, 'store' | 'redactor' | 'storedSecret'>;

export const prepareSecrets = defineStep<PrepareSecretsDeps>({
  fault: storeFault,
  create:
    ({ store, redactor, storedSecret }) =>
    async (): Promise<StepOutput> => {
      const existing = await storedSecret(CONFIG_KEYS.webhookSecret);
      if (existing) return { outcome: 'existed' };
      const secret = generateSecret();
      redactor.add(secret);
      await store.writeConfig({ [CONFIG_KEYS.webhookSecret]: secret });
      return { outcome: 'created' };
    },
});
