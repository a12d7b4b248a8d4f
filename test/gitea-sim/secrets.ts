// Secret formats of `gitea generate secret` (cmd/generate.go, modules/generate).
import { createHmac, randomBytes, randomInt } from 'node:crypto';

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Random string over [a-zA-Z0-9]; Gitea's SECRET_KEY and default-complexity passwords. */
export function randomAlnum(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALNUM[randomInt(ALNUM.length)];
  return out;
}

/** 43 chars of unpadded base64url over 32 random bytes: JWT_SECRET / LFS_JWT_SECRET. */
export function newJwtSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** Gitea accepts a JWT secret only if it decodes (unpadded base64url) to exactly 32 bytes. */
export function isValidJwtSecret(value: string): boolean {
  if (!/^[A-Za-z0-9_-]{43}$/.test(value)) return false;
  return Buffer.from(value, 'base64url').length === 32;
}

/** An HS256 JWT with only `nbf`, signed with a throw-away key: INTERNAL_TOKEN. */
export function newInternalToken(): string {
  const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
  const payload = Buffer.from(JSON.stringify({ nbf: Math.floor(Date.now() / 1000) })).toString('base64url');
  const sig = createHmac('sha256', randomBytes(32)).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${sig}`;
}
