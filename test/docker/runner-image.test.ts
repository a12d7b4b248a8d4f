// ensureRunnerImage against the real engine: build, skip when unchanged (timed), rebuild and
// move the tags when the context changes, build failures with their last lines, and an abort
// in the middle of a RUN step that leaves no container behind.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CONTEXT_LABEL, ensureRunnerImage, validateImageName } from '../../src/docker/runner-image.ts';
import { type DockerError, isBootError } from '../../src/errors.ts';
import {
  cleanupContexts,
  containersOf,
  docker,
  endpoint,
  imageIdOf,
  makeContext,
  requireEngine,
  type TestContext,
} from './helpers.ts';
import { rejection } from './rejection.ts';
import { waitFor } from '../support/wait.ts';

beforeAll(requireEngine);
afterEach(cleanupContexts);

/** ensureRunnerImage on the real engine for a test context, with any further options. */
function ensureImage(
  ctx: TestContext,
  options: Partial<Parameters<typeof ensureRunnerImage>[0]> = {},
): ReturnType<typeof ensureRunnerImage> {
  return ensureRunnerImage({ docker, endpoint, contextDir: ctx.dir, image: ctx.image, ...options });
}

describe('ensureRunnerImage', () => {
  it('builds on first call, labels and tags the image, then reports up-to-date in well under a second', async () => {
    const ctx = makeContext(['RUN ["/bin/busybox", "sh", "-c", "echo built > /built"]']);
    const lines: string[] = [];
    const first = await ensureImage(ctx, {
      onProgress: (line) => lines.push(line),
    });
    expect(first.action).toBe('built');
    expect(first.cacheHit).toBe(false);
    expect(first.imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(first.tags).toEqual([`${ctx.image}:latest`, `${ctx.image}:ctx-${first.contextHash.slice(0, 12)}`]);
    expect(lines.some((l) => /^Step \d+\/\d+ : RUN /.test(l))).toBe(true);
    for (const tag of first.tags) expect(await imageIdOf(tag)).toBe(first.imageId);
    const inspected = await docker.getImage(first.imageId).inspect();
    expect(inspected.Config.Labels[CONTEXT_LABEL]).toBe(first.contextHash);
    expect(await containersOf(ctx.nonce)).toEqual([]);

    const again = await ensureImage(ctx);
    expect(again).toMatchObject({ action: 'up-to-date', imageId: first.imageId, cacheHit: true });
    expect(again.contextHash).toBe(first.contextHash);
    console.info(`runner image up-to-date check: ${again.durationMs.toFixed(1)} ms`);
    expect(again.durationMs).toBeLessThan(1000);

    // A lost :latest tag (someone ran `docker rmi gigi/runner-worker:latest`) is put back without a build.
    await docker.getImage(`${ctx.image}:latest`).remove();
    const retagged = await ensureImage(ctx);
    expect(retagged.action).toBe('up-to-date');
    expect(await imageIdOf(`${ctx.image}:latest`)).toBe(first.imageId);
  });

  it('rebuilds when the context or the build args change, moving :latest and leaving the old :ctx- tag in place', async () => {
    const ctx = makeContext([
      'ARG FLAVOUR=plain',
      'RUN ["/bin/busybox", "sh", "-c", "echo $FLAVOUR > /flavour"]',
    ]);
    const first = await ensureImage(ctx);
    expect(first.action).toBe('built');

    ctx.write('extra.txt', 'a new file in the context\n');
    ctx.dockerfile(['ARG FLAVOUR=plain', 'COPY extra.txt /extra.txt', 'RUN ["/bin/busybox", "true"]']);
    const second = await ensureImage(ctx);
    expect(second.action).toBe('built');
    expect(second.contextHash).not.toBe(first.contextHash);
    expect(second.imageId).not.toBe(first.imageId);
    expect(await imageIdOf(`${ctx.image}:latest`)).toBe(second.imageId);
    expect(await imageIdOf(second.tags[1]!)).toBe(second.imageId);
    expect(await imageIdOf(first.tags[1]!)).toBe(first.imageId);

    const withArgs = await ensureImage(ctx, {
      buildArgs: { FLAVOUR: 'spicy' },
    });
    expect(withArgs.action).toBe('built');
    expect(withArgs.contextHash).not.toBe(second.contextHash);
    expect(await imageIdOf(`${ctx.image}:latest`)).toBe(withArgs.imageId);

    // Back to the earlier context: that image still exists, so only the tags move.
    ctx.dockerfile(['ARG FLAVOUR=plain', 'RUN ["/bin/busybox", "sh", "-c", "echo $FLAVOUR > /flavour"]']);
    const { rmSync } = await import('node:fs');
    rmSync(`${ctx.dir}/extra.txt`);
    const back = await ensureImage(ctx);
    expect(back).toMatchObject({
      action: 'up-to-date',
      imageId: first.imageId,
      contextHash: first.contextHash,
    });
    expect(await imageIdOf(`${ctx.image}:latest`)).toBe(first.imageId);
  });

  it('reports a failing RUN step as build-failed with the last output lines, and leaves no container or tag', async () => {
    const ctx = makeContext([
      'RUN ["/bin/busybox", "sh", "-c", "echo about to fail; echo the-last-words >&2; exit 3"]',
    ]);
    const lines: string[] = [];
    const error = await rejection(
      ensureImage(ctx, {
        onProgress: (l) => lines.push(l),
      }),
    );
    expect(error.domain).toBe('docker');
    expect(error.reason).toBe('build-failed');
    expect(error.message).toMatch(/returned a non-zero code: 3/);
    expect(error.message).toContain('the-last-words');
    expect(error.outputTail.some((l) => l.includes('about to fail'))).toBe(true);
    expect(error.outputTail.length).toBeLessThanOrEqual(20);
    expect(error.hint).toContain(ctx.dir);
    expect(lines.at(-1)).toMatch(/^ERROR: /);
    expect(await containersOf(ctx.nonce)).toEqual([]);
    expect(await imageIdOf(`${ctx.image}:latest`)).toBeUndefined();
  });

  it('reports a Dockerfile the daemon cannot parse as build-failed', async () => {
    const ctx = makeContext(['FROBNICATE now']);
    const error = await rejection(ensureImage(ctx));
    expect(error.reason).toBe('build-failed');
    expect(error.message).toMatch(/unknown instruction: FROBNICATE/i);
  });

  it('aborts a build in the middle of a RUN step: rejected as aborted within seconds, no build container left', async () => {
    const ctx = makeContext(['RUN ["/bin/busybox", "sleep", "30"]']);
    const controller = new AbortController();
    let sawRun = false;
    const build = ensureImage(ctx, {
      signal: controller.signal,
      onProgress: (line) => {
        if (/^Step \d+\/\d+ : RUN /.test(line)) sawRun = true;
      },
    });
    const outcome = build.then(
      () => 'resolved',
      (e: unknown) => e,
    );

    // Abort only once the RUN step's container is actually running.
    await waitFor(
      'the RUN step to start',
      async () => sawRun && (await containersOf(ctx.nonce)).some((c) => c.State === 'running'),
      { timeout: 20_000 },
    );
    const abortedAt = Date.now();
    controller.abort();
    const error = await outcome;
    const rejectedAfterMs = Date.now() - abortedAt;
    expect(isBootError(error) && (error as DockerError).reason).toBe('aborted');
    expect(rejectedAfterMs).toBeLessThan(2000);

    // forcerm: the daemon removes the build container once it notices the cancelled request.
    await expect.poll(() => containersOf(ctx.nonce), { timeout: 10_000, interval: 200 }).toEqual([]);
    expect(await imageIdOf(`${ctx.image}:latest`)).toBeUndefined();
  });

  it('a SIGTERMed boot process aborts its build: the process reports aborted and exits, no build container left', async () => {
    const ctx = makeContext(['RUN ["/bin/busybox", "sleep", "30"]']);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'fixtures/build-until-sigterm.ts'), ctx.dir, ctx.image],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const lines: { line?: string; outcome?: string }[] = [];
    let buffered = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        lines.push(JSON.parse(buffered.slice(0, nl)) as { line?: string; outcome?: string });
        buffered = buffered.slice(nl + 1);
      }
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

    await waitFor(
      'the RUN step to start',
      async () => (await containersOf(ctx.nonce)).some((c) => c.State === 'running'),
      { timeout: 30_000 },
    );
    expect(lines.some((l) => l.line !== undefined && /^Step \d+\/\d+ : RUN /.test(l.line))).toBe(true);
    const killedAt = Date.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - killedAt).toBeLessThan(3000);
    expect(lines.at(-1)).toEqual({ outcome: 'aborted' });

    await expect.poll(() => containersOf(ctx.nonce), { timeout: 10_000, interval: 200 }).toEqual([]);
  });

  it('rejects an image name with a tag or upper-case letters, naming the setting', () => {
    expect(() => validateImageName('gigi/runner-worker:latest')).toThrow(
      /image name "gigi\/runner-worker:latest"/,
    );
    expect(() => validateImageName('Gigi/Runner')).toThrow(/not a valid repository name/);
    expect(() => validateImageName('prod.gigi.local/gigi/runner-worker')).not.toThrow();
    expect(() => validateImageName('localhost:5000/gigi/runner-worker')).not.toThrow();
  });
});
