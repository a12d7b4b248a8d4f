// The boot steps that talk to Gitea. Each one is check-then-create and saves what it learns
// (generated passwords, the token value, the webhook id) in the same step, because a resumed
// boot re-runs the step that was in flight and Gitea shows a token or password only once.
import type { StepInput, StepOutput } from '../../machines/boot.ts';
import { GIGI_GITEA_USERNAME } from '../config/gitea-names.ts';
import { GITEA_SCOPE_CATEGORIES } from '../config/schema.ts';
import { GiteaApiError, GiteaProcessError } from '../errors.ts';
import { basic, GiteaClient, waitForApi } from '../gitea/api.ts';
import { ensureAppAccount, ensureInternalAdmin, type SavedPassword } from '../gitea/accounts.ts';
import {
  ensureExternalUserExists,
  ensureOrg,
  ensureOwner,
  ensureSystemWebhook,
  recreateToken,
} from '../gitea/ensure.ts';
import { AccessTokenSchema, UserSchema } from '../gitea/schemas.ts';
import { z } from 'zod';
import { CONFIG_KEYS } from './config-keys.ts';
import type { StepContext } from './compose.ts';
import type { StepImplementations } from './run-boot.ts';

const TokenListSchema = z.array(AccessTokenSchema.extend({ token_last_eight: z.string().optional() }));

/** Gitea's scope normalisation (CONTRACT §A.1): `all` = every write scope; write:X implies read:X. */
export function normaliseScopes(scopes: readonly string[]): string[] {
  const set = new Set<string>();
  for (const scope of scopes) {
    if (scope === 'all') GITEA_SCOPE_CATEGORIES.forEach((c) => set.add(`write:${c}`));
    else set.add(scope);
  }
  for (const c of GITEA_SCOPE_CATEGORIES) if (set.has(`write:${c}`)) set.delete(`read:${c}`);
  return [...set].sort();
}

/** Is `token` gigi's current GIGI_TOKEN_NAME token, with exactly these scopes? */
async function tokenStillValid(
  api: GiteaClient,
  token: string,
  scopes: readonly string[],
  signal: AbortSignal,
): Promise<boolean> {
  const tokens = await api.get(`/users/${GIGI_GITEA_USERNAME}/tokens`, TokenListSchema, {
    query: { limit: 50 },
    signal,
  });
  const mine = tokens.find((t) => t.name === GIGI_TOKEN_NAME);
  if (!mine || mine.token_last_eight !== token.slice(-8)) return false;
  return JSON.stringify(normaliseScopes(mine.scopes ?? [])) === JSON.stringify(normaliseScopes(scopes));
}

/** The name of gigi's API token in Gitea (deleted and recreated on every run of createTokens). */
export const GIGI_TOKEN_NAME = 'gigi-app';

type GiteaStepName =
  | 'awaitApi'
  | 'checkExternalGitea'
  | 'createUsers'
  | 'createTokens'
  | 'createOrg'
  | 'addOwner'
  | 'registerWebhook';

function isInternal(input: StepInput): boolean {
  return input.modes?.gitea !== 'external';
}

/** The email of the `gigi` account: distinct from the admin's, which Gitea requires. */
export function gigiEmail(adminEmail: string): string {
  const candidate = 'gigi@gigi.local';
  return candidate.toLowerCase() === adminEmail.toLowerCase() ? 'gigi-app@gigi.local' : candidate;
}

export function giteaSteps(ctx: StepContext): Pick<StepImplementations, GiteaStepName> {
  const { config, store, redactor } = ctx;
  const internalBaseUrl = `http://127.0.0.1:${config.giteaHttpPort}`;
  const baseUrl = (input: StepInput) => (isInternal(input) ? internalBaseUrl : config.giteaUrl!);

  /** Internal mode: a resumed boot finds no temporary Gitea (it died with the old process). */
  const ready = async (input: StepInput, signal: AbortSignal) => {
    if (!isInternal(input)) return;
    await ctx.ensureGiteaRunning(signal);
    await waitForApi({ baseUrl: internalBaseUrl, timeoutMs: config.deadlines.giteaReadyMs, signal });
  };

  const adminPassword = async (input: StepInput): Promise<string> => {
    if (!isInternal(input)) return config.adminPassword!;
    const stored = await ctx.storedSecret(CONFIG_KEYS.adminPassword);
    if (!stored) {
      throw new GiteaProcessError(
        {
          message: `the admin password of "${config.adminUser}" is not in the config table (${CONFIG_KEYS.adminPassword})`,
        },
        {
          hint: 'createUsers saves it before creating the admin: run `gigi-boot reset --from createUsers`, then run again',
        },
      );
    }
    return stored;
  };

  const adminApi = async (input: StepInput) =>
    new GiteaClient({
      baseUrl: baseUrl(input),
      auth: basic(config.adminUser, await adminPassword(input)),
      timeoutMs: config.deadlines.httpRequestMs,
    });

  /** A password slot of the config table; saving registers the value for redaction first. */
  const savedPassword = (key: string): SavedPassword => ({
    key,
    read: () => ctx.storedSecret(key),
    save: async (value) => {
      redactor.add(value);
      await store.writeConfig({ [key]: value });
    },
  });
  const onSecret = (value: string) => redactor.add(value);

  return {
    awaitApi: async (input, signal): Promise<StepOutput> => {
      await ctx.ensureGiteaRunning(signal);
      const { version } = await waitForApi({
        baseUrl: internalBaseUrl,
        timeoutMs: config.deadlines.giteaReadyMs,
        signal,
      });
      return { outcome: `ready (Gitea ${version})` };
    },

    checkExternalGitea: async (input, signal): Promise<StepOutput> => {
      const { version } = await waitForApi({
        baseUrl: baseUrl(input),
        timeoutMs: config.deadlines.giteaReadyMs,
        signal,
      });
      const api = await adminApi(input);
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

    createUsers: async (input, signal): Promise<StepOutput> => {
      await ready(input, signal);
      const gigiAccount = async (external: boolean) =>
        ensureAppAccount({
          api: await adminApi(input),
          username: GIGI_GITEA_USERNAME,
          email: gigiEmail(config.adminEmail),
          password: savedPassword(CONFIG_KEYS.giteaPassword),
          external,
          onSecret,
          signal,
        });
      if (!isInternal(input)) {
        const api = await adminApi(input);
        await ensureExternalUserExists({ api, username: config.adminUser, signal });
        return { outcome: `admin existed, gigi ${await gigiAccount(true)}` };
      }
      const admin = await ensureInternalAdmin({
        api: new GiteaClient({ baseUrl: internalBaseUrl, timeoutMs: config.deadlines.httpRequestMs }),
        cli: {
          bin: config.giteaBin,
          configPath: ctx.paths.appIni,
          workDir: ctx.paths.giteaWorkDir,
          runAs: await ctx.runAs(),
          timeoutMs: config.deadlines.commandMs,
        },
        username: config.adminUser,
        email: config.adminEmail,
        password: savedPassword(CONFIG_KEYS.adminPassword),
        onSecret,
        signal,
      });
      return { outcome: `admin ${admin}, gigi ${await gigiAccount(false)}` };
    },

    createTokens: async (input, signal): Promise<StepOutput> => {
      await ready(input, signal);
      const api = await adminApi(input);
      // A token value is shown once: keep the stored one while Gitea still has it, with our scopes,
      // so a re-run (changed settings, earlier failure) does not rotate the app's token.
      const stored = await ctx.storedSecret(CONFIG_KEYS.giteaToken);
      if (stored && (await tokenStillValid(api, stored, config.tokenScopes, signal)))
        return { outcome: 'existed' };
      const result = await recreateToken({
        api,
        owner: GIGI_GITEA_USERNAME,
        name: GIGI_TOKEN_NAME,
        scopes: config.tokenScopes,
        signal,
      });
      redactor.add(result.token);
      await store.writeConfig({ [CONFIG_KEYS.giteaToken]: result.token });
      return { outcome: result.action };
    },

    createOrg: async (input, signal): Promise<StepOutput> => {
      await ready(input, signal);
      const result = await ensureOrg({ api: await adminApi(input), name: config.orgName, signal });
      return { outcome: result.action };
    },

    addOwner: async (input, signal): Promise<StepOutput> => {
      await ready(input, signal);
      const result = await ensureOwner({
        api: await adminApi(input),
        org: config.orgName,
        username: GIGI_GITEA_USERNAME,
        signal,
      });
      return { outcome: result.action };
    },

    registerWebhook: async (input, signal): Promise<StepOutput> => {
      await ready(input, signal);
      const secret = await ctx.storedSecret(CONFIG_KEYS.webhookSecret);
      if (!secret)
        throw new GiteaProcessError(
          { message: 'the webhook secret is missing from the config table' },
          { hint: 'run again: prepareSecrets creates it' },
        );
      const knownRaw = await store.getConfigValue(CONFIG_KEYS.webhookId);
      const knownId = knownRaw && /^\d+$/.test(knownRaw) ? Number(knownRaw) : undefined;
      const result = await ensureSystemWebhook({
        api: await adminApi(input),
        url: config.webhookUrl,
        secret,
        knownId,
        signal,
      });
      await store.writeConfig({ [CONFIG_KEYS.webhookId]: String(result.id) });
      if (result.action !== 'existed' || result.deleted.length > 0)
        // A deliberate difference from the bash entrypoint, said where it happens.
        ctx.logger.info(
          { event: 'webhook.system', action: result.action, deleted: result.deleted },
          `one system webhook to WEBHOOK_URL (${result.action}${result.deleted.length > 0 ? `; deleted ${result.deleted.length} other hook(s) to it, such as the bash entrypoint's default webhook` : ''}): a default webhook, as the bash entrypoint made, is only copied into repositories created later, while a system webhook delivers every repository's events once`,
        );
      return { outcome: result.action };
    },
  };
}
