// services/convert: API shapes of users, organizations, teams and hooks, in Go field order.
import { md5 } from '../accounts.ts';
import type { HookRow, TeamRow, UserRow } from '../state-store.ts';
import { rfc3339 } from './context.ts';

const UNITS = [
  'repo.code',
  'repo.issues',
  'repo.ext_issues',
  'repo.pulls',
  'repo.releases',
  'repo.wiki',
  'repo.ext_wiki',
  'repo.projects',
  'repo.packages',
  'repo.actions',
];

/** convert.ToUser: private fields only for admins and the user themself. */
export function toUser(
  u: UserRow,
  rootUrl: string,
  domain: string,
  viewer: UserRow | undefined,
): Record<string, unknown> {
  const full = !!viewer && (viewer.isAdmin || viewer.id === u.id);
  const email = viewer ? u.email : `${u.lowerName}@noreply.${domain}`;
  return {
    id: u.id,
    login: u.name,
    login_name: full ? (u.loginName ?? u.name) : '',
    source_id: 0,
    full_name: u.fullName,
    email,
    avatar_url: `${rootUrl}avatars/${md5(u.email.toLowerCase())}`,
    html_url: `${rootUrl}${u.name}`,
    language: full ? 'en-US' : '',
    is_admin: full ? u.isAdmin : false,
    last_login: full ? rfc3339(u.lastLoginUnix) : rfc3339(0),
    created: rfc3339(u.createdUnix),
    restricted: u.restricted,
    active: full ? u.isActive : false,
    prohibit_login: full ? u.prohibitLogin : false,
    location: u.location,
    website: u.website,
    description: u.description,
    visibility: u.visibility,
    followers_count: 0,
    following_count: 0,
    starred_repos_count: 0,
    username: u.name,
  };
}

/** convert.ToOrganization. */
export function toOrg(o: UserRow, rootUrl: string, anonymous: boolean): Record<string, unknown> {
  return {
    id: o.id,
    name: o.name,
    full_name: o.fullName,
    email: anonymous ? '' : o.email,
    avatar_url: `${rootUrl}avatars/${md5(o.lowerName)}`,
    description: o.description,
    website: o.website,
    location: o.location,
    visibility: o.visibility,
    repo_admin_change_team_access: o.repoAdminChangeTeamAccess,
    username: o.name,
  };
}

/** convert.ToTeams with `organization: null`. */
export function toTeam(t: TeamRow): Record<string, unknown> {
  const full = t.permission === 'owner' || t.permission === 'admin';
  return {
    id: t.id,
    name: t.name,
    description: t.description,
    organization: null,
    includes_all_repositories: t.includesAllRepositories,
    permission: t.permission,
    units: full ? UNITS : [],
    units_map: full ? Object.fromEntries(UNITS.map((u) => [u, t.permission])) : {},
    can_create_org_repo: t.canCreateOrgRepo,
  };
}

/** webhook ToHook: never `secret` or `is_system_webhook`. */
export function toHook(h: HookRow): Record<string, unknown> {
  return {
    id: h.id,
    type: h.type,
    branch_filter: h.branchFilter,
    config: { url: h.url, content_type: h.contentType, ...(h.type === 'slack' ? h.meta : {}) },
    events: h.events,
    authorization_header: h.authorizationHeader,
    active: h.active,
    updated_at: rfc3339(h.updatedUnix),
    created_at: rfc3339(h.createdUnix),
  };
}
