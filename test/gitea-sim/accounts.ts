// Operations on users and tokens shared by the CLI and the API (models/user, models/auth).
import { createHash } from 'node:crypto';
import type { DbState, TokenRow, UserRow, UserType } from './state-store.ts';
import { hashSecret, newSalt, newTokenValue } from './tokens.ts';
import { emailError, usernameError } from './validation.ts';

export class AccountError extends Error {}

export interface NewUser {
  name: string;
  email: string;
  password: string;
  type: UserType;
  isAdmin: boolean;
  mustChangePassword: boolean;
  restricted: boolean;
  fullName: string;
  visibility: UserRow['visibility'];
}

export function nowUnix(): number {
  return Math.floor(Date.now() / 1000);
}

/** Case-insensitive lookup in the shared user/org namespace. */
export function findByName(state: DbState, name: string): UserRow | undefined {
  const lower = name.toLowerCase();
  return state.users.find((u) => u.lowerName === lower);
}

/** createUser's checks in Gitea's order, then insert; throws AccountError with Gitea's text. */
export function createUser(
  state: DbState,
  input: NewUser,
  emailLists: { allow: string; block: string },
): UserRow {
  const nameErr = usernameError(input.name);
  if (nameErr) throw new AccountError(nameErr);
  const email = input.email.trim();
  const mailErr = emailError(email, emailLists.allow, emailLists.block);
  if (mailErr) throw new AccountError(mailErr);
  if (findByName(state, input.name)) throw new AccountError(`user already exists [name: ${input.name}]`);
  if (state.users.some((u) => u.type !== 'organization' && u.email.toLowerCase() === email.toLowerCase()))
    throw new AccountError(`e-mail already in use [email: ${email}]`);
  const salt = newSalt();
  const now = nowUnix();
  const user: UserRow = {
    id: ++state.seq.user,
    name: input.name,
    lowerName: input.name.toLowerCase(),
    type: input.type,
    email,
    fullName: input.fullName,
    passwdHash: input.password === '' ? '' : hashSecret(input.password, salt),
    salt,
    isAdmin: input.isAdmin,
    isActive: true,
    prohibitLogin: false,
    mustChangePassword: input.mustChangePassword,
    restricted: input.restricted,
    visibility: input.visibility,
    description: '',
    website: '',
    location: '',
    repoAdminChangeTeamAccess: false,
    createdUnix: now,
    lastLoginUnix: 0,
  };
  state.users.push(user);
  return user;
}

/** NewAccessToken: returns the row and the one-time plain value. */
export function createToken(
  state: DbState,
  uid: number,
  name: string,
  scope: string,
): { row: TokenRow; value: string } {
  const value = newTokenValue();
  const salt = newSalt();
  const now = nowUnix();
  const row: TokenRow = {
    id: ++state.seq.token,
    uid,
    name,
    tokenHash: hashSecret(value, salt),
    tokenSalt: salt,
    tokenLastEight: value.slice(-8),
    scope,
    createdUnix: now,
    updatedUnix: now,
  };
  state.tokens.push(row);
  return { row, value };
}

export function tokenNameExists(state: DbState, uid: number, name: string): boolean {
  return state.tokens.some((t) => t.uid === uid && t.name === name);
}

export function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}
