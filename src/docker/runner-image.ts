// Make sure the runner-worker image for the current build context exists, through the Docker
// API: an image labelled with the context's SHA-256 means nothing changed (re-point both tags,
// return in milliseconds); otherwise build it (classic builder, forcerm so an aborted or failed
// build leaves no container), stream the output, and tag it `:latest` and `:ctx-<12 hex>`.
import { isImageRepository } from './image-name.ts';
import type Docker from 'dockerode';
import { ConfigError, DockerError } from '../errors.ts';
import { type DockerEndpoint, toDockerError } from './client.ts';
import { type BuildContext, readBuildContext } from './context.ts';
import { packContext } from './pack-context.ts';

/** The label that carries the build context's SHA-256 on every image we build. */
export const CONTEXT_LABEL = 'gigi.context-sha256';
/** The label that names the repository the image was built for (informational). */
export const IMAGE_LABEL = 'gigi.image';
export const DEFAULT_RUNNER_IMAGE = 'gigi/runner-worker';
export const DEFAULT_CONTEXT_DIR = '/opt/runner-worker';
const DEFAULT_TAIL_LINES = 20;

export interface RunnerImageOptions {
  docker: Docker;
  /** For messages; derived from the client when omitted. */
  endpoint?: DockerEndpoint;
  /** Build context directory (holds the Dockerfile). */
  contextDir: string;
  /** Repository name without a tag, e.g. gigi/runner-worker or prod.gigi.local/gigi/runner-worker. */
  image: string;
  buildArgs?: Readonly<Record<string, string>>;
  /** Dockerfile path inside the context; default 'Dockerfile'. */
  dockerfile?: string;
  /** Network for RUN steps ('host' when they need apt and there is no bridge NAT). */
  networkMode?: string;
  signal?: AbortSignal;
  /** Every line of build output, as it arrives. */
  onProgress?: (line: string) => void;
  /** How many trailing output lines a build failure carries; default 20. */
  tailLines?: number;
}

export interface RunnerImageResult {
  action: 'up-to-date' | 'built';
  imageId: string;
  contextHash: string;
  /** Full references, `<image>:latest` first. */
  tags: string[];
  durationMs: number;
  /** True when nothing had to be built: the image was up to date, or the daemon's layer cache served every step. */
  cacheHit: boolean;
}

export interface RunnerImageCheck {
  context: BuildContext;
  tags: { latest: string; ctx: string };
  /** The newest image labelled with the context hash, if any. */
  existing: { id: string; repoTags: string[] } | undefined;
}

/** Why: a tag or upper-case name in the image setting would make every tag call fail later, obscurely. */
export function validateImageName(image: string): void {
  if (!isImageRepository(image))
    throw new ConfigError([
      `runner-worker image name "${image}" is not a valid repository name without a tag (e.g. gigi/runner-worker or prod.gigi.local/gigi/runner-worker); gigi-boot adds the :latest and :ctx-<hash> tags itself`,
    ]);
}

/** Why: the two tags an image for this context carries. */
export function runnerImageTags(image: string, contextHash: string): { latest: string; ctx: string } {
  return { latest: `${image}:latest`, ctx: `${image}:ctx-${contextHash.slice(0, 12)}` };
}

function endpointOf(docker: Docker, given?: DockerEndpoint): DockerEndpoint {
  if (given) return given;
  const modem = docker.modem as { socketPath?: unknown; host?: unknown; port?: unknown };
  if (typeof modem.socketPath === 'string') return { kind: 'unix', socketPath: modem.socketPath };
  return { kind: 'tcp', host: String(modem.host), port: Number(modem.port) };
}

/** Why: the read-only half of ensureRunnerImage — hash the context and look for an image with that label (what `npm run bench` times). */
export async function checkRunnerImage(
  options: Pick<
    RunnerImageOptions,
    'docker' | 'endpoint' | 'contextDir' | 'image' | 'buildArgs' | 'dockerfile' | 'signal'
  >,
): Promise<RunnerImageCheck> {
  validateImageName(options.image);
  const context = await readBuildContext(options.contextDir, {
    buildArgs: options.buildArgs,
    dockerfile: options.dockerfile,
  });
  const tags = runnerImageTags(options.image, context.hash);
  let images: Docker.ImageInfo[];
  try {
    options.signal?.throwIfAborted();
    images = await options.docker.listImages({
      filters: { label: [`${CONTEXT_LABEL}=${context.hash}`] },
      abortSignal: options.signal,
    });
  } catch (error) {
    throw toDockerError(error, endpointOf(options.docker, options.endpoint), 'Listing runner-worker images', {
      signal: options.signal,
    });
  }
  const newest = images.sort((a, b) => b.Created - a.Created)[0];
  return {
    context,
    tags,
    existing: newest ? { id: newest.Id, repoTags: newest.RepoTags ?? [] } : undefined,
  };
}

async function pointTag(
  docker: Docker,
  imageId: string,
  reference: string,
  signal?: AbortSignal,
): Promise<void> {
  const colon = reference.lastIndexOf(':');
  await docker
    .getImage(imageId)
    .tag({ repo: reference.slice(0, colon), tag: reference.slice(colon + 1), abortSignal: signal });
}

interface BuildEvent {
  stream?: string;
  status?: string;
  id?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

interface BuildOutcome {
  imageId: string | undefined;
  errorMessage: string | undefined;
  tail: string[];
  steps: number;
  cachedSteps: number;
}

function followBuild(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  onLine: (line: string) => void,
  tailLines: number,
): Promise<BuildOutcome> {
  const outcome: BuildOutcome = {
    imageId: undefined,
    errorMessage: undefined,
    tail: [],
    steps: 0,
    cachedSteps: 0,
  };
  const emit = (line: string): void => {
    outcome.tail.push(line);
    if (outcome.tail.length > tailLines) outcome.tail.shift();
    if (/^Step \d+\/\d+ : /.test(line) && !/^Step \d+\/\d+ : FROM /i.test(line)) outcome.steps += 1;
    if (/^ ---> Using cache$/.test(line)) outcome.cachedSteps += 1;
    onLine(line);
  };
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (error: Error | null) => {
        if (error) reject(error);
        else resolve(outcome);
      },
      (event: BuildEvent) => {
        if (typeof event.stream === 'string') {
          for (const line of event.stream.split('\n')) if (line.trim() !== '') emit(line.trimEnd());
        } else if (typeof event.status === 'string') {
          emit(event.id ? `${event.id}: ${event.status}` : event.status);
        }
        if (event.aux?.ID) outcome.imageId = event.aux.ID;
        const message = event.errorDetail?.message ?? event.error;
        if (message !== undefined) {
          outcome.errorMessage = message;
          emit(`ERROR: ${message}`);
        }
      },
    );
  });
}

/** Why: the runner image must match the baked-in context on every boot, built only when that context changed. */
export async function ensureRunnerImage(options: RunnerImageOptions): Promise<RunnerImageResult> {
  const started = performance.now();
  const { docker, signal } = options;
  const endpoint = endpointOf(docker, options.endpoint);
  const check = await checkRunnerImage(options);
  const { context, tags } = check;
  const tagList = [tags.latest, tags.ctx];

  if (check.existing) {
    const { id, repoTags } = check.existing;
    try {
      for (const reference of tagList)
        if (!repoTags.includes(reference)) await pointTag(docker, id, reference, signal);
    } catch (error) {
      throw toDockerError(error, endpoint, `Tagging runner-worker image ${id} as ${tagList.join(' and ')}`, {
        signal,
      });
    }
    return {
      action: 'up-to-date',
      imageId: id,
      contextHash: context.hash,
      tags: tagList,
      durationMs: performance.now() - started,
      cacheHit: true,
    };
  }

  const tailLines = options.tailLines ?? DEFAULT_TAIL_LINES;
  const onLine = (line: string): void => {
    try {
      options.onProgress?.(line);
    } catch {
      // A broken progress sink must not fail the build.
    }
  };
  const action = `Building ${tags.ctx} from ${options.contextDir}`;
  let outcome: BuildOutcome;
  let stream: NodeJS.ReadableStream | undefined;
  const destroyStream = (): void => {
    (stream as { destroy?: () => void } | undefined)?.destroy?.();
  };
  signal?.addEventListener('abort', destroyStream, { once: true });
  try {
    signal?.throwIfAborted();
    stream = await docker.buildImage(packContext(context), {
      t: tags.ctx,
      dockerfile: context.dockerfile,
      buildargs: { ...context.buildArgs },
      labels: { [CONTEXT_LABEL]: context.hash, [IMAGE_LABEL]: options.image },
      rm: true,
      forcerm: true,
      ...(options.networkMode ? { networkmode: options.networkMode } : {}),
      // The classic builder: its output format is what the progress parsing above reads.
      version: '1',
      abortSignal: signal,
    });
    outcome = await followBuild(docker, stream, onLine, tailLines);
    // An aborted request can end the stream "cleanly"; never report that as a build.
    signal?.throwIfAborted();
  } catch (error) {
    throw toDockerError(error, endpoint, action, { signal, fallback: 'build-failed' });
  } finally {
    signal?.removeEventListener('abort', destroyStream);
  }

  if (outcome.errorMessage !== undefined) {
    const tail = outcome.tail;
    throw new DockerError(
      'build-failed',
      `${action} failed: ${outcome.errorMessage}\nLast build output:\n${tail.map((l) => `  ${l}`).join('\n')}`,
      {
        hint: `Fix the Dockerfile or build context in ${options.contextDir} (the last output lines say which step failed); the next boot rebuilds.`,
        outputTail: tail,
      },
    );
  }

  let imageId: string;
  try {
    imageId = (await docker.getImage(tags.ctx).inspect()).Id;
    await pointTag(docker, imageId, tags.latest, signal);
  } catch (error) {
    throw toDockerError(error, endpoint, `Tagging the freshly built ${tags.ctx} as ${tags.latest}`, {
      signal,
    });
  }
  if (outcome.imageId !== undefined && outcome.imageId !== imageId)
    throw new DockerError(
      'build-failed',
      `${action}: the daemon reported image ${outcome.imageId} but ${tags.ctx} is ${imageId} (a concurrent build of the same tag?)`,
      {
        hint: 'Make sure only one gigi-boot builds into this Docker engine at a time, then restart.',
        transient: true,
      },
    );

  return {
    action: 'built',
    imageId,
    contextHash: context.hash,
    tags: tagList,
    durationMs: performance.now() - started,
    cacheHit: outcome.steps > 0 && outcome.cachedSteps === outcome.steps,
  };
}
