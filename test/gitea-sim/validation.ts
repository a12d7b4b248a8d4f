// Username and e-mail rules (modules/validation/helpers.go, models/user/user.go,
// models/db/name.go, models/user/email_address.go), with Gitea's error texts.

const RESERVED_NAMES = [
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
const RESERVED_PATTERNS = ['*.keys', '*.gpg', '*.rss', '*.atom', '*.png'];

/** IsValidUsername: `^[\da-zA-Z][-.\w]*$` without `[-._]{2,}` or a trailing `[-._]`. */
export function isValidUsername(name: string): boolean {
  return /^[\da-zA-Z][-.\w]*$/.test(name) && !/[-._]{2,}|[-._]$/.test(name);
}

/** IsUsableUsername: the error text for a bad, reserved or pattern-matching name, or null. */
export function usernameError(name: string): string | null {
  if (!isValidUsername(name))
    return `name is invalid [${name}]: must be valid alpha or numeric or dash(-_) or dot characters`;
  const lower = name.toLowerCase().trim();
  if (RESERVED_NAMES.includes(lower)) return `name is reserved [name: ${lower}]`;
  for (const pat of RESERVED_PATTERNS)
    if (lower.endsWith(pat.slice(1))) return `name pattern is not allowed [pattern: ${pat}]`;
  return null;
}

const EMAIL_CHARS =
  /^[a-zA-Z0-9.!#$%&'*+,\-./=?^_`{|}~]*@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
  return re.test(value);
}

function listOf(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
}

/** ValidateEmail for the non-admin path (CreateUser): chars, syntax, domain allow/block lists. */
export function emailError(email: string, allowlist: string, blocklist: string): string | null {
  if (email === '') return `e-mail invalid [email: ${email}]`;
  if (!EMAIL_CHARS.test(email)) return `e-mail address contains unsupported character [email: ${email}]`;
  const [local = '', domain = ''] = [
    email.slice(0, email.lastIndexOf('@')),
    email.slice(email.lastIndexOf('@') + 1),
  ];
  if (
    email.startsWith('-') ||
    local === '' ||
    local.startsWith('.') ||
    local.endsWith('.') ||
    local.includes('..')
  )
    return `e-mail invalid [email: ${email}]`;
  const allow = listOf(allowlist);
  const block = listOf(blocklist);
  const d = domain.toLowerCase();
  if (allow.length > 0 ? !allow.some((p) => globMatch(p, d)) : block.some((p) => globMatch(p, d)))
    return `e-mail invalid [email: ${email}]`;
  return null;
}
