// `gitea admin user generate-access-token` (cmd/admin_user_generate_access_token.go).
import { createToken, findByName, tokenNameExists } from '../accounts.ts';
import { matchCliFault } from '../faults.ts';
import type { GlobalOptions } from '../settings.ts';
import { DbError } from '../state-store.ts';
import { FlagValues, type FlagSpec } from './args.ts';
import { CommandError, commandTokenScope, loadForCommand, openDatabase } from './context.ts';

export const GENERATE_TOKEN_FLAGS: FlagSpec[] = [
  { name: 'username', aliases: ['u'], type: 'string' },
  { name: 'token-name', aliases: ['t'], type: 'string', default: 'gitea-admin' },
  { name: 'raw', type: 'bool', default: 'false' },
  { name: 'scopes', type: 'string', default: 'all' },
];

/** Run the command; throws CommandError for `Command error: ...` exits. */
export function runGenerateAccessToken(globals: GlobalOptions, f: FlagValues): void {
  if (!f.isSet('username')) throw new CommandError('Required flag "username" not set');
  const settings = loadForCommand(globals);
  const store = openDatabase(settings);
  const fault = matchCliFault('admin user generate-access-token');
  if (fault) throw new CommandError(fault.message);
  try {
    const value = store.transaction((state) => {
      const user = findByName(state, f.string('username'));
      if (!user || user.type === 'organization')
        throw new CommandError(`user does not exist [uid: 0, name: ${f.string('username')}]`);
      const name = f.string('token-name');
      if (tokenNameExists(state, user.id, name))
        throw new CommandError('access token name has been used already');
      const scope = commandTokenScope(f.string('scopes'));
      return createToken(state, user.id, name, scope).value;
    });
    process.stdout.write(f.bool('raw') ? `${value}\n` : `Access token was successfully created: ${value}\n`);
  } catch (error) {
    if (error instanceof DbError) throw new CommandError(error.message);
    throw error;
  }
}
