// Gitea (and so the simulator) refuses to run as root, so when the tests run as root they
// need the unprivileged `gigi` user the image has. Creating it is idempotent.
import { execFileSync, spawnSync } from 'node:child_process';
import { userInfo } from 'node:os';

export const GITEA_TEST_USER = 'gigi';

/** Make sure the unprivileged user exists when we are root; a no-op otherwise. */
export function ensureGiteaUser(): void {
  if (userInfo().uid !== 0) return;
  try {
    execFileSync('id', ['-u', GITEA_TEST_USER], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['--create-home', '--shell', '/bin/sh', GITEA_TEST_USER], { stdio: 'inherit' });
  }
}

/** Run argv as `user` (setpriv, no supplementary groups): an attacker's planting, or a reader's try. */
export function runAsUser(
  user: string,
  argv: string[],
): { status: number | null; stdout: string; stderr: string } {
  const group = user === 'nobody' ? 'nogroup' : user;
  const result = spawnSync('setpriv', [`--reuid=${user}`, `--regid=${group}`, '--clear-groups', ...argv], {
    encoding: 'utf8',
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Run argv as the unprivileged Gitea user and fail the test when it fails (planting must work). */
export function plantAsGigi(argv: string[]): void {
  const result = runAsUser(GITEA_TEST_USER, argv);
  if (result.status !== 0)
    throw new Error(`${argv.join(' ')} as ${GITEA_TEST_USER} failed: ${result.stderr}`);
}
