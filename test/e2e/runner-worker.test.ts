// The runner-worker image step inside real boots, against the real Docker engine: built in
// parallel with the Gitea steps, rebuilt only when its context changed, non-fatal when it
// fails, and aborted without leftovers on SIGTERM.
import { createServer, connect, type Server } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GITEA_REGION_STEPS } from '../../machines/boot.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../support/boot-process.ts';
import { queryRows } from '../support/postgres.ts';
import {
  cleanupContexts,
  containersOf,
  dockerBootEnv,
  imageIdOf,
  makeContext,
  requireEngine,
  type TestContext,
} from '../docker/helpers.ts';
import { waitFor } from '../support/wait.ts';

interface Row {
  step: string;
  outcome: string;
  started_at: Date;
  finished_at: Date;
  duration_ms: number;
  detail: Record<string, unknown> | null;
  error: string | null;
}

const journal = (databaseUrl: string): Promise<Row[]> =>
  queryRows<Row>(
    databaseUrl,
    'select j.step, j.outcome, j.started_at, j.finished_at, j.duration_ms, j.detail, j.error from gigi_boot_journal j join gigi_boot_runs r using (run_id) order by j.id',
  );

async function lastRun(databaseUrl: string): Promise<{ status: string; error: string | null }> {
  const rows = await queryRows<{ status: string; error: string | null }>(
    databaseUrl,
    'select status, error from gigi_boot_runs order by started_at desc limit 1',
  );
  return rows[0]!;
}

const dockerBoot = (context: TestContext, extra: Record<string, string> = {}) =>
  dockerBootEnv(context, { prefix: 'docker', extra });

beforeAll(requireEngine);
afterAll(cleanupContexts);

describe('runner-worker image during a boot (real Docker engine)', () => {
  it('builds beside the Gitea steps (wall ≈ max, not sum), then skips an unchanged context and rebuilds a changed one', async () => {
    const context = makeContext(['RUN ["/bin/busybox", "sleep", "4"]']);
    const { env, databaseUrl } = await dockerBoot(context);
    const first = await runCli(['run', '--no-handoff'], env);
    expect(first.code, first.stdout + first.stderr).toBe(0);

    const rows = await journal(databaseUrl);
    const build = rows.find((r) => r.step === 'buildRunnerWorker')!;
    expect(build.detail).toMatchObject({
      outcome: 'built',
      tags: [`${context.image}:latest`, expect.stringMatching(/:ctx-[0-9a-f]{12}$/)],
    });
    const gitea = rows.filter((r) => (GITEA_REGION_STEPS as readonly string[]).includes(r.step));
    const giteaStart = Math.min(...gitea.map((r) => r.started_at.getTime()));
    const giteaEnd = Math.max(...gitea.map((r) => r.finished_at.getTime()));
    const giteaSum = gitea.reduce((sum, r) => sum + r.duration_ms, 0);
    // The two intervals overlap, and together they took less than one after the other.
    expect(build.started_at.getTime()).toBeLessThan(giteaEnd);
    expect(build.finished_at.getTime()).toBeGreaterThan(giteaStart);
    const wall =
      Math.max(giteaEnd, build.finished_at.getTime()) - Math.min(giteaStart, build.started_at.getTime());
    expect(wall).toBeLessThan(giteaSum + build.duration_ms);
    const firstId = await imageIdOf(`${context.image}:latest`);
    expect(firstId).toBeTruthy();

    // A setting change makes the next boot run its steps again: the image is found up to date.
    const again = await runCli(['run', '--no-handoff'], { ...env, TELEGRAM_TOKEN: 'tg-changed-123' });
    expect(again.code, again.stderr).toBe(0);
    const upToDate = (await journal(databaseUrl)).filter((r) => r.step === 'buildRunnerWorker').at(-1)!;
    expect(upToDate.detail).toMatchObject({ outcome: 'up-to-date', cacheHit: true });

    // A changed Dockerfile is rebuilt, even though nothing else changed, and both tags move.
    context.dockerfile(['RUN ["/bin/busybox", "true"]']);
    const changed = await runCli(['run', '--no-handoff'], { ...env, TELEGRAM_TOKEN: 'tg-changed-123' });
    expect(changed.code, changed.stderr).toBe(0);
    const rebuilt = (await journal(databaseUrl)).filter((r) => r.step === 'buildRunnerWorker').at(-1)!;
    expect(rebuilt.detail).toMatchObject({ outcome: 'built' });
    const secondId = await imageIdOf(`${context.image}:latest`);
    expect(secondId).not.toBe(firstId);
    const tags = rebuilt.detail!.tags as string[];
    expect(await imageIdOf(tags[1]!)).toBe(secondId);
  }, 240_000);

  it('a broken Dockerfile degrades the boot: it completes, and says why and what to do', async () => {
    const context = makeContext(['RUN ["/bin/busybox", "false"]']);
    const { env, databaseUrl } = await dockerBoot(context, { GIGI_BOOT_STEP_ATTEMPTS: '1' });
    const result = await runCli(['run', '--no-handoff'], env);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(await lastRun(databaseUrl)).toMatchObject({
      status: 'degraded',
      error: expect.stringMatching(/^buildRunnerWorker: /),
    });
    const inspect = await runCli(['inspect'], env);
    expect(inspect.code).toBe(0);
    expect(inspect.stdout).toMatch(/Status: +degraded/);
    expect(inspect.stdout).toMatch(/Degraded: buildRunnerWorker: [\s\S]*the next boot rebuilds/);
    // The next boot hands off without building: the build's retry is not due yet (backoff
    // across restarts); Gitea's steps are not run again (test/e2e/background-build.test.ts).
    const next = await runCli(['run', '--no-handoff'], env);
    expect(next.stdout).toMatch(/"event":"boot.plan","plan":"warm"/);
  }, 180_000);

  it('no Docker socket: the step is skipped with the reason, the boot completes', async () => {
    const context = makeContext();
    const { env, databaseUrl } = await dockerBoot(context, {
      GIGI_BOOT_DOCKER_SOCKET: '/nonexistent/dind/docker.sock',
      GIGI_BOOT_DOCKER_SOCKET_WAIT: '0',
    });
    const result = await runCli(['run', '--no-handoff'], env);
    expect(result.code, result.stderr).toBe(0);
    const build = (await journal(databaseUrl)).find((r) => r.step === 'buildRunnerWorker')!;
    expect(build.outcome).toBe('skipped');
    expect(String(build.detail?.reason)).toContain('/nonexistent/dind/docker.sock');
    expect((await lastRun(databaseUrl)).status).toBe('completed');
  }, 120_000);

  it('the daemon going away mid-build degrades the boot after the retries', async () => {
    const context = makeContext(['RUN ["/bin/busybox", "sleep", "20"]']);
    const dir = mkdtempSync(join(tmpdir(), 'gigi-docker-relay-'));
    const socket = join(dir, 'docker.sock');
    // A relay in front of the real engine that we can "switch off": the socket stays, every
    // connection is cut and new ones are hung up on, as when dockerd stops.
    let down = false;
    const open = new Set<import('node:net').Socket>();
    const relay: Server = createServer((client) => {
      if (down) return client.destroy();
      const upstream = connect('/var/run/docker.sock');
      open.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((r) => relay.listen(socket, r));
    const { env, databaseUrl } = await dockerBoot(context, {
      GIGI_BOOT_DOCKER_SOCKET: socket,
      GIGI_BOOT_STEP_ATTEMPTS: '2',
    });
    const boot = startCli(['run', '--no-handoff'], env);
    // Once the build runs, the "daemon" disappears: close the relay and drop its connections.
    await waitFor('the build container', async () => (await containersOf(context.nonce)).length > 0, {
      timeout: 60_000,
    });
    down = true;
    for (const s of open) s.destroy();
    const result = await boot.done;
    relay.close();
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect((await lastRun(databaseUrl)).status).toBe('degraded');
    rmSync(dir, { recursive: true, force: true });
  }, 180_000);

  it('SIGTERM during the build aborts it: exit 143, no build container left', async () => {
    const context = makeContext(['RUN ["/bin/busybox", "sleep", "30"]']);
    const { env } = await dockerBoot(context);
    const boot = startCli(['run', '--no-handoff'], env);
    await expect
      .poll(async () => (await containersOf(context.nonce)).length, { timeout: 30_000 })
      .toBeGreaterThan(0);
    boot.child.kill('SIGTERM');
    const result = await boot.done;
    expect(result.code, result.stdout + result.stderr).toBe(143);
    await expect.poll(() => containersOf(context.nonce), { timeout: 10_000 }).toEqual([]);
  }, 180_000);
});
