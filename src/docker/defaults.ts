// Constants of the docker domain that light modules need without loading dockerode (a warm
// start reads them to decide whether Docker is present; it never talks to the engine).
export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';
