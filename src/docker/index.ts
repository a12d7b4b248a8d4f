// The docker domain's public API: connect (wait for the socket, ping), then ensure the
// runner-worker image. Everything fails with a DockerError whose `reason` the boot step maps to
// skipped (no-socket) or degraded (the rest).
export {
  createDockerClient,
  DEFAULT_DOCKER_SOCKET,
  describeEndpoint,
  type DockerEndpoint,
  type DockerEndpointOptions,
  type DockerInfo,
  pingDocker,
  resolveDockerEndpoint,
  toDockerError,
} from './client.ts';
export { connectDocker, type ConnectDockerOptions, type DockerConnection } from './connect.ts';
export {
  type BuildContext,
  type ContextEntry,
  hashContext,
  listContextEntries,
  readBuildContext,
} from './context.ts';
export { packContext } from './pack-context.ts';
export {
  checkRunnerImage,
  CONTEXT_LABEL,
  DEFAULT_CONTEXT_DIR,
  DEFAULT_RUNNER_IMAGE,
  ensureRunnerImage,
  IMAGE_LABEL,
  type RunnerImageCheck,
  type RunnerImageOptions,
  type RunnerImageResult,
  runnerImageTags,
  validateImageName,
} from './runner-image.ts';
export { waitForSocket, type WaitForSocketOptions, type WaitForSocketResult } from './wait-for-socket.ts';
