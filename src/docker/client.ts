// Where the Docker engine is (socket path setting, else DOCKER_HOST, else the default socket),
// a dockerode client for it, and the translation of connection failures into DockerErrors
// that say which socket/host failed, why, and what the operator should do.
import type Docker from 'dockerode';
import { type BootError, ConfigError, DockerError, isBootError } from '../errors.ts';

import { DEFAULT_DOCKER_SOCKET } from './defaults.ts';

export { DEFAULT_DOCKER_SOCKET };

export type DockerEndpoint =
  { kind: 'unix'; socketPath: string } | { kind: 'tcp'; host: string; port: number };

export interface DockerEndpointOptions {
  /** An explicit socket path setting; wins over DOCKER_HOST. */
  socketPath?: string;
  /** The DOCKER_HOST value (unix:///path or tcp://host:port); pass process.env.DOCKER_HOST. */
  dockerHost?: string;
}

/** Why: one place decides which engine we talk to, and rejects DOCKER_HOST forms we cannot use. */
export function resolveDockerEndpoint(options: DockerEndpointOptions = {}): DockerEndpoint {
  if (options.socketPath !== undefined && options.socketPath !== '') {
    if (!options.socketPath.startsWith('/'))
      throw new ConfigError([
        `Docker socket path "${options.socketPath}" must be an absolute path, e.g. /var/run/docker.sock`,
      ]);
    return { kind: 'unix', socketPath: options.socketPath };
  }
  const dockerHost = options.dockerHost?.trim();
  if (dockerHost === undefined || dockerHost === '')
    return { kind: 'unix', socketPath: DEFAULT_DOCKER_SOCKET };
  if (dockerHost.startsWith('unix://')) {
    const socketPath = dockerHost.slice('unix://'.length);
    if (!socketPath.startsWith('/'))
      throw new ConfigError([
        `DOCKER_HOST "${dockerHost}" must name an absolute socket path, e.g. unix:///var/run/docker.sock`,
      ]);
    return { kind: 'unix', socketPath };
  }
  if (dockerHost.startsWith('tcp://')) {
    let url: URL;
    try {
      url = new URL(`http://${dockerHost.slice('tcp://'.length)}`);
    } catch {
      throw new ConfigError([`DOCKER_HOST "${dockerHost}" is not a valid tcp://host:port address`]);
    }
    if (url.pathname !== '/' || url.search !== '' || url.username !== '')
      throw new ConfigError([
        `DOCKER_HOST "${dockerHost}" must be tcp://host:port with nothing after the port`,
      ]);
    return {
      kind: 'tcp',
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port === '' ? 2375 : Number(url.port),
    };
  }
  throw new ConfigError([
    `DOCKER_HOST "${dockerHost}" is not supported: use unix:///path/to/docker.sock or tcp://host:port (TLS and ssh:// are not)`,
  ]);
}

/** Why: the operator-facing name of the endpoint in messages. */
export function describeEndpoint(endpoint: DockerEndpoint): string {
  return endpoint.kind === 'unix'
    ? `unix://${endpoint.socketPath}`
    : `tcp://${endpoint.host}:${endpoint.port}`;
}

/**
 * Why: a dockerode client for the endpoint; connecting happens lazily on the first call.
 * dockerode (ssh2 and the rest under it) takes longer to load than a first boot spends between
 * its plan and its first step, so it is loaded here, when a client is made: never by a boot
 * without a Docker socket.
 */
export async function createDockerClient(endpoint: DockerEndpoint): Promise<Docker> {
  const { default: Dockerode } = await import('dockerode');
  return endpoint.kind === 'unix'
    ? new Dockerode({ socketPath: endpoint.socketPath })
    : new Dockerode({ host: endpoint.host, port: endpoint.port, protocol: 'http' });
}

function errnoCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  if ('code' in error && typeof error.code === 'string') return error.code;
  return undefined;
}

function isAbort(error: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted) return true;
  return typeof error === 'object' && error !== null && 'name' in error && error.name === 'AbortError';
}

/**
 * Why: a dockerode/Node failure becomes the DockerError the boot journal and `inspect` explain.
 * Errors that are already BootErrors pass through; an HTTP error status from the engine is
 * `fallback` (e.g. 'build-failed' while building).
 */
export function toDockerError(
  error: unknown,
  endpoint: DockerEndpoint,
  action: string,
  options: { signal?: AbortSignal; fallback?: 'build-failed' | 'daemon-down' } = {},
): BootError {
  if (isBootError(error)) return error;
  const where = describeEndpoint(endpoint);
  const code = errnoCode(error);
  const detail = error instanceof Error ? error.message : String(error);
  if (isAbort(error, options.signal))
    return new DockerError('aborted', `${action} was aborted (boot is stopping)`, {
      hint: 'Nothing to do: the next boot tries again.',
      transient: true,
      cause: error,
    });
  if (code === 'ENOENT' && endpoint.kind === 'unix')
    return new DockerError('no-socket', `${action}: no Docker socket at ${endpoint.socketPath}`, {
      hint: 'Mount the host Docker socket into the container (-v /var/run/docker.sock:/var/run/docker.sock), or set DOCKER_HOST / the Docker socket setting to where it is.',
      transient: true,
      cause: error,
    });
  if (code === 'EACCES' || code === 'EPERM')
    return new DockerError('permission-denied', `${action}: permission denied on ${where} (${code})`, {
      hint: "Run gigi-boot as a user that may use the socket: add it to the socket's group (stat -c %g on the host socket) or run the container with --group-add <that gid>.",
      cause: error,
    });
  if (
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    code === 'ETIMEDOUT' ||
    code === 'EHOSTUNREACH' ||
    code === 'ENOTSOCK' ||
    code === 'ENOTFOUND'
  )
    return new DockerError(
      'daemon-down',
      `${action}: the Docker engine at ${where} does not answer (${code})`,
      {
        hint: 'Start the Docker daemon (or the Docker-in-Docker sidecar) and check `docker info` against the same socket; the next boot tries again.',
        transient: true,
        cause: error,
      },
    );
  if (options.fallback === 'build-failed')
    return new DockerError('build-failed', `${action} failed on ${where}: ${detail}`, {
      hint: 'See the build output lines above; fix the Dockerfile or context and restart the container.',
      cause: error,
    });
  return new DockerError(
    'daemon-down',
    `${action}: the Docker engine at ${where} answered with an error: ${detail}`,
    {
      hint: 'Check the Docker daemon log; the next boot tries again.',
      transient: true,
      cause: error,
    },
  );
}

export interface DockerInfo {
  serverVersion: string;
  apiVersion: string;
}

/** Why: fail fast with the right reason (no socket / permission / daemon down) before any context work. */
export async function pingDocker(
  docker: Docker,
  endpoint: DockerEndpoint,
  signal?: AbortSignal,
): Promise<DockerInfo> {
  try {
    signal?.throwIfAborted();
    // dockerode honours abortSignal here; its typings just do not declare the options argument.
    const version = await (
      docker.version as unknown as (options: { abortSignal?: AbortSignal }) => Promise<Docker.DockerVersion>
    ).call(docker, { abortSignal: signal });
    return { serverVersion: version.Version, apiVersion: version.ApiVersion };
  } catch (error) {
    throw toDockerError(error, endpoint, 'Contacting the Docker engine', {
      signal,
    });
  }
}
