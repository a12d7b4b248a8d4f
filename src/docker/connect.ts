// The first half of the runner-image step: resolve the endpoint, wait (by watching, up to the
// deadline) for a unix socket that a Docker-in-Docker sidecar creates late, then ping the engine,
// so the step fails with one precise reason before any build context is read.
import type Docker from 'dockerode';
import {
  createDockerClient,
  type DockerEndpoint,
  type DockerEndpointOptions,
  type DockerInfo,
  pingDocker,
  resolveDockerEndpoint,
} from './client.ts';
import { waitForSocket } from './wait-for-socket.ts';

export interface ConnectDockerOptions extends DockerEndpointOptions {
  /** How long to wait for a missing unix socket to appear; 0 = do not wait. */
  socketWaitMs: number;
  signal?: AbortSignal;
}

export interface DockerConnection {
  docker: Docker;
  endpoint: DockerEndpoint;
  info: DockerInfo;
  /** Time spent waiting for the socket file (0 when it was there, or for tcp://). */
  socketWaitedMs: number;
}

/** Why: one call the boot step makes to get a working client or a DockerError with the reason. */
export async function connectDocker(options: ConnectDockerOptions): Promise<DockerConnection> {
  const endpoint = resolveDockerEndpoint(options);
  let socketWaitedMs = 0;
  if (endpoint.kind === 'unix') {
    const waited = await waitForSocket(endpoint.socketPath, {
      deadlineMs: options.socketWaitMs,
      signal: options.signal,
    });
    socketWaitedMs = waited.appeared ? waited.waitedMs : 0;
  }
  const docker = await createDockerClient(endpoint);
  const info = await pingDocker(docker, endpoint, options.signal);
  return { docker, endpoint, info, socketWaitedMs };
}
