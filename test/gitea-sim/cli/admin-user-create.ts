// `gitea admin user create` (cmd/admin_user_create.go): flags, validation order, output.
import { AccountError, createToken, createUser } from '../accounts.ts';
import { holdSync, matchCliFault } from '../faults.ts';
import { randomAlnum } from '../secrets.ts';
import { settingString, type GlobalOptions } from '../settings.ts';
import { DbError } from '../state-store.ts';
import { FlagValues, type FlagSpec } from './args.ts';
import { CommandError, commandTokenScope, loadForCommand, openDatabase } from './context.ts';

export const USER_CREATE_FLAGS: FlagSpec[] = [
  { name: 'name', type: 'string' },
  { name: 'username', type: 'string' },
  { name: 'user-type', type: 'string', default: 'individual' },
  { name: 'password', type: 'string' },
  { name: 'email', type: 'string' },
  { name: 'admin', type: 'bool', default: 'false' },
  { name: 'random-password', type: 'bool' },
  { name: 'must-change-password', type: 'bool' },
  { name: 'random-password-length', type: 'int', default: '12' },
  { name: 'access-token', type: 'bool', default: 'false' },
  { name: 'access-token-name', type: 'string', default: 'gitea-admin' },
  { name: 'access-token-scopes', type: 'string', default: 'all' },
  { name: 'restricted', type: 'bool' },
  { name: 'fullname', type: 'string' },
];

function dbFailure(prefix: string, error: unknown): never {
  if (error instanceof DbError) throw new CommandError(`${prefix}: ${error.message}`);
  throw error;
}

/** Run the command; throws CommandError for `Command error: ...` exits. */
export function runUserCreate(globals: GlobalOptions, f: FlagValues): void {
  const settings = loadForCommand(globals);
  if (!f.isSet('email')) throw new CommandError('email is not set');
  const userType = f.string('user-type');
  if (userType !== 'individual' && userType !== 'bot')
    throw new CommandError(`invalid user type: ${userType}`);
  if (userType !== 'individual' && (f.isSet('password') || f.isSet('random-password')))
    throw new CommandError('password can only be set for individual users');
  if (f.isSet('name') && f.isSet('username'))
    throw new CommandError('cannot set both --name and --username flags');
  if (!f.isSet('name') && !f.isSet('username'))
    throw new CommandError('one of --name or --username flags must be set');
  if (f.isSet('password') && f.isSet('random-password'))
    throw new CommandError('cannot set both -random-password and -password flags');
  let username: string;
  if (f.isSet('username')) username = f.string('username');
  else {
    username = f.string('name');
    process.stderr.write('--name flag is deprecated. Use --username instead.\n');
  }

  const store = openDatabase(settings);

  let password = '';
  if (f.isSet('password')) password = f.string('password');
  else if (f.isSet('random-password')) {
    password = randomAlnum(f.int('random-password-length'));
    process.stdout.write(`generated random password is '${password}'\n`);
  } else if (userType === 'individual')
    throw new CommandError('must set either password or random-password flag');

  let mustChangePassword = true;
  if (f.isSet('must-change-password')) {
    if (userType !== 'individual')
      throw new CommandError('must-change-password flag can only be set for individual users');
    mustChangePassword = f.bool('must-change-password');
  } else {
    let hasUsers: boolean;
    try {
      hasUsers = store.read('user').users.length > 0;
    } catch (error) {
      dbFailure('IsTableNotEmpty', error);
    }
    if (!hasUsers) mustChangePassword = false;
  }

  let tokenName = '';
  let tokenScope = '';
  if (f.bool('access-token')) {
    tokenName = f.string('access-token-name').trim();
    if (tokenName === '') throw new CommandError('access-token-name cannot be empty');
    tokenScope = commandTokenScope(f.string('access-token-scopes'));
  } else if (f.isSet('access-token-name') || f.isSet('access-token-scopes')) {
    throw new CommandError(
      'access-token-name and access-token-scopes flags are only valid when access-token flag is set',
    );
  }

  const fault = matchCliFault('admin user create');
  if (fault) throw new CommandError(fault.message);

  let uid: number;
  try {
    uid = store.transaction((state) => {
      const visibility = settingString(settings, 'service', 'DEFAULT_USER_VISIBILITY', 'public');
      return createUser(
        state,
        {
          name: username,
          email: f.string('email'),
          password,
          type: userType,
          isAdmin: f.bool('admin'),
          mustChangePassword: userType === 'individual' ? mustChangePassword : false,
          restricted: f.bool('restricted'),
          fullName: f.string('fullname'),
          visibility: visibility === 'private' || visibility === 'limited' ? visibility : 'public',
        },
        {
          allow: settingString(settings, 'service', 'EMAIL_DOMAIN_ALLOWLIST', ''),
          block: settingString(settings, 'service', 'EMAIL_DOMAIN_BLOCKLIST', ''),
        },
      ).id;
    });
  } catch (error) {
    if (error instanceof AccountError) throw new CommandError(`CreateUser: ${error.message}`);
    dbFailure('CreateUser', error);
  }
  holdSync('admin user create');
  process.stdout.write(`New user '${username}' has been successfully created!\n`);

  if (tokenScope !== '') {
    let value: string;
    try {
      value = store.transaction(
        (state) => createToken(state, uid, tokenName, tokenScope).value,
        false,
        'access_token',
      );
    } catch (error) {
      dbFailure('NewAccessToken', error);
    }
    process.stdout.write(`Access token was successfully created... ${value}\n`);
  }
}
