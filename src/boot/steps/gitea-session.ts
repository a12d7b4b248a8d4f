// How the Gitea steps reach Gitea: the base URL for the mode, the temporary Gitea made sure of
// (a resumed boot finds none: it died with the old process), and API clients authenticated as
// the admin or, for token endpoints on an adopted volume, as gigi. Plain functions over the deps
// each step already has, shared by the steps in this directory.
import type { StepInput } from '../../../machines/boot.ts';
import type { BootConfig } from '../../config/types.ts';
import { GIGI_GITEA_USERNAME } from '../../config/gitea-names.ts';
import { StoreError } from '../../errors.ts';
import { basic, GiteaClient, token, waitForApi } from '../../gitea/api.ts';
import { CONFIG_KEYS } from '../config-keys.ts';
import type { StepContext } from './context.ts';

/** What every Gitea step needs to reach Gitea. */
export type GiteaSessionDeps = Pick<StepContext, 'config' | 'storedSecret' | 'ensureGiteaRunning'>;

export function isInternal(input: StepInput): boolean {
  return input.modes?.gitea !== 'external';
}

/** The temporary Gitea, on loopback (writeAppIni binds it there). */
export function internalBaseUrl(config: BootConfig): string {
  return `http://127.0.0.1:${config.giteaHttpPort}`;
}

/** Why: internal mode talks to the temporary Gitea on loopback, external mode to GITEA_URL. */
export function baseUrlFor(config: BootConfig, input: StepInput): string {
  return isInternal(input) ? internalBaseUrl(config) : config.giteaUrl!;
}

/** Why: internal mode, a resumed boot finds no temporary Gitea; start it and wait for its API. */
export async function ensureGiteaReady(
  { config, ensureGiteaRunning }: Pick<GiteaSessionDeps, 'config' | 'ensureGiteaRunning'>,
  input: StepInput,
  signal: AbortSignal,
): Promise<void> {
  if (!isInternal(input)) return;
  const { started } = await ensureGiteaRunning(signal);
  // One this process started before has answered already (awaitApi, or the step that started
  // it): a GET /version per step would be a round trip for nothing. Its listener is checked above.
  if (started)
    await waitForApi({ baseUrl: internalBaseUrl(config), timeoutMs: config.deadlines.giteaReadyMs, signal });
}

/**
 * A value an earlier step saved in the config table. Missing means the row was lost (a reset,
 * or an edit by hand): the store's state, not Gitea's, so a StoreError saying which step saves it.
 */
export async function requireStored(
  { storedSecret }: Pick<GiteaSessionDeps, 'storedSecret'>,
  { key, what, hint }: { key: string; what: string; hint: string },
): Promise<string> {
  const value = await storedSecret(key);
  if (value) return value;
  throw new StoreError(`${what} is not in the config table (${key})`, { hint });
}

/** An adopted volume's admin: the token minted for it, when there is no password of ours. */
async function adoptedAdminToken(
  { storedSecret }: Pick<GiteaSessionDeps, 'storedSecret'>,
  input: StepInput,
): Promise<string | undefined> {
  if (!isInternal(input) || (await storedSecret(CONFIG_KEYS.adminPassword))) return undefined;
  return storedSecret(CONFIG_KEYS.adminToken);
}

async function adminPassword(
  deps: Pick<GiteaSessionDeps, 'config' | 'storedSecret'>,
  input: StepInput,
): Promise<string> {
  const { config } = deps;
  if (!isInternal(input)) return config.adminPassword!;
  return requireStored(deps, {
    key: CONFIG_KEYS.adminPassword,
    what: `the admin password of "${config.adminUser}"`,
    hint: 'createUsers saves it before creating the admin: run `gigi-boot reset --from createUsers`, then run again',
  });
}

/** Why: every admin call authenticates the same way — an adopted admin's token, else its password. */
export async function adminApi(
  deps: Pick<GiteaSessionDeps, 'config' | 'storedSecret'>,
  input: StepInput,
): Promise<GiteaClient> {
  const { config } = deps;
  const adminToken = await adoptedAdminToken(deps, input);
  return new GiteaClient({
    baseUrl: baseUrlFor(config, input),
    auth: adminToken ? token(adminToken) : basic(config.adminUser, await adminPassword(deps, input)),
    timeoutMs: config.deadlines.httpRequestMs,
  });
}

/** Token endpoints take Basic only (§A.3): the admin's, or gigi's own when the admin is adopted. */
export async function tokenApi(
  deps: Pick<GiteaSessionDeps, 'config' | 'storedSecret'>,
  input: StepInput,
): Promise<GiteaClient> {
  if (!(await adoptedAdminToken(deps, input))) return adminApi(deps, input);
  const password = await requireStored(deps, {
    key: CONFIG_KEYS.giteaPassword,
    what: "gigi's password",
    hint: 'createUsers saves it: run `gigi-boot reset --from createUsers`, then run again',
  });
  return new GiteaClient({
    baseUrl: baseUrlFor(deps.config, input),
    auth: basic(GIGI_GITEA_USERNAME, password),
    timeoutMs: deps.config.deadlines.httpRequestMs,
  });
}
