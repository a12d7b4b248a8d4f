// GET /version, GET /user, GET /users/{username} (routers/api/v1/misc, user/user.go).
import { requireScope, requireSignedIn } from '../auth.ts';
import { apiError, HttpReply } from '../respond.ts';
import type { UserRow } from '../state-store.ts';
import { scopeAllows } from '../tokens.ts';
import type { ApiContext } from './context.ts';
import { toUser } from './convert.ts';

export const SIM_VERSION = process.env.GITEA_SIM_VERSION ?? '1.24.7';

export function getVersion(): HttpReply {
  return new HttpReply(200, { version: SIM_VERSION });
}

/** context.UserAssignmentAPI: the caller's own record, else an individual user by name. */
export function lookupContextUser(ctx: ApiContext, name: string): UserRow {
  const doer = ctx.auth.doer;
  if (doer && doer.lowerName === name.toLowerCase()) return doer;
  const user = ctx.state.users.find((u) => u.lowerName === name.toLowerCase() && u.type === 'individual');
  if (!user) throw apiError(ctx.urls, 404, `user redirect does not exist [name: ${name}]`);
  return user;
}

export function getCurrentUser(ctx: ApiContext): HttpReply {
  requireScope(ctx.auth.token, ctx.urls, 'read:user', scopeAllows);
  const doer = requireSignedIn(ctx.auth.doer, ctx.urls);
  return new HttpReply(200, toUser(doer, ctx.settings.rootUrl, ctx.settings.domain, doer));
}

export function getUser(ctx: ApiContext): HttpReply {
  requireScope(ctx.auth.token, ctx.urls, 'read:user', scopeAllows);
  const user = lookupContextUser(ctx, ctx.params.username!);
  const doer = ctx.auth.doer;
  if (user.visibility === 'private' && !(doer && (doer.isAdmin || doer.id === user.id)))
    throw new HttpReply(404, { message: 'Visit Project', url: ctx.urls.swaggerUrl, errors: null });
  return new HttpReply(200, toUser(user, ctx.settings.rootUrl, ctx.settings.domain, doer));
}
