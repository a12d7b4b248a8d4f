// The /api/v1 route table and Gitea's request-path normalisation (modules/web/router.go).
import { adminCreateUser, adminDeleteUser, adminEditUser, adminListUsers } from './routes/admin-users.ts';
import type { Handler } from './routes/context.ts';
import { createHook, deleteHook, editHook, getHook, listHooks } from './routes/hooks.ts';
import { createOrg, getOrg, listTeams } from './routes/orgs.ts';
import { addTeamMember, getTeamMember } from './routes/teams.ts';
import { createTokenRoute, deleteToken, listTokens } from './routes/tokens.ts';
import { getCurrentUser, getUser, getVersion } from './routes/users.ts';

interface Route {
  method: string;
  pattern: string; // e.g. /users/{username}/tokens
  handler: Handler;
}

const ROUTES: Route[] = [
  { method: 'GET', pattern: '/version', handler: getVersion },
  { method: 'GET', pattern: '/user', handler: getCurrentUser },
  { method: 'GET', pattern: '/users/{username}', handler: getUser },
  { method: 'GET', pattern: '/users/{username}/tokens', handler: listTokens },
  { method: 'POST', pattern: '/users/{username}/tokens', handler: createTokenRoute },
  { method: 'DELETE', pattern: '/users/{username}/tokens/{token}', handler: deleteToken },
  { method: 'POST', pattern: '/orgs', handler: createOrg },
  { method: 'GET', pattern: '/orgs/{org}', handler: getOrg },
  { method: 'GET', pattern: '/orgs/{org}/teams', handler: listTeams },
  { method: 'GET', pattern: '/teams/{id}/members/{username}', handler: getTeamMember },
  { method: 'PUT', pattern: '/teams/{id}/members/{username}', handler: addTeamMember },
  { method: 'GET', pattern: '/admin/hooks', handler: listHooks },
  { method: 'POST', pattern: '/admin/hooks', handler: createHook },
  { method: 'GET', pattern: '/admin/hooks/{id}', handler: getHook },
  { method: 'PATCH', pattern: '/admin/hooks/{id}', handler: editHook },
  { method: 'DELETE', pattern: '/admin/hooks/{id}', handler: deleteHook },
  { method: 'GET', pattern: '/admin/users', handler: adminListUsers },
  { method: 'POST', pattern: '/admin/users', handler: adminCreateUser },
  { method: 'PATCH', pattern: '/admin/users/{username}', handler: adminEditUser },
  { method: 'DELETE', pattern: '/admin/users/{username}', handler: adminDeleteUser },
];

/** normalizeRequestPath: collapse repeated slashes, strip the trailing one, no redirect. */
export function normalisePath(path: string): string {
  const collapsed = path.replace(/\/{2,}/g, '/');
  return collapsed.length > 1 ? collapsed.replace(/\/+$/, '') : collapsed;
}

export type RouteMatch =
  | { kind: 'found'; handler: Handler; params: Record<string, string> }
  | { kind: 'method-not-allowed' }
  | { kind: 'not-found' };

/** Match a path below /api/v1 (already normalised). */
export function matchRoute(method: string, apiPath: string): RouteMatch {
  const parts = apiPath.split('/').slice(1);
  let pathMatched = false;
  for (const route of ROUTES) {
    const pattern = route.pattern.split('/').slice(1);
    if (pattern.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const ok = pattern.every((seg, i) => {
      const part = parts[i]!;
      if (seg.startsWith('{')) {
        if (part === '') return false;
        try {
          params[seg.slice(1, -1)] = decodeURIComponent(part);
        } catch {
          params[seg.slice(1, -1)] = part;
        }
        return true;
      }
      return seg === part;
    });
    if (!ok) continue;
    pathMatched = true;
    if (route.method === method) return { kind: 'found', handler: route.handler, params };
  }
  return pathMatched ? { kind: 'method-not-allowed' } : { kind: 'not-found' };
}
