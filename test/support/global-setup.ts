// Once per `vitest run`: the unprivileged Gitea user, and a throwaway Postgres cluster
// whose URL reaches the tests as TEST_DATABASE_URL (kept if the caller already set one).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { REPO_ROOT } from './boot-process.ts';
import { startTestCluster, type TestCluster } from './postgres.ts';
import { ensureGiteaUser } from './system-users.ts';

let cluster: TestCluster | undefined;

export async function setup(_project: TestProject): Promise<void> {
  ensureGiteaUser();
  // The CLI runs from the esbuild bundle when it is fresh: build it once, so each of the many
  // `gigi-boot` processes the e2e tests start does not transpile the sources again.
  execFileSync(process.execPath, [join(REPO_ROOT, 'bin', 'build.mjs')], { stdio: 'inherit' });
  if (!process.env.TEST_DATABASE_URL) {
    cluster = await startTestCluster();
    process.env.TEST_DATABASE_URL = cluster.url;
  }
}

export async function teardown(): Promise<void> {
  await cluster?.stop();
}
