// Access-token scopes (models/auth/access_token_scope.go) and token storage
// (models/auth/access_token.go): 20 random bytes hex, stored as salted hash + last eight.
import { pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export const SCOPE_CATEGORIES = [
  'activitypub',
  'admin',
  'misc',
  'notification',
  'organization',
  'package',
  'issue',
  'repository',
  'user',
] as const;
export type ScopeCategory = (typeof SCOPE_CATEGORIES)[number];

export class ScopeError extends Error {}

/** Normalise a comma-joined scope string exactly like AccessTokenScope.Normalize. */
export function normaliseScopes(raw: string): string {
  let publicOnly = false;
  const level = new Map<ScopeCategory, 'read' | 'write'>();
  for (const item of raw.split(',')) {
    if (item === '') continue;
    if (item === 'all') {
      for (const c of SCOPE_CATEGORIES) level.set(c, 'write');
      continue;
    }
    if (item === 'public-only') {
      publicOnly = true;
      continue;
    }
    const m = /^(read|write):(.+)$/.exec(item);
    const cat = m?.[2] as ScopeCategory | undefined;
    if (!m || !cat || !SCOPE_CATEGORIES.includes(cat))
      throw new ScopeError(`invalid access token scope: ${item}`);
    if (m[1] === 'write' || level.get(cat) !== 'write') level.set(cat, m[1] as 'read' | 'write');
  }
  const out: string[] = publicOnly ? ['public-only'] : [];
  if (SCOPE_CATEGORIES.every((c) => level.get(c) === 'write')) out.push('all');
  else for (const c of SCOPE_CATEGORIES) if (level.has(c)) out.push(`${level.get(c)}:${c}`);
  return out.join(',');
}

/** Does a normalised scope carry any permission (not just `public-only`)? */
export function hasPermissionScope(scope: string): boolean {
  return scope.split(',').some((s) => s !== '' && s !== 'public-only');
}

/** Does the token scope grant `needed` (e.g. `write:organization`)? write implies read. */
export function scopeAllows(scope: string, needed: string): boolean {
  const items = scope.split(',');
  if (items.includes('all')) return true;
  const [lvl, cat] = needed.split(':');
  return items.includes(needed) || (lvl === 'read' && items.includes(`write:${cat}`));
}

export function hashSecret(secret: string, salt: string, iterations = 10_000): string {
  return pbkdf2Sync(secret, salt, iterations, 50, 'sha256').toString('hex');
}

export function newSalt(): string {
  return randomBytes(16).toString('hex');
}

export function secretMatches(secret: string, salt: string, hash: string): boolean {
  const a = Buffer.from(hashSecret(secret, salt), 'hex');
  const b = Buffer.from(hash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A new token value: 40 lowercase hex chars. */
export function newTokenValue(): string {
  return randomBytes(20).toString('hex');
}
