// Shared by the docker tests: a client for the real engine (started by
// test/support/start-dockerd.sh), FROM-scratch contexts with the static busybox (nothing can be
// pulled here), a unique label per test for everything it creates, and cleanup by that label.
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { createDockerClient, type DockerEndpoint, resolveDockerEndpoint } from '../../src/docker/client.ts';
import { bootEnv } from '../support/boot-process.ts';
import { testServerUrl } from '../support/env.ts';
import { createTestDatabase } from '../support/postgres.ts';

export const BUSYBOX = '/bin/busybox';
export const TEST_LABEL = 'gigi.test';

export const endpoint: DockerEndpoint = resolveDockerEndpoint({ dockerHost: process.env.DOCKER_HOST });
export const docker: Docker = await createDockerClient(endpoint);

/** Fails (never skips) with the fix when there is no engine to test against. */
export async function requireEngine(): Promise<void> {
  try {
    await docker.version();
  } catch (error) {
    throw new Error(
      `No Docker engine answers at ${JSON.stringify(endpoint)} (${String(error)}): run test/support/start-dockerd.sh as root first`,
    );
  }
  if (!existsSync(BUSYBOX))
    throw new Error(`${BUSYBOX} is missing: install busybox-static (test/support/start-dockerd.sh does)`);
}

export interface TestContext {
  dir: string;
  /** Unique per context; images and containers from it carry the label gigi.test=<nonce>. */
  nonce: string;
  /** A repository name no other test uses. */
  image: string;
  write(name: string, content: string): void;
  dockerfile(lines: readonly string[]): void;
}

const made: TestContext[] = [];

/** A context FROM scratch with busybox, a nonce file (so no two tests share a context hash) and the given steps. */
export function makeContext(steps: readonly string[] = []): TestContext {
  const nonce = randomBytes(6).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), 'gigi-docker-ctx-'));
  copyFileSync(BUSYBOX, join(dir, 'busybox'));
  writeFileSync(join(dir, 'nonce'), nonce);
  const context: TestContext = {
    dir,
    nonce,
    image: `gigi-test/runner-${nonce}`,
    write: (name, content) => writeFileSync(join(dir, name), content),
    dockerfile: (lines) =>
      writeFileSync(
        join(dir, 'Dockerfile'),
        [
          'FROM scratch',
          'COPY busybox /bin/busybox',
          `LABEL ${TEST_LABEL}=${nonce}`,
          'COPY nonce /nonce',
          ...lines,
          '',
        ].join('\n'),
      ),
  };
  context.dockerfile(steps);
  made.push(context);
  return context;
}

/** Containers (any state) created from this context's images. */
export async function containersOf(nonce: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`${TEST_LABEL}=${nonce}`] } });
}

/** Image id a reference points at, or undefined. */
export async function imageIdOf(reference: string): Promise<string | undefined> {
  try {
    return (await docker.getImage(reference).inspect()).Id;
  } catch {
    return undefined;
  }
}

/** Remove every container and image the contexts made (final and intermediate), and their dirs. */
export async function cleanupContexts(): Promise<void> {
  for (const context of made.splice(0)) {
    for (const c of await containersOf(context.nonce))
      await docker.getContainer(c.Id).remove({ force: true });
    await removeImagesLabelled(context.nonce);
    rmSync(context.dir, { recursive: true, force: true });
  }
}

/** Remove images labelled gigi.test=<nonce>, leaves first (a parent cannot go before its children). */
async function removeImagesLabelled(nonce: string): Promise<void> {
  for (let round = 0; round < 50; round++) {
    const images = await docker.listImages({ all: true, filters: { label: [`${TEST_LABEL}=${nonce}`] } });
    if (images.length === 0) return;
    const parents = new Set(images.map((i) => i.ParentId));
    for (const image of images.filter((i) => !parents.has(i.Id))) {
      try {
        await docker.getImage(image.Id).remove({ force: true });
      } catch (error) {
        // Removing a child also removes its untagged parents: those may already be gone.
        if (!/No such image/i.test(String(error))) throw error;
      }
    }
  }
  throw new Error(`images labelled ${TEST_LABEL}=${nonce} could not all be removed`);
}

/** Why: the boots whose runner-worker build runs on this engine, from `context`, share this env. */
export async function dockerBootEnv(
  context: TestContext,
  { prefix, extra = {} }: { prefix: string; extra?: Record<string, string> },
): Promise<{ env: Record<string, string>; databaseUrl: string }> {
  const databaseUrl = await createTestDatabase(testServerUrl(), prefix);
  const env = await bootEnv({
    databaseUrl,
    extra: {
      GIGI_BOOT_DOCKER_SOCKET: '/var/run/docker.sock',
      GIGI_BOOT_RUNNER_CONTEXT: context.dir,
      GIGI_BOOT_RUNNER_IMAGE: context.image,
      ...extra,
    },
  });
  return { env, databaseUrl };
}
