// What every config-reading command does first (cmd/cmd.go initDB, setting.MustInstalled).
import { fatal } from '../log.ts';
import { loadSettings, type GlobalOptions, type Settings } from '../settings.ts';
import { recordCall, StateStore } from '../state-store.ts';
import { hasPermissionScope, normaliseScopes, ScopeError } from '../tokens.ts';

/** Command errors are printed by RunMainApp as `Command error: <err>` on stderr, exit 1. */
export class CommandError extends Error {}

/** A token's scopes as both token commands check them: valid names, and at least one permission. */
export function commandTokenScope(raw: string): string {
  let scope: string;
  try {
    scope = normaliseScopes(raw);
  } catch (error) {
    if (error instanceof ScopeError)
      throw new CommandError(`invalid access token scope provided: ${error.message}`);
    throw error;
  }
  if (!hasPermissionScope(scope)) throw new CommandError('access token does not have any permission');
  return scope;
}

/** setting.MustInstalled + the DB_TYPE check, then open the store like sqlite mode=rwc. */
export function openDatabase(settings: Settings): StateStore {
  if (!settings.installLock)
    fatal(
      'setting/setting.go:245:MustInstalled()',
      'Unable to load config file for a installed Gitea instance, you should either use "--config" to set your config file (app.ini), or run "gitea web" command to install Gitea.',
    );
  if (settings.dbType === '')
    fatal(
      'cmd/cmd.go:80:initDB()',
      `Database settings are missing from the configuration file: "${settings.configPath}". Ensure you are running in the correct environment or set the correct configuration file with -c.`,
    );
  const store = new StateStore(settings.dbPath, settings.sqliteTimeoutMs);
  recordCall(settings.dbPath, 'cli');
  store.open();
  return store;
}

export function loadForCommand(globals: GlobalOptions): Settings {
  return loadSettings(globals);
}
