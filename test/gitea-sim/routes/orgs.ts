// POST /orgs, GET /orgs/{org}, GET /orgs/{org}/teams (routers/api/v1/org).
import { findByName, nowUnix } from '../accounts.ts';
import { requireScope, requireSignedIn } from '../auth.ts';
import { maxSize, oneOf, required, type FieldSpec } from '../bind.ts';
import { apiError, apiNotFound, HttpReply } from '../respond.ts';
import { settingBool } from '../settings.ts';
import type { UserRow } from '../state-store.ts';
import { scopeAllows } from '../tokens.ts';
import { isValidUsername, usernameError } from '../validation.ts';
import { paginate, type ApiContext } from './context.ts';
import { toOrg, toTeam } from './convert.ts';
import { bindForm } from './group.ts';

const validUrl = (v: unknown): string | null => {
  if (typeof v !== 'string' || v === '') return null;
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:' ? null : 'Url';
  } catch {
    return 'Url';
  }
};

const CREATE_ORG_FIELDS: FieldSpec[] = [
  {
    json: 'username',
    go: 'UserName',
    kind: 'string',
    rules: [
      required,
      (v) => (typeof v === 'string' && !isValidUsername(v) ? 'invalid username' : null),
      maxSize(40),
    ],
  },
  { json: 'full_name', go: 'FullName', kind: 'string', rules: [maxSize(100)] },
  { json: 'email', go: 'Email', kind: 'string', rules: [maxSize(255)] },
  { json: 'description', go: 'Description', kind: 'string', rules: [maxSize(255)] },
  { json: 'website', go: 'Website', kind: 'string', rules: [validUrl, maxSize(255)] },
  { json: 'location', go: 'Location', kind: 'string', rules: [maxSize(50)] },
  {
    json: 'visibility',
    go: 'Visibility',
    kind: 'string',
    rules: [oneOf(['', 'public', 'limited', 'private'])],
  },
  { json: 'repo_admin_change_team_access', go: 'RepoAdminChangeTeamAccess', kind: 'bool' },
];

export async function createOrg(ctx: ApiContext): Promise<HttpReply> {
  requireScope(ctx.auth.token, ctx.urls, 'write:organization', scopeAllows);
  const doer = requireSignedIn(ctx.auth.doer, ctx.urls);
  const form = await bindForm(ctx, 'CreateOrgOption', CREATE_ORG_FIELDS);
  const canCreate =
    doer.isAdmin ||
    (settingBool(ctx.settings, 'service', 'DEFAULT_ALLOW_CREATE_ORGANIZATION', true) &&
      !settingBool(ctx.settings, 'admin', 'DISABLE_REGULAR_ORG_CREATION', false));
  if (!canCreate) throw apiError(ctx.urls, 403, '%!s(<nil>)');
  const name = form.username as string;
  const str = (k: string): string => (typeof form[k] === 'string' ? form[k] : '');
  return ctx.store.transaction(
    (state) => {
      const nameErr = usernameError(name);
      if (nameErr) throw apiError(ctx.urls, 422, nameErr);
      if (findByName(state, name)) throw apiError(ctx.urls, 422, `user already exists [name: ${name}]`);
      const visibility = (str('visibility') || 'public') as UserRow['visibility'];
      const now = nowUnix();
      const org: UserRow = {
        id: ++state.seq.user,
        name,
        lowerName: name.toLowerCase(),
        type: 'organization',
        email: str('email'),
        fullName: str('full_name'),
        passwdHash: '',
        salt: '',
        isAdmin: false,
        isActive: true,
        prohibitLogin: false,
        mustChangePassword: false,
        restricted: false,
        visibility,
        description: str('description'),
        website: str('website'),
        location: str('location'),
        repoAdminChangeTeamAccess: form.repo_admin_change_team_access === true,
        createdUnix: now,
        lastLoginUnix: 0,
      };
      state.users.push(org);
      const teamId = ++state.seq.team;
      state.teams.push({
        id: teamId,
        orgId: org.id,
        name: 'Owners',
        lowerName: 'owners',
        description: '',
        permission: 'owner',
        includesAllRepositories: true,
        canCreateOrgRepo: true,
      });
      state.teamMembers.push({ teamId, uid: doer.id });
      state.orgMembers.push({ orgId: org.id, uid: doer.id });
      return new HttpReply(201, toOrg(org, ctx.settings.rootUrl, false));
    },
    false,
    'user',
  );
}

/** orgAssignment: 404 GetOrgByName when the org is missing. */
export function lookupOrg(ctx: ApiContext, name: string): UserRow {
  const org = ctx.state.users.find((u) => u.lowerName === name.toLowerCase() && u.type === 'organization');
  if (!org) throw apiNotFound(ctx.urls, 'GetOrgByName', [`org does not exist [id: 0, name: ${name}]`]);
  const doer = ctx.auth.doer;
  const member = !!doer && ctx.state.orgMembers.some((m) => m.orgId === org.id && m.uid === doer.id);
  if ((org.visibility === 'private' && !member && !doer?.isAdmin) || (org.visibility === 'limited' && !doer))
    throw apiNotFound(ctx.urls, 'HasOrgOrUserVisible', null);
  return org;
}

export function getOrg(ctx: ApiContext): HttpReply {
  requireScope(ctx.auth.token, ctx.urls, 'read:organization', scopeAllows);
  const org = lookupOrg(ctx, ctx.params.org!);
  return new HttpReply(200, toOrg(org, ctx.settings.rootUrl, !ctx.auth.doer));
}

export function listTeams(ctx: ApiContext): HttpReply {
  requireScope(ctx.auth.token, ctx.urls, 'read:organization', scopeAllows);
  const org = lookupOrg(ctx, ctx.params.org!);
  const doer = requireSignedIn(ctx.auth.doer, ctx.urls);
  const member = ctx.state.orgMembers.some((m) => m.orgId === org.id && m.uid === doer.id);
  if (!member && !doer.isAdmin) throw apiError(ctx.urls, 403, 'Must be an organization member');
  const teams = ctx.state.teams
    .filter((t) => t.orgId === org.id)
    .sort((a, b) => (a.lowerName < b.lowerName ? -1 : a.lowerName > b.lowerName ? 1 : 0));
  return new HttpReply(200, paginate(teams, ctx.query).map(toTeam), {
    'X-Total-Count': String(teams.length),
  });
}
