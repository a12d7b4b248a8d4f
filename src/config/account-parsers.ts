// The parsers of the Gitea accounts' settings: names Gitea accepts, the e-mail `gitea admin user
// create` takes, an admin password that is not a well-known default, and the token's scopes.
import { giteaEmailProblem } from './gitea-email.ts';
import { giteaNameProblem } from './gitea-names.ts';
import { fail, showValue, type Ctx } from './parsers.ts';
import { GITEA_TOKEN_SCOPES } from './token-scopes.ts';

/** Passwords too well known to protect a Gitea admin account (compared case-insensitively). */
export const INSECURE_PASSWORDS: readonly string[] = ['admin', 'gigi-local-dev', 'password'];
export const MIN_PASSWORD_LENGTH = 12;

// Why: the admin and org names must be ones Gitea creates; it would refuse them mid-boot.
export function giteaName(value: string, ctx: Ctx): string {
  const problem = giteaNameProblem(value);
  return problem === undefined
    ? value
    : fail(ctx, `expected a Gitea user/org name: ${problem}; got ${showValue(value)}`);
}

// Portable POSIX user names (letters, digits, `.`, `_`, `-`, not starting with `-` or `.`).
const OS_USER = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;
export function osUser(value: string, ctx: Ctx): string {
  return OS_USER.test(value)
    ? value
    : fail(
        ctx,
        `expected an OS user name (letters, digits, "_", "-", ".", starting with a letter or "_", at most 32 characters), got ${showValue(value)}`,
      );
}

// Exactly what `gitea admin user create --email` accepts (the internal admin is made with it).
export function email(value: string | undefined, ctx: Ctx): string | undefined {
  if (value === undefined) return undefined;
  const problem = giteaEmailProblem(value);
  return problem === undefined
    ? value
    : fail(
        ctx,
        `expected an e-mail address Gitea accepts, like admin@example.com or mauro@localhost: ${problem}; got ${showValue(value)}`,
      );
}

// Why: an external Gitea's admin must not keep a password anyone who read the seed knows.
export function adminPassword(value: string | undefined, ctx: Ctx): string | undefined {
  if (value === undefined) return undefined;
  if (INSECURE_PASSWORDS.includes(value.toLowerCase())) {
    return fail(ctx, 'is a well-known default; choose a unique one (value not shown)');
  }
  if (value.length < MIN_PASSWORD_LENGTH) {
    return fail(ctx, `expected at least ${MIN_PASSWORD_LENGTH} characters (value not shown)`);
  }
  return value;
}

// Why: Gitea rejects a token request with an unknown scope, or with public-only alone.
export function tokenScopes(value: string, ctx: Ctx): string[] {
  const scopes = value.split(',');
  const unknown = scopes.filter((s) => !GITEA_TOKEN_SCOPES.includes(s));
  if (unknown.length > 0) {
    return fail(
      ctx,
      `expected comma-separated Gitea token scopes without spaces (${GITEA_TOKEN_SCOPES.join(', ')}); unknown: ${unknown.map(showValue).join(', ')}`,
    );
  }
  const unique = [...new Set(scopes)];
  if (unique.every((s) => s === 'public-only')) {
    return fail(
      ctx,
      'expected at least one read:/write:/all scope besides public-only (Gitea rejects such a token)',
    );
  }
  return unique;
}
