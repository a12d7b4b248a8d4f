// /users/{username}/tokens (routers/api/v1/user/app.go): Basic auth, self or site admin.
import { createToken, tokenNameExists } from '../accounts.ts';
import { requireScope, requireSignedIn } from '../auth.ts';
import { required, type FieldSpec } from '../bind.ts';
import { apiError, apiNotFound, HttpReply } from '../respond.ts';
import type { UserRow } from '../state-store.ts';
import { normaliseScopes, scopeAllows, ScopeError } from '../tokens.ts';
import { paginate, rfc3339, type ApiContext } from './context.ts';
import { bindForm } from './group.ts';
import { lookupContextUser } from './users.ts';

const CREATE_TOKEN_FIELDS: FieldSpec[] = [
  { json: 'name', go: 'Name', kind: 'string', rules: [required] },
  { json: 'scopes', go: 'Scopes', kind: 'stringArray' },
];

/** The group's middleware: scope, user lookup, self-or-admin, Basic-only. */
function tokenGroup(ctx: ApiContext, method: 'read' | 'write'): UserRow {
  requireScope(ctx.auth.token, ctx.urls, `${method}:user`, scopeAllows);
  const user = lookupContextUser(ctx, ctx.params.username!);
  const doer = ctx.auth.doer;
  if (!doer || !(doer.isAdmin || doer.id === user.id))
    throw apiError(ctx.urls, 403, 'doer should be the site admin or be same as the contextUser');
  if (ctx.auth.method !== 'basic') throw apiError(ctx.urls, 401, 'auth required');
  return user;
}

export function listTokens(ctx: ApiContext): HttpReply {
  const user = tokenGroup(ctx, 'read');
  const tokens = ctx.state.tokens
    .filter((t) => t.uid === user.id)
    .sort((a, b) => b.createdUnix - a.createdUnix || b.id - a.id);
  const page = paginate(tokens, ctx.query).map((t) => ({
    id: t.id,
    name: t.name,
    sha1: '',
    token_last_eight: t.tokenLastEight,
    scopes: t.scope.split(',').filter((s) => s !== ''),
    created_at: rfc3339(t.createdUnix),
    last_used_at: rfc3339(t.updatedUnix),
  }));
  return new HttpReply(200, page, { 'X-Total-Count': String(tokens.length) });
}

export async function createTokenRoute(ctx: ApiContext): Promise<HttpReply> {
  const user = tokenGroup(ctx, 'write');
  const form = await bindForm(ctx, 'CreateAccessTokenOption', CREATE_TOKEN_FIELDS);
  requireSignedIn(ctx.auth.doer, ctx.urls);
  const name = form.name as string;
  const scopes = (form.scopes as string[] | undefined) ?? [];
  return ctx.store.transaction(
    (state) => {
      if (tokenNameExists(state, user.id, name))
        throw apiError(ctx.urls, 400, 'access token name has been used already');
      let scope: string;
      try {
        scope = normaliseScopes(scopes.join(','));
      } catch (error) {
        if (error instanceof ScopeError)
          throw apiError(ctx.urls, 400, `invalid access token scope provided: ${error.message}`);
        throw error;
      }
      if (scope === '') throw apiError(ctx.urls, 400, 'access token must have a scope');
      const { row, value } = createToken(state, user.id, name, scope);
      return new HttpReply(201, {
        id: row.id,
        name: row.name,
        sha1: value,
        token_last_eight: row.tokenLastEight,
        scopes: scope.split(','),
        created_at: rfc3339(0),
        last_used_at: rfc3339(0),
      });
    },
    false,
    'access_token',
  );
}

/** Go strconv.ParseInt(s, 0, 64); 0 on any error, like the handler's ignored error. */
export function parseGoIntBase0(s: string): number {
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9_]*)$/.exec(s);
  if (!m) return 0;
  let body = m[2]!;
  if (body.includes('_')) {
    // underscores are only allowed with a base prefix, between digits
    if (!/^0[xXoObB]/.test(body) && !/^0_/.test(body)) return 0;
    if (/__|_$/.test(body)) return 0;
    body = body.replace(/_/g, '');
  }
  let value: bigint;
  if (/^0[xX]/.test(body)) value = BigInt(`0x${body.slice(2)}`);
  else if (/^0[oO]/.test(body)) value = BigInt(`0o${body.slice(2)}`);
  else if (/^0[bB]/.test(body)) value = BigInt(`0b${body.slice(2)}`);
  else if (/^0[0-7]+$/.test(body)) value = BigInt(`0o${body.slice(1)}`);
  else value = BigInt(body);
  if (m[1] === '-') value = -value;
  if (value > 9223372036854775807n || value < -9223372036854775808n) return 0;
  return Number(value);
}

export function deleteToken(ctx: ApiContext): HttpReply {
  const user = tokenGroup(ctx, 'write');
  const raw = ctx.params.token!;
  return ctx.store.transaction(
    (state) => {
      let id = parseGoIntBase0(raw);
      if (id === 0) {
        const matches = state.tokens.filter((t) => t.uid === user.id && t.name === raw);
        if (matches.length === 0) throw apiNotFound(ctx.urls);
        if (matches.length > 1) throw apiError(ctx.urls, 422, `multiple matches for token name '${raw}'`);
        id = matches[0]!.id;
      }
      const index = state.tokens.findIndex((t) => t.id === id && t.uid === user.id);
      if (index === -1) throw apiNotFound(ctx.urls);
      state.tokens.splice(index, 1);
      return new HttpReply(204);
    },
    false,
    'access_token',
  );
}
