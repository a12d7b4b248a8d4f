// GET/PUT /teams/{id}/members/{username} (routers/api/v1/org/team.go, the /teams/{teamid} group).
import { requireScope, requireSignedIn } from '../auth.ts';
import { apiError, apiNotFound, HttpReply } from '../respond.ts';
import type { TeamRow, UserRow } from '../state-store.ts';
import { scopeAllows } from '../tokens.ts';
import type { ApiContext } from './context.ts';
import { toUser } from './convert.ts';

/** The group chain: scope, load team, signed in, team member / org owner / site admin. */
function teamGroup(
  ctx: ApiContext,
  level: 'read' | 'write',
): { team: TeamRow; doer: UserRow; isOwner: boolean } {
  requireScope(ctx.auth.token, ctx.urls, `${level}:organization`, scopeAllows);
  const id = /^[+]?\d+$/.test(ctx.params.id!) ? Number(ctx.params.id) : 0; // ParseInt base 10
  const team = ctx.state.teams.find((t) => t.id === id);
  if (!team) throw apiNotFound(ctx.urls);
  const doer = requireSignedIn(ctx.auth.doer, ctx.urls);
  const ownersTeam = ctx.state.teams.find((t) => t.orgId === team.orgId && t.name === 'Owners');
  const isOwner =
    !!ownersTeam && ctx.state.teamMembers.some((m) => m.teamId === ownersTeam.id && m.uid === doer.id);
  const inTeam = ctx.state.teamMembers.some((m) => m.teamId === team.id && m.uid === doer.id);
  if (!doer.isAdmin && !isOwner && !inTeam) {
    const orgMember = ctx.state.orgMembers.some((m) => m.orgId === team.orgId && m.uid === doer.id);
    if (orgMember) throw apiError(ctx.urls, 403, 'Must be a team member');
    throw apiNotFound(ctx.urls);
  }
  return { team, doer, isOwner };
}

function lookupMember(ctx: ApiContext): UserRow {
  const name = ctx.params.username!;
  const user = ctx.state.users.find((u) => u.lowerName === name.toLowerCase() && u.type === 'individual');
  if (!user) throw apiNotFound(ctx.urls, 'GetUserByName', [`user does not exist [uid: 0, name: ${name}]`]);
  return user;
}

export function addTeamMember(ctx: ApiContext): HttpReply {
  const { team, doer, isOwner } = teamGroup(ctx, 'write');
  if (!doer.isAdmin && !isOwner) throw apiNotFound(ctx.urls);
  const user = lookupMember(ctx);
  return ctx.store.transaction(
    (state) => {
      if (!state.teamMembers.some((m) => m.teamId === team.id && m.uid === user.id))
        state.teamMembers.push({ teamId: team.id, uid: user.id });
      if (!state.orgMembers.some((m) => m.orgId === team.orgId && m.uid === user.id))
        state.orgMembers.push({ orgId: team.orgId, uid: user.id });
      return new HttpReply(204);
    },
    false,
    'team_user',
  );
}

export function getTeamMember(ctx: ApiContext): HttpReply {
  const { team, doer } = teamGroup(ctx, 'read');
  const user = lookupMember(ctx);
  if (!ctx.state.teamMembers.some((m) => m.teamId === team.id && m.uid === user.id))
    throw apiNotFound(ctx.urls);
  return new HttpReply(200, toUser(user, ctx.settings.rootUrl, ctx.settings.domain, doer));
}
