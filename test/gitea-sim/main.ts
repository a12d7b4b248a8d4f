// Entry point of the simulated `gitea` binary: urfave/cli-like command dispatch and exit codes.
import { appendFileSync } from 'node:fs';
import { runUserCreate, USER_CREATE_FLAGS } from './cli/admin-user-create.ts';
import {
  CHANGE_PASSWORD_FLAGS,
  LIST_FLAGS,
  MUST_CHANGE_PASSWORD_FLAGS,
  runChangePassword,
  runList,
  runMustChangePassword,
} from './cli/admin-user-manage.ts';
import { FlagValues, GLOBAL_FLAGS, parseFlags, UsageError, type FlagSpec } from './cli/args.ts';
import { CommandError } from './cli/context.ts';
import { GENERATE_TOKEN_FLAGS, runGenerateAccessToken } from './cli/generate-access-token.ts';
import { runGenerateSecret } from './cli/generate-secret.ts';
import type { GlobalOptions } from './settings.ts';

const WEB_FLAGS: FlagSpec[] = [
  { name: 'port', aliases: ['p'], type: 'string' },
  { name: 'install-port', type: 'string' },
  { name: 'pid', aliases: ['P'], type: 'string' },
  { name: 'quiet', aliases: ['q'], type: 'bool' },
  { name: 'verbose', type: 'bool' },
];

const USAGE = `NAME:
   gitea - A painless self-hosted Git service

USAGE:
   gitea [global options] command [command options]

COMMANDS:
   web       Start Gitea web server
   admin     Perform common administrative operations
   generate  Generate Gitea's secrets/keys/tokens
`;

/** `gitea admin user <action>`: each action's flags and what runs it (with the words left over). */
const USER_ACTIONS: Record<
  string,
  { flags: FlagSpec[]; run: (globals: GlobalOptions, f: FlagValues, positional: string[]) => void }
> = {
  create: { flags: USER_CREATE_FLAGS, run: runUserCreate },
  'generate-access-token': { flags: GENERATE_TOKEN_FLAGS, run: runGenerateAccessToken },
  'change-password': { flags: CHANGE_PASSWORD_FLAGS, run: runChangePassword },
  'must-change-password': { flags: MUST_CHANGE_PASSWORD_FLAGS, run: runMustChangePassword },
  list: { flags: LIST_FLAGS, run: runList },
};

function globalsOf(values: Map<string, string>): GlobalOptions {
  return {
    config: values.get('config'),
    workPath: values.get('work-path'),
    customPath: values.get('custom-path'),
  };
}

async function dispatch(argv: string[]): Promise<number> {
  const values = new Map<string, string>();
  let { positional } = parseFlags(argv, GLOBAL_FLAGS, values);
  const peek = (): string | undefined => positional[0];
  const next = (specs: FlagSpec[]): string | undefined => {
    const word = positional[0];
    ({ positional } = parseFlags(positional.slice(1), [...GLOBAL_FLAGS, ...specs], values));
    return word;
  };
  if (values.has('help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values.has('version')) {
    process.stdout.write(
      'Gitea version 1.24.7 built with GNU Make 4.3, go1.24.9 : bindata, sqlite, sqlite_unlock_notify\n',
    );
    return 0;
  }
  const cmd = positional[0];
  if (cmd === 'web' || cmd === undefined) {
    if (cmd) next(WEB_FLAGS);
    if (positional.length > 0) throw new UsageError(`unexpected argument '${positional[0]}'`);
    const { runWeb } = await import('./web.ts');
    return runWeb(globalsOf(values), new FlagValues(values, WEB_FLAGS));
  }
  if (cmd === 'generate') {
    next([]);
    const sub = next([]);
    if (sub !== 'secret')
      throw new UsageError(sub ? `No help topic for '${sub}'` : 'a subcommand is required: secret');
    runGenerateSecret(positional);
    return 0;
  }
  if (cmd === 'admin') {
    next([]);
    const group = peek();
    if (group !== 'user')
      throw new UsageError(group ? `No help topic for '${group}'` : 'a subcommand is required');
    next([]);
    const action = peek();
    const sub =
      action === undefined || !Object.hasOwn(USER_ACTIONS, action) ? undefined : USER_ACTIONS[action];
    if (sub) {
      next(sub.flags);
      sub.run(globalsOf(values), new FlagValues(values, sub.flags), positional);
      return 0;
    }
    throw new UsageError(action ? `No help topic for '${action}'` : 'a subcommand is required');
  }
  throw new UsageError(`No help topic for '${cmd}'`);
}

/** Tests check that no secret reaches a command line: each run appends its argv to GITEA_SIM_ARGV_LOG. */
function recordArgv(argv: string[]): void {
  const log = process.env.GITEA_SIM_ARGV_LOG;
  if (log) appendFileSync(log, `${JSON.stringify({ pid: process.pid, argv })}\n`);
}

/** Run with argv (without node and script); resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  recordArgv(argv);
  try {
    return await dispatch(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`Incorrect Usage: ${error.message}\n\n${USAGE}`);
      return 1;
    }
    if (error instanceof CommandError) {
      process.stderr.write(`Command error: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
