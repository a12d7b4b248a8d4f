// Once per `vitest run`: the unprivileged Gitea user, and a throwaway Postgres cluster
// whose URL reaches the tests as TEST_DATABASE_URL (kept if the caller already set one).
import type { TestProject } from 'vitest/node';
import { startTestCluster, type TestCluster } from './postgres.ts';
import { ensureGiteaUser } from './system-users.ts';

let cluster: TestCluster | undefined;

export async function setup(_project: TestProject): Promise<void> {
  ensureGiteaUser();
  if (!process.env.TEST_DATABASE_URL) {
    cluster = await startTestCluster();
    process.env.TEST_DATABASE_URL = cluster.url;
  }
}

export async function teardown(): Promise<void> {
  await cluster?.stop();
}
