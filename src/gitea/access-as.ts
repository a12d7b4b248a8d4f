// "Can the Gitea run user reach this path?", asked as that user: gigi-boot runs as root, for
// whom every permission check passes, so the answer must come from a process with the run
// user's uid and groups (setpriv, as the gitea commands are run). This sees what permission
// bits, ACLs and every directory above the path really allow.
import { execFile } from 'node:child_process';
import { ConfigError } from '../errors.ts';
import type { RunAs } from './run-as.ts';

/**
 * True when `test -x path` succeeds as the run user (a directory: it can be entered). Bounded by
 * timeoutMs (GIGI_BOOT_COMMAND_TIMEOUT): a path on a hung network mount must not hang the boot.
 * node:child_process, not execa: this runs on every start, warm ones too, and execa's hundred
 * modules cost more to load than the check itself.
 */
export async function runUserCanExecute(runAs: RunAs, path: string, timeoutMs: number): Promise<boolean> {
  if (!runAs.switchUser) throw new Error('runUserCanExecute: only meaningful when gigi-boot switches users');
  const outcome = await new Promise<'yes' | 'no' | 'timeout'>((resolve) => {
    execFile(
      'setpriv',
      [`--reuid=${runAs.uid}`, `--regid=${runAs.gid}`, '--init-groups', '--', 'test', '-x', path],
      // SIGKILL at the deadline: a process stuck on a hung mount does not answer TERM either.
      { env: { PATH: '/usr/bin:/bin' }, timeout: timeoutMs, killSignal: 'SIGKILL' },
      (error) => {
        if (!error) resolve('yes');
        else resolve((error as { killed?: boolean }).killed ? 'timeout' : 'no');
      },
    );
  });
  if (outcome === 'timeout')
    throw new ConfigError([
      `cannot tell whether the Gitea run user ${runAs.user} can reach ${path}: "test -x" did not answer within ${timeoutMs} ms (GIGI_BOOT_COMMAND_TIMEOUT)`,
    ]);
  return outcome === 'yes';
}
