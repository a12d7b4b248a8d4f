// The `gitea admin user` subcommands that recover an account gigi-boot owns (CONTRACT §A.6,
// §L.6.2): mint a short-lived admin token, clear must-change-password. Neither puts a secret on
// argv: the token comes back on stdout, and passwords travel only in API request bodies.
import { GiteaProcessError } from '../errors.ts';
import { execFailure, resolveGiteaBinary } from './binary.ts';
import { runGiteaCli } from './cli.ts';
import { outputTail, redactGiteaOutput } from './redact.ts';
import type { RunAs } from './run-as.ts';

export interface AdminCliOptions {
  bin: string;
  configPath: string;
  /** Gitea's work dir (GITEA_WORK_DIR); must match WORK_PATH in app.ini. */
  workDir: string;
  runAs: RunAs;
  /** GIGI_BOOT_COMMAND_TIMEOUT: TERM after this, KILL 2 s later. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Why: run `gitea admin user <args>` as the run user; any failure is a GiteaProcessError naming the command. */
async function runAdminUser(
  options: AdminCliOptions,
  sub: string,
  args: string[],
  shown: string,
): Promise<string> {
  const bin = await resolveGiteaBinary(options.bin);
  // Flags before positional names: whether urfave/cli parses them after one is unknown (§L.10).
  const result = await runGiteaCli(
    options,
    bin,
    ['admin', 'user', sub, '--config', options.configPath, ...args],
    `gitea admin user ${shown}`,
  );
  if (result.exitCode === 0) return result.stdout;
  const notExecutable = execFailure(bin, result.exitCode, result.stderr);
  if (notExecutable) throw notExecutable;
  const tail = outputTail(redactGiteaOutput(`${result.stdout}\n${result.stderr}`));
  const reason = /Command error: (.*)/.exec(result.stderr)?.[1] ?? tail.split('\n').pop() ?? '';
  const locked = /database is locked|SQLITE_BUSY/i.test(tail);
  throw new GiteaProcessError(
    {
      message: `gitea admin user ${shown} failed with exit code ${String(result.exitCode)}: ${redactGiteaOutput(reason)}`,
      ...(result.exitCode !== undefined ? { exitCode: result.exitCode } : {}),
      outputTail: tail,
    },
    {
      transient: locked,
      hint: locked
        ? 'Gitea was busy writing; the step is retried.'
        : `Run "gitea admin user ${shown}" by hand as the Gitea user with --config ${options.configPath} to see the full error.`,
    },
  );
}

/** Why: an admin token from the CLI (printed on stdout with --raw), for when no password works. */
export async function generateAccessTokenWithCli(
  options: AdminCliOptions & { username: string; tokenName: string; scopes: string },
): Promise<string> {
  const stdout = await runAdminUser(
    options,
    'generate-access-token',
    ['--username', options.username, '--token-name', options.tokenName, '--scopes', options.scopes, '--raw'],
    `generate-access-token --username ${options.username}`,
  );
  // Log lines may share stdout (§B.3): the token is the line that is exactly 40 hex digits.
  const token = stdout
    .split('\n')
    .map((l) => l.trim())
    .find((l) => /^[0-9a-f]{40}$/.test(l));
  if (!token)
    throw new GiteaProcessError(
      { message: `gitea admin user generate-access-token --raw printed no token`, exitCode: 0 },
      { hint: 'Check that GITEA_BIN is Gitea 1.24 (the output of --raw changed?).' },
    );
  return token;
}

/** Why: a token-authenticated API call of a must-change-password account gets 403 (§L.1): clear the flag first. */
export async function unsetMustChangePasswordWithCli(
  options: AdminCliOptions & { username: string },
): Promise<void> {
  await runAdminUser(
    options,
    'must-change-password',
    ['--unset', options.username],
    `must-change-password --unset ${options.username}`,
  );
}
