// The createTokens step: gigi's API token (GIGI_TOKEN_NAME, TOKEN_SCOPES), kept while Gitea still
// has it with our scopes, else recreated; the value is saved in the same step, because Gitea
// shows a token only once and a resumed boot re-runs the step that was in flight.
import * as z from 'zod';
import type { StepOutput } from '../../../machines/boot.ts';
import { GIGI_GITEA_USERNAME } from '../../config/gitea-names.ts';
import { GITEA_SCOPE_CATEGORIES } from '../../config/token-scopes.ts';
import type { GiteaClient } from '../../gitea/api.ts';
import { recreateToken } from '../../gitea/ensure.ts';
import { AccessTokenSchema } from '../../gitea/schemas.ts';
import { CONFIG_KEYS } from '../config-keys.ts';
import type { StepContext } from './context.ts';
import { ensureGiteaReady, tokenApi, type GiteaSessionDeps } from './gitea-session.ts';
import { apiFault, defineStep } from './step.ts';

/** The name of gigi's API token in Gitea (deleted and recreated on every run of createTokens). */
export const GIGI_TOKEN_NAME = 'gigi-app';

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

export type CreateTokensDeps = GiteaSessionDeps & Pick<StepContext, 'paths' | 'store' | 'redactor'>;

export const createTokens = defineStep<CreateTokensDeps>({
  fault: apiFault('POST', '/users/gigi/tokens'),
  create:
    (deps) =>
    async (input, signal): Promise<StepOutput> => {
      const { config, store, redactor, storedSecret } = deps;
      await ensureGiteaReady(deps, input, signal);
      const api = await tokenApi(deps, input);
      // A token value is shown once: keep the stored one while Gitea still has it, with our scopes,
      // so a re-run (changed settings, earlier failure) does not rotate the app's token.
      const adopted = deps.paths.layout === 'bash-entrypoint';
      const stored = await storedSecret(CONFIG_KEYS.giteaToken);
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
});
