// The createUsers step: the admin (internal mode: `gitea admin user create`; external: it must
// exist) and the app's account `gigi`. Generated passwords are saved in the same step, because
// a resumed boot re-runs the step that was in flight and a password cannot be read back.
import { randomBytes } from 'node:crypto';
import type { StepOutput } from '../../../machines/boot.ts';
import { GIGI_GITEA_USERNAME } from '../../config/gitea-names.ts';
import type { BootConfig } from '../../config/types.ts';
import { isGiteaApiStatus } from '../../errors.ts';
import { ensureAppAccount, ensureInternalAdmin, type SavedPassword } from '../../gitea/accounts.ts';
import { generateAccessTokenWithCli } from '../../gitea/admin-cli.ts';
import { basic, GiteaClient, token } from '../../gitea/api.ts';
import { ensureExternalUserExists } from '../../gitea/ensure.ts';
import { UserSchema } from '../../gitea/schemas.ts';
import { CONFIG_KEYS } from '../config-keys.ts';
import type { StepContext } from './context.ts';
import {
  adminApi,
  ensureGiteaReady,
  internalBaseUrl,
  isInternal,
  type GiteaSessionDeps,
} from './gitea-session.ts';
import { defineStep, processFault, apiFault } from './step.ts';

/** Names of the admin tokens minted to adopt a bash-entrypoint volume's existing admin. */
export const ADOPTION_TOKEN_PREFIX = 'gigi-boot-adopted-';

/** The password the bash entrypoint gave `gigi` (aio-plan.md Task 3): tried, and kept if it signs in. */
export const SEED_GIGI_PASSWORD = 'gigi-local-dev';

/** The email of the `gigi` account: distinct from the admin's, which Gitea requires. */
export function gigiEmail(adminEmail: string): string {
  const candidate = 'gigi@gigi.local';
  return candidate.toLowerCase() === adminEmail.toLowerCase() ? 'gigi-app@gigi.local' : candidate;
}

export type CreateUsersDeps = GiteaSessionDeps & Pick<StepContext, 'paths' | 'runAs' | 'store' | 'redactor'>;

/** A password slot of the config table; saving registers the value for redaction first. */
function savedPassword(
  { storedSecret, store, redactor }: Pick<CreateUsersDeps, 'storedSecret' | 'store' | 'redactor'>,
  key: string,
): SavedPassword {
  return {
    key,
    read: () => storedSecret(key),
    save: async (value) => {
      redactor.add(value);
      await store.writeConfig({ [key]: value });
    },
  };
}

/** Does this token act as the site admin ADMIN_USER? */
async function isAdminToken(config: BootConfig, value: string, signal: AbortSignal): Promise<boolean> {
  try {
    const me = await new GiteaClient({
      baseUrl: internalBaseUrl(config),
      auth: token(value),
      timeoutMs: config.deadlines.httpRequestMs,
    }).get('/user', UserSchema, { signal });
    return (
      me.login.toLowerCase() === config.adminUser.toLowerCase() &&
      (me as { is_admin?: unknown }).is_admin === true
    );
  } catch (error) {
    if (isGiteaApiStatus(error, 401)) return false;
    throw error;
  }
}

export const createUsers = defineStep<CreateUsersDeps>({
  // External mode reads the users through the API; internal mode creates the admin with the CLI.
  fault: (message, options, input) =>
    isInternal(input)
      ? processFault(message, options, input)
      : apiFault('GET', '/users/gigi')(message, options, input),
  create:
    (deps) =>
    async (input, signal): Promise<StepOutput> => {
      const { config, paths, store, redactor, storedSecret } = deps;
      const adopted = paths.layout === 'bash-entrypoint';
      const onSecret = (value: string) => redactor.add(value);
      await ensureGiteaReady(deps, input, signal);
      const gigiAccount = async (external: boolean) =>
        ensureAppAccount({
          api: await adminApi(deps, input),
          username: GIGI_GITEA_USERNAME,
          email: gigiEmail(config.adminEmail),
          password: savedPassword(deps, CONFIG_KEYS.giteaPassword),
          external,
          onSecret,
          signal,
        });
      if (!isInternal(input)) {
        const api = await adminApi(deps, input);
        await ensureExternalUserExists({ api, username: config.adminUser, signal });
        return { outcome: `admin existed, gigi ${await gigiAccount(true)}` };
      }
      const internalUrl = internalBaseUrl(config);
      // An adopted volume's gigi keeps the bash entrypoint's password if it still signs in.
      if (adopted && !(await storedSecret(CONFIG_KEYS.giteaPassword))) {
        const anon = new GiteaClient({ baseUrl: internalUrl, timeoutMs: config.deadlines.httpRequestMs });
        try {
          await anon
            .withAuth(basic(GIGI_GITEA_USERNAME, SEED_GIGI_PASSWORD))
            .get('/user', UserSchema, { signal });
          await savedPassword(deps, CONFIG_KEYS.giteaPassword).save(SEED_GIGI_PASSWORD);
        } catch (error) {
          if (!isGiteaApiStatus(error, 401, 403)) throw error;
        }
      }
      const cli = {
        bin: config.giteaBin,
        configPath: paths.appIni,
        workDir: paths.giteaWorkDir,
        runAs: await deps.runAs(),
        timeoutMs: config.deadlines.commandMs,
      };
      const admin = await ensureInternalAdmin({
        api: new GiteaClient({ baseUrl: internalUrl, timeoutMs: config.deadlines.httpRequestMs }),
        cli,
        username: config.adminUser,
        email: config.adminEmail,
        password: savedPassword(deps, CONFIG_KEYS.adminPassword),
        onSecret,
        // The bash entrypoint's admin is a person's: reached through a CLI-minted token (no
        // secret on argv, its password never read or changed), kept while it still works.
        ...(adopted
          ? {
              adoptExisting: async () => {
                const stored = await storedSecret(CONFIG_KEYS.adminToken);
                if (stored && (await isAdminToken(config, stored, signal))) return;
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
});
