// The token scopes Gitea 1.24 knows (CONTRACT §A.1), case-sensitive: what GITEA_TOKEN_SCOPES may
// name, and what gigi's token gets when it is unset.

/** Gitea's token scope categories, in its canonical order (CONTRACT §A.1). */
export const GITEA_SCOPE_CATEGORIES: readonly string[] = [
  'activitypub',
  'admin',
  'misc',
  'notification',
  'organization',
  'package',
  'issue',
  'repository',
  'user',
];

/** Every scope a token may be given: `all`, `public-only`, and read:/write: per category. */
export const GITEA_TOKEN_SCOPES: readonly string[] = [
  'all',
  'public-only',
  ...GITEA_SCOPE_CATEGORIES.flatMap((c) => [`read:${c}`, `write:${c}`]),
];

/** Every write scope except admin: the Gigi app manages repos and issues, not the site. */
export const DEFAULT_TOKEN_SCOPES = [
  'write:activitypub',
  'write:issue',
  'write:misc',
  'write:notification',
  'write:organization',
  'write:package',
  'write:repository',
  'write:user',
].join(',');
