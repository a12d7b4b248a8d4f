// The registerWebhook step: one system webhook to WEBHOOK_URL with the secret prepareSecrets
// made; its id is kept so a re-run finds it.
import type { StepOutput } from '../../../machines/boot.ts';
import { ensureSystemWebhook } from '../../gitea/ensure.ts';
import { CONFIG_KEYS } from '../config-keys.ts';
import type { StepContext } from './context.ts';
import { adminApi, ensureGiteaReady, requireStored, type GiteaSessionDeps } from './gitea-session.ts';
import { apiFault, defineStep } from './step.ts';

export type RegisterWebhookDeps = GiteaSessionDeps & Pick<StepContext, 'store' | 'logger'>;

export const registerWebhook = defineStep<RegisterWebhookDeps>({
  fault: apiFault('POST', '/admin/hooks'),
  create:
    (deps) =>
    async (input, signal): Promise<StepOutput> => {
      const { config, store, logger } = deps;
      await ensureGiteaReady(deps, input, signal);
      const secret = await requireStored(deps, {
        key: CONFIG_KEYS.webhookSecret,
        what: 'the webhook secret',
        hint: 'run again: prepareSecrets creates it',
      });
      const knownRaw = await store.getConfigValue(CONFIG_KEYS.webhookId);
      const knownId = knownRaw && /^\d+$/.test(knownRaw) ? Number(knownRaw) : undefined;
      const result = await ensureSystemWebhook({
        api: await adminApi(deps, input),
        url: config.webhookUrl,
        secret,
        knownId,
        signal,
      });
      await store.writeConfig({ [CONFIG_KEYS.webhookId]: String(result.id) });
      if (result.action !== 'existed' || result.deleted.length > 0)
        // A deliberate difference from the bash entrypoint, said where it happens.
        logger.info(
          { event: 'gitea.system_webhook', action: result.action, deleted: result.deleted },
          `one system webhook to WEBHOOK_URL (${result.action}${result.deleted.length > 0 ? `; deleted ${result.deleted.length} other hook(s) to it, such as the bash entrypoint's default webhook` : ''}): a default webhook, as the bash entrypoint made, is only copied into repositories created later, while a system webhook delivers every repository's events once`,
        );
      return { outcome: result.action };
    },
});
