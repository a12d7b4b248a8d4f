// What a start needs to know about the runner-worker without talking to Docker: whether an
// engine is configured, and the hash of the image's build context (part of the config digest).
// Kept apart from the build step so a warm start does not load dockerode.
import { stat } from 'node:fs/promises';
import type { BootConfig } from '../config/types.ts';
import { readBuildContext } from '../docker/context.ts';
import { DEFAULT_DOCKER_SOCKET } from '../docker/defaults.ts';

/** Is a Docker engine configured (DOCKER_HOST, GIGI_BOOT_DOCKER_SOCKET) or its default socket present? */
export async function dockerConfigured(config: BootConfig): Promise<boolean> {
  if (config.docker.socketPath || config.docker.dockerHost) return true;
  try {
    return (await stat(DEFAULT_DOCKER_SOCKET)).isSocket();
  } catch {
    return false;
  }
}

/**
 * The runner-worker build context's hash, part of what a completed boot was done for: a changed
 * Dockerfile makes the next boot run again (and rebuild) instead of taking the warm path.
 */
export async function runnerContextHash(config: BootConfig): Promise<string> {
  try {
    return (await readBuildContext(config.docker.runnerContextDir, { buildArgs: config.docker.buildArgs }))
      .hash;
  } catch {
    return 'unreadable'; // no context here (a lean image): the step will say so if Docker is present
  }
}
