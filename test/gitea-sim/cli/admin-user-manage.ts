// `gitea admin user change-password | must-change-password | list` (CONTRACT §L.6.1–§L.6.3).
import { settingString, type GlobalOptions } from '../settings.ts';
import { DbError, type UserRow } from '../state-store.ts';
import { hashSecret, newSalt } from '../tokens.ts';
import type { FlagSpec, FlagValues } from './args.ts';
import { CommandError, loadForCommand, openDatabase } from './context.ts';

export const CHANGE_PASSWORD_FLAGS: FlagSpec[] = [
  { name: 'username', aliases: ['u'], type: 'string', default: '' },
  { name: 'password', aliases: ['p'], type: 'string', default: '' },
  { name: 'must-change-password', type: 'bool', default: 'true' },
];

export const MUST_CHANGE_PASSWORD_FLAGS: FlagSpec[] = [
  { name: 'all', aliases: ['A'], type: 'bool', default: 'false' },
  { name: 'exclude', aliases: ['e'], type: 'string' },
  { name: 'unset', type: 'bool', default: 'false' },
];

export const LIST_FLAGS: FlagSpec[] = [{ name: 'admin', type: 'bool', default: 'false' }];

function dbError(error: unknown): never {
  if (error instanceof DbError) throw new CommandError(error.message);
  throw error;
}

/** cmd.go argsSet: not given → "X is not set"; blank → "X is required". */
function argsSet(f: FlagValues, names: string[]): void {
  for (const name of names) {
    if (!f.isSet(name)) throw new CommandError(`${name} is not set`);
    if (f.string(name).trim() === '') throw new CommandError(`${name} is required`);
  }
}

/** §L.6.1: the password and must_change_password = the flag (default true). */
export function runChangePassword(globals: GlobalOptions, f: FlagValues): void {
  const settings = loadForCommand(globals);
  argsSet(f, ['username', 'password']);
  const store = openDatabase(settings);
  const username = f.string('username');
  const password = f.string('password');
  const min = Number(settingString(settings, 'security', 'MIN_PASSWORD_LENGTH', '8')) || 0;
  let name: string;
  try {
    name = store.transaction((state) => {
      const user = state.users.find((u) => u.lowerName === username.toLowerCase() && u.type === 'individual');
      if (!user) throw new CommandError(`user does not exist [uid: 0, name: ${username}]`);
      if (Buffer.byteLength(password, 'utf8') < min)
        throw new CommandError(`password is not long enough, needs to be at least ${min} characters`);
      user.salt = newSalt();
      user.passwdHash = hashSecret(password, user.salt);
      user.mustChangePassword = f.bool('must-change-password');
      return user.name;
    });
  } catch (error) {
    dbError(error);
  }
  process.stdout.write(`${name}'s password has been successfully updated!\n`);
}

/** §L.6.2: one UPDATE over the named users (or all), no user-type filter. */
export function runMustChangePassword(globals: GlobalOptions, f: FlagValues, names: string[]): void {
  const settings = loadForCommand(globals);
  if (names.length === 0 && !f.isSet('all'))
    throw new CommandError('either usernames or --all must be provided');
  const include = names.map((n) => n.trim().toLowerCase()).filter((n) => n !== '');
  if (!f.bool('all') && include.length === 0) throw new CommandError('no users to include provided');
  const exclude = (f.isSet('exclude') ? f.string('exclude').split(',') : [])
    .map((n) => n.trim().toLowerCase())
    .filter((n) => n !== '');
  const value = !f.bool('unset');
  const store = openDatabase(settings);
  let count = 0;
  try {
    count = store.transaction((state) => {
      const rows = state.users.filter(
        (u: UserRow) =>
          (f.bool('all') || include.includes(u.lowerName)) &&
          !exclude.includes(u.lowerName) &&
          u.mustChangePassword !== value,
      );
      rows.forEach((u) => (u.mustChangePassword = value));
      return rows.length;
    });
  } catch (error) {
    dbError(error);
  }
  process.stdout.write(`Updated ${count} users setting MustChangePassword to ${value}\n`);
}

/** text/tabwriter(minwidth 5, padding 1): every column but the last padded. */
function tabulate(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(5, ...rows.map((r) => r[i]!.length + 1)));
  return rows
    .map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join(''))
    .map((line) => `${line}\n`)
    .join('');
}

/** §L.6.3: individual users by id; `--admin` (any value) lists admins with fewer columns. */
export function runList(globals: GlobalOptions, f: FlagValues): void {
  const settings = loadForCommand(globals);
  const store = openDatabase(settings);
  let users: UserRow[] = [];
  try {
    users = store
      .read('user')
      .users.filter((u) => u.type === 'individual')
      .sort((a, b) => a.id - b.id);
  } catch (error) {
    dbError(error);
  }
  const admin = f.isSet('admin');
  const rows = admin
    ? [
        ['ID', 'Username', 'Email', 'IsActive'],
        ...users.filter((u) => u.isAdmin).map((u) => [String(u.id), u.name, u.email, String(u.isActive)]),
      ]
    : [
        ['ID', 'Username', 'Email', 'IsActive', 'IsAdmin', '2FA'],
        ...users.map((u) => [String(u.id), u.name, u.email, String(u.isActive), String(u.isAdmin), 'false']),
      ];
  process.stdout.write(tabulate(rows));
}
