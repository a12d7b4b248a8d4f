// What several API groups share: the admin group's middleware and the JSON binding that
// answers 422 with Gitea's binding text, so each route file checks callers the same way.
import { requireScope, requireSignedIn } from '../auth.ts';
import { bindJson, BindError, type FieldSpec } from '../bind.ts';
import { apiError } from '../respond.ts';
import type { UserRow } from '../state-store.ts';
import { scopeAllows } from '../tokens.ts';
import type { ApiContext } from './context.ts';

/** The admin group's middleware (§L.1 steps 2–4): scope, a signed-in caller, a site admin. */
export function adminGroup(ctx: ApiContext, level: 'read' | 'write'): UserRow {
  requireScope(ctx.auth.token, ctx.urls, `${level}:admin`, scopeAllows);
  const doer = requireSignedIn(ctx.auth.doer, ctx.urls);
  if (!doer.isAdmin) throw apiError(ctx.urls, 403, 'user should be the site admin');
  return doer;
}

/** The request body bound to `struct`; a binding error is Gitea's 422 with its text. */
export async function bindForm(
  ctx: ApiContext,
  struct: string,
  fields: FieldSpec[],
): Promise<Record<string, unknown>> {
  try {
    return await bindJson(ctx.req, struct, fields);
  } catch (error) {
    if (error instanceof BindError) throw apiError(ctx.urls, 422, error.text());
    throw error;
  }
}
