// The boot steps that talk to Gitea. Each one is check-then-create and saves what it learns
// (generated passwords, the token value, the webhook id) in the same step, because a resumed
// boot re-runs the step that was in flight and Gitea shows a token or password only once.
import type { StepInput, StepOutput } from '../../machines/boot.ts';
import { GIGI_GITEA_USERNAME } from '../config/gitea-names.ts';
import { GITEA_SCOPE_CATEGORIES } from '../config/schema.ts';
import { GiteaApiError, GiteaProcessError } from '../errors.ts';
import { randomBytes } from 'node:crypto';
import { basic, GiteaClient, token, waitForApi } from '../gitea/api.ts';
import { generateAccessTokenWithCli } from '../gitea/admin-cli.ts';
import { ensureAppAccount, ensureInternalAdmin, type SavedPassword } from '../gitea/accounts.ts';
import {
  ensureExternalUserExists,
  ensureOrg,
  ensureOwner,
  ensureSystemWebhook,
  recreateToken,
} from '../gitea/ensure.ts';
import { AccessTokenSchema, UserSchema } from '../gitea/schemas.ts';
import * as z from 'zod';
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

/**
 * Is `token` gigi's current GIGI_TOKEN_NAME token, with exactly these scopes? Or, on an adopted
 * volume, the token the bash entrypoint made (another name) with at least these scopes: a token
 * that exists and works is the app's, kept rather than rotated under it.
 */
async function tokenStillValid(
  api: GiteaClient,
  token: string,
  scopes: readonly string[],
  adopted: boolean,
  signal: AbortSignal,
): Promise<boolean> {
  const tokens = await api.get(`/users/${GIGI_GITEA_USERNAME}/tokens`, TokenListSchema, {
    query: { limit: 50 },
    signal,
  });
  const mine = tokens.find((t) => t.token_last_eight === token.slice(-8));
  if (!mine || (mine.name !== GIGI_TOKEN_NAME && !adopted)) return false;
  const has = normaliseScopes(mine.scopes ?? []);
  const needed = normaliseScopes(scopes);
  if (mine.name !== GIGI_TOKEN_NAME)
    return needed.every((s) => has.includes(s) || has.includes(s.replace(/^read:/, 'write:')));
  return JSON.stringify(has) === JSON.stringify(needed);
}

/** Names of the admin tokens minted to adopt a bash-entrypoint volume's existing admin. */
export const ADOPTION_TOKEN_PREFIX = 'gigi-boot-adopted-';

/** The password the bash entrypoint gave `gigi` (aio-plan.md Task 3): tried, and kept if it signs in. */
export const SEED_GIGI_PASSWORD = 'gigi-local-dev';

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

  const adopted = ctx.paths.layout === 'bash-entrypoint';

  /** An adopted volume's admin: the token minted for it, when there is no password of ours. */
  const adoptedAdminToken = async (input: StepInput): Promise<string | undefined> => {
    if (!isInternal(input) || (await ctx.storedSecret(CONFIG_KEYS.adminPassword))) return undefined;
    return ctx.storedSecret(CONFIG_KEYS.adminToken);
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

  const adminApi = async (input: StepInput) => {
    const adminToken = await adoptedAdminToken(input);
    return new GiteaClient({
      baseUrl: baseUrl(input),
      auth: adminToken ? token(adminToken) : basic(config.adminUser, await adminPassword(input)),
      timeoutMs: config.deadlines.httpRequestMs,
    });
  };

  /** Token endpoints take Basic only (§A.3): the admin's, or gigi's own when the admin is adopted. */
  const tokenApi = async (input: StepInput) => {
    if (!(await adoptedAdminToken(input))) return adminApi(input);
    const password = await ctx.storedSecret(CONFIG_KEYS.giteaPassword);
    if (!password)
      throw new GiteaProcessError(
        { message: `gigi's password is not in the config table (${CONFIG_KEYS.giteaPassword})` },
        { hint: 'createUsers saves it: run `gigi-boot reset --from createUsers`, then run again' },
      );
    return new GiteaClient({
      baseUrl: baseUrl(input),
      auth: basic(GIGI_GITEA_USERNAME, password),
      timeoutMs: config.deadlines.httpRequestMs,
    });
  };

  /** Does this token act as the site admin ADMIN_USER? */
  const isAdminToken = async (value: string, signal: AbortSignal): Promise<boolean> => {
    try {
      const me = await new GiteaClient({
        baseUrl: internalBaseUrl,
        auth: token(value),
        timeoutMs: config.deadlines.httpRequestMs,
      }).get('/user', UserSchema, { signal });
      return (
        me.login.toLowerCase() === config.adminUser.toLowerCase() &&
        (me as { is_admin?: unknown }).is_admin === true
      );
    } catch (error) {
      if (error instanceof GiteaApiError && error.status === 401) return false;
      throw error;
    }
  };

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
      // An adopted volume's gigi keeps the bash entrypoint's password if it still signs in.
      if (adopted && !(await ctx.storedSecret(CONFIG_KEYS.giteaPassword))) {
        const anon = new GiteaClient({ baseUrl: internalBaseUrl, timeoutMs: config.deadlines.httpRequestMs });
        try {
          await anon
            .withAuth(basic(GIGI_GITEA_USERNAME, SEED_GIGI_PASSWORD))
            .get('/user', UserSchema, { signal });
          await savedPassword(CONFIG_KEYS.giteaPassword).save(SEED_GIGI_PASSWORD);
        } catch (error) {
          if (!(error instanceof GiteaApiError) || (error.status !== 401 && error.status !== 403))
            throw error;
        }
      }
      const cli = {
        bin: config.giteaBin,
        configPath: ctx.paths.appIni,
        workDir: ctx.paths.giteaWorkDir,
        runAs: await ctx.runAs(),
        timeoutMs: config.deadlines.commandMs,
      };
      const admin = await ensureInternalAdmin({
        api: new GiteaClient({ baseUrl: internalBaseUrl, timeoutMs: config.deadlines.httpRequestMs }),
        cli,
        username: config.adminUser,
        email: config.adminEmail,
        password: savedPassword(CONFIG_KEYS.adminPassword),
        onSecret,
        // The bash entrypoint's admin is a person's: reached through a CLI-minted token (no
        // secret on argv, its password never read or changed), kept while it still works.
        ...(adopted
          ? {
              adoptExisting: async () => {
                const stored = await ctx.storedSecret(CONFIG_KEYS.adminToken);
                if (stored && (await isAdminToken(stored, signal))) return;
                const value = await generateAccessTokenWithCli({
                  ...cli,
                  username: config.adminUser,
                  tokenName: `${ADOPTION_TOKEN_PREFIX}${randomBytes(4).toString('hex')}`,
                  scopes: 'all',
                  signal,
                });
                redactor.add(value);
                await store.writeConfig({ [CONFIG_KEYS.adminToken]: value });
              },
            }
          : {}),
        signal,
      });
      return { outcome: `admin ${admin}, gigi ${await gigiAccount(false)}` };
    },

    createTokens: async (input, signal): Promise<StepOutput> => {
      await ready(input, signal);
      const api = await tokenApi(input);
      // A token value is shown once: keep the stored one while Gitea still has it, with our scopes,
      // so a re-run (changed settings, earlier failure) does not rotate the app's token.
      const stored = await ctx.storedSecret(CONFIG_KEYS.giteaToken);
      if (stored && (await tokenStillValid(api, stored, config.tokenScopes, adopted, signal)))
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
