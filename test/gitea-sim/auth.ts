// API authentication (services/auth: oauth2.go parseToken, basic.go) and the global checks of
// routers/api/v1/api.go verifyAuthWithOptions: must-change-password and prohibited accounts.
import type { IncomingMessage } from 'node:http';
import { apiError, HttpReply, messageOnly, type ErrorUrls } from './respond.ts';
import type { DbState, StateStore, TokenRow, UserRow } from './state-store.ts';
import { secretMatches } from './tokens.ts';

export interface AuthResult {
  doer?: UserRow;
  token?: TokenRow;
  method: 'none' | 'basic' | 'oauth2';
}

function findToken(state: DbState, value: string): TokenRow | undefined {
  if (value === '') return undefined;
  const lastEight = value.slice(-8);
  return state.tokens.find(
    (t) => t.tokenLastEight === lastEight && secretMatches(value, t.tokenSalt, t.tokenHash),
  );
}

function tokenFromRequest(req: IncomingMessage, query: URLSearchParams): string | undefined {
  const fields = (req.headers.authorization ?? '').trim().split(/\s+/);
  if (fields.length === 2 && (fields[0] === 'token' || fields[0]!.toLowerCase() === 'bearer'))
    return fields[1];
  return query.get('token') ?? query.get('access_token') ?? undefined;
}

function basicFromRequest(req: IncomingMessage): [string, string] | undefined {
  const fields = (req.headers.authorization ?? '').trim().split(/\s+/);
  if (fields.length !== 2 || fields[0]!.toLowerCase() !== 'basic') return undefined;
  const decoded = Buffer.from(fields[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return undefined;
  return [decoded.slice(0, colon), decoded.slice(colon + 1)];
}

function markUsed(store: StateStore, token: TokenRow): void {
  try {
    store.transaction((s) => {
      const row = s.tokens.find((t) => t.id === token.id);
      if (row) row.updatedUnix = Math.floor(Date.now() / 1000);
    });
  } catch {
    /* a busy database only delays the last-used stamp, as in Gitea */
  }
}

/** Authenticate; throws 401 for bad credentials, whatever the route. */
export function authenticate(
  req: IncomingMessage,
  query: URLSearchParams,
  state: DbState,
  store: StateStore,
  urls: ErrorUrls,
  basicEnabled: boolean,
): AuthResult {
  const tokenValue = tokenFromRequest(req, query);
  if (tokenValue !== undefined) {
    const token = findToken(state, tokenValue);
    const doer = token && state.users.find((u) => u.id === token.uid);
    if (!token || !doer) throw apiError(urls, 401, 'user does not exist [uid: 0, name: ]');
    markUsed(store, token);
    return { doer, token, method: 'oauth2' };
  }
  const basic = basicFromRequest(req);
  if (!basic) return { method: 'none' };
  const [uname, passwd] = basic;
  const candidate = passwd === '' || passwd === 'x-oauth-basic' ? uname : passwd;
  const token = findToken(state, candidate);
  if (token) {
    const doer = state.users.find((u) => u.id === token.uid);
    if (doer) {
      markUsed(store, token);
      return { doer, token, method: 'basic' };
    }
  }
  if (!basicEnabled) return { method: 'none' };
  const lower = uname.toLowerCase();
  const user = state.users.find(
    (u) =>
      u.type === 'individual' &&
      (u.lowerName === lower || (uname.includes('@') && u.email.toLowerCase() === lower)),
  );
  if (!user) throw apiError(urls, 401, `user does not exist [uid: 0, name: ${uname}]`);
  if (user.passwdHash === '' || !secretMatches(passwd, user.salt, user.passwdHash))
    throw apiError(urls, 401, `user's password is invalid [uid: ${user.id}, name: ${user.name}]`);
  return { doer: user, method: 'basic' };
}

/** verifyAuthWithOptions: prohibited accounts and must-change-password, on every API call. */
export function checkSignedInUser(doer: UserRow | undefined, rootUrl: string): void {
  if (!doer) return;
  if (!doer.isActive || doer.prohibitLogin)
    throw messageOnly(
      403,
      'This account is prohibited from signing in, please contact your site administrator.',
    );
  if (doer.mustChangePassword)
    throw messageOnly(403, `You must change your password. Change it at: ${rootUrl}/user/change_password`);
}

/** tokenRequiresScopes: only token-authenticated requests are scope-checked. */
export function requireScope(
  token: TokenRow | undefined,
  urls: ErrorUrls,
  needed: string,
  allows: (scope: string, needed: string) => boolean,
): void {
  if (!token) return;
  if (!allows(token.scope, needed))
    throw apiError(
      urls,
      403,
      `token does not have at least one of required scope(s), required=[${needed}], token scope=${token.scope}`,
    );
}

/** reqToken: a signed-in caller. */
export function requireSignedIn(doer: UserRow | undefined, urls: ErrorUrls): UserRow {
  if (!doer) throw apiError(urls, 401, 'token is required');
  return doer;
}

export { HttpReply };
