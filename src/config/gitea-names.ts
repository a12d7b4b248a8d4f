// Gitea 1.24's rules for user and organization names (one shared namespace), mirrored so a
// bad ADMIN_USER or ORG_NAME is rejected before any Gitea is started. Source: the gitea
// contract §D.3 (modules/validation/helpers.go IsValidUsername, models/user/user.go
// reservedUsernames / reservedUserPatterns, models/db/name.go IsUsableName).

/** The Gitea account gigi-boot creates for the Gigi app; not configurable. */
export const GIGI_GITEA_USERNAME = 'gigi';

/** Longest name Gitea's API accepts (`MaxSize(40)` on CreateOrgOption / CreateUserOption). */
export const GITEA_NAME_MAX_LENGTH = 40;

/** Names Gitea refuses for users and orgs, compared after lowercasing and trimming. */
export const GITEA_RESERVED_NAMES: readonly string[] = [
  '.',
  '..',
  '.well-known',
  'api',
  'metrics',
  'v2',
  'assets',
  'attachments',
  'avatar',
  'avatars',
  'repo-avatars',
  'captcha',
  'login',
  'org',
  'repo',
  'user',
  'explore',
  'issues',
  'pulls',
  'milestones',
  'notifications',
  'favicon.ico',
  'manifest.json',
  'robots.txt',
  'sitemap.xml',
  'ssh_info',
  'swagger.v1.json',
  'ghost',
  'gitea-actions',
];

/** Suffix patterns Gitea refuses (`*.keys` and so on), compared on the lowercased name. */
export const GITEA_RESERVED_PATTERNS: readonly string[] = ['*.keys', '*.gpg', '*.rss', '*.atom', '*.png'];

// Go's `\w` is ASCII-only, so these are exact translations of Gitea's regexes.
const VALID_CHARS = /^[0-9a-zA-Z][-.\w]*$/;
const BAD_SPECIAL_SEQUENCE = /[-._]{2,}|[-._]$/;

// Why: one place that says why Gitea would refuse a name, so config, the Gitea module and
// tests all agree. Returns undefined for a usable name, else a reason (without the name).
export function giteaNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (name.length > GITEA_NAME_MAX_LENGTH) {
    return `must be at most ${GITEA_NAME_MAX_LENGTH} characters (Gitea's API limit)`;
  }
  if (!VALID_CHARS.test(name)) {
    return 'must start with a letter or digit and contain only ASCII letters, digits, "-", "_" and "."';
  }
  if (BAD_SPECIAL_SEQUENCE.test(name)) {
    return 'must not contain two of "-", "_", "." in a row nor end with one of them';
  }
  const lower = name.trim().toLowerCase();
  if (GITEA_RESERVED_NAMES.includes(lower)) return `"${lower}" is a name Gitea reserves`;
  const pattern = GITEA_RESERVED_PATTERNS.find((p) => lower.endsWith(p.slice(1)));
  if (pattern) return `names matching ${pattern} are reserved by Gitea`;
  return undefined;
}

// Why: callers that only need a yes/no (e.g. validating an API response) need not parse reasons.
export function isUsableGiteaName(name: string): boolean {
  return giteaNameProblem(name) === undefined;
}

// Why: Gitea's users and orgs share one namespace whose uniqueness is case-insensitive.
export function sameGiteaName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
