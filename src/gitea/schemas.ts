// The shapes of the Gitea 1.24 API answers boot relies on (CONTRACT §A–§F), checked at the
// HTTP boundary so a different server or version fails with a clear GiteaApiError instead of
// an `undefined` deep inside a step. Unknown fields are allowed (Gitea adds them freely).
import * as z from 'zod';

export const VersionSchema = z.object({ version: z.string() });

export const UserSchema = z.looseObject({
  id: z.number().int(),
  login: z.string(),
  is_admin: z.boolean().optional(),
});

export const AccessTokenSchema = z.looseObject({
  id: z.number().int(),
  name: z.string(),
  sha1: z.string(),
  scopes: z.array(z.string()).nullable().optional(),
});

export const CreatedAccessTokenSchema = AccessTokenSchema.extend({
  sha1: z.string().regex(/^[0-9a-f]{40}$/, 'expected 40 lowercase hex characters'),
});

export const OrganizationSchema = z.looseObject({
  id: z.number().int(),
  name: z.string(),
});

export const TeamSchema = z.looseObject({
  id: z.number().int(),
  name: z.string(),
  permission: z.string().optional(),
});
export const TeamListSchema = z.array(TeamSchema);

export const HookSchema = z.looseObject({
  id: z.number().int(),
  type: z.string(),
  active: z.boolean(),
  events: z.array(z.string()).nullable(),
  config: z.record(z.string(), z.string()),
  branch_filter: z.string().optional(),
});
export const HookListSchema = z.array(HookSchema);

/** Error bodies: shapes (a), (b) and (d) of §I.1 all carry `message`. */
export const ErrorBodySchema = z.looseObject({ message: z.string().optional() });

export type Hook = z.infer<typeof HookSchema>;
export type Team = z.infer<typeof TeamSchema>;
