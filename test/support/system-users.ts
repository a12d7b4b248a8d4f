// Gitea (and so the simulator) refuses to run as root, so when the tests run as root they
// need the unprivileged `gigi` user the image has. Creating it is idempotent.
import { execFileSync } from 'node:child_process';
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
