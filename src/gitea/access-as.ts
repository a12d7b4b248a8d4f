// "Can the Gitea run user reach this path?", asked as that user: gigi-boot runs as root, for
// whom every permission check passes, so the answer must come from a process with the run
// user's uid and groups (setpriv, as the gitea commands are run). This sees what permission
// bits, ACLs and every directory above the path really allow.
import { execFile } from 'node:child_process';
import { ConfigError } from '../errors.ts';
import type { RunAs } from './run-as.ts';

/** One `test -x` per path and its exit status on a line: several paths cost one child, not one each. */
const TEST_EACH = 'for p do test -x "$p"; echo $?; done';

/**
 * Whether `test -x path` succeeds as the run user (a directory: it can be entered), for each
 * path, asked of one child: the warm start asks two, and each child is a setpriv and a shell
 * to start. Bounded by timeoutMs (GIGI_BOOT_COMMAND_TIMEOUT): a path on a hung network mount
 * must not hang the boot. A path not answered by the deadline rejects with a ConfigError naming
 * it, only when its answer is awaited (the caller may not need every answer).
 * node:child_process, not execa: this runs on every start, warm ones too, and execa's hundred
 * modules cost more to load than the check itself.
 */
export function runUserCanExecuteEach(runAs: RunAs, paths: string[], timeoutMs: number): Promise<boolean>[] {
  if (!runAs.switchUser) throw new Error('runUserCanExecute: only meaningful when gigi-boot switches users');
  const answers = new Promise<{ lines: string[]; killed: boolean }>((resolve) => {
    execFile(
      'setpriv',
      [
        `--reuid=${runAs.uid}`,
        `--regid=${runAs.gid}`,
        '--init-groups',
        '--',
        'sh',
        '-c',
        TEST_EACH,
        'sh',
        ...paths,
      ],
      // SIGKILL at the deadline: a process stuck on a hung mount does not answer TERM either.
      { env: { PATH: '/usr/bin:/bin' }, timeout: timeoutMs, killSignal: 'SIGKILL' },
      (error, stdout) => {
        resolve({
          lines: String(stdout).split('\n'),
          killed: Boolean((error as { killed?: boolean } | null)?.killed),
        });
      },
    );
  });
  return paths.map((path, index) => {
    const answer = answers.then(({ lines, killed }) => {
      const status = lines[index];
      // A line the shell wrote is that path's answer; a missing one is a timeout (killed) or
      // a child that could not run the test (no answer means no, as a failed `test`).
      if (status !== undefined && /^\d+$/.test(status)) return status === '0';
      if (!killed) return false;
      throw new ConfigError([
        `cannot tell whether the Gitea run user ${runAs.user} can reach ${path}: "test -x" did not answer within ${timeoutMs} ms (GIGI_BOOT_COMMAND_TIMEOUT)`,
      ]);
    });
    answer.catch(() => undefined); // rejected only for whoever awaits it
    return answer;
  });
}

/** True when `test -x path` succeeds as the run user; see runUserCanExecuteEach. */
export async function runUserCanExecute(runAs: RunAs, path: string, timeoutMs: number): Promise<boolean> {
  return runUserCanExecuteEach(runAs, [path], timeoutMs)[0]!;
}
