// Figure 4: the runner-worker image up-to-date check — ensureRunnerImage for a context whose
// image already exists (what every boot after the first does: hash the context, one labelled
// image lookup, no tagging), against the real Docker engine, timed N times interleaved with a
// Docker `/_ping` round trip on the same socket (the baseline: the cheapest API call there is).
import { performance } from 'node:perf_hooks';
import { checkRunnerImage, describeEndpoint, ensureRunnerImage } from '../../src/docker/index.ts';
import { docker, endpoint, makeContext, requireEngine } from '../docker/helpers.ts';
import { BenchFailure } from './failure.ts';

const WARM_UP = 3;

export interface ImageCheckSamples {
  checkMs: number[];
  pingMs: number[];
  /** The one untimed build that made the image the checks then find. */
  buildMs: number;
  /** What each check hashes: the context's files and their total size. */
  contextFiles: number;
  contextBytes: number;
  endpoint: string;
}

/** Why: the Docker figures need an engine; say how to get one rather than measure nothing. */
export async function requireDockerEngine(): Promise<string> {
  try {
    await requireEngine();
  } catch (error) {
    throw new BenchFailure(
      `${(error as Error).message}. Or set BENCH_DOCKER=0 to leave out the runner-worker figures.`,
    );
  }
  return describeEndpoint(endpoint);
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}

/** Why: build once (FROM scratch + busybox, a nonce so nothing is cached), then time N up-to-date checks. */
export async function measureImageChecks(
  count: number,
  onProgress: (done: number) => void = () => undefined,
): Promise<ImageCheckSamples> {
  const context = makeContext();
  const options = { docker, endpoint, contextDir: context.dir, image: context.image };
  const built = await ensureRunnerImage(options);
  if (built.action !== 'built') {
    throw new BenchFailure(
      `runner image check: the first ensureRunnerImage for a new context (${context.dir}) did not build (${built.action}); the checks would not start from a fresh image`,
    );
  }
  const { context: read } = await checkRunnerImage(options);
  const files = read.entries.filter((e) => e.type === 'file');

  const check = async (label: string): Promise<number> => {
    const { ms, value } = await timed(() => ensureRunnerImage(options));
    if (value.action !== 'up-to-date' || value.imageId !== built.imageId) {
      throw new BenchFailure(
        `runner image check (${label}): expected ${built.imageId} up to date, got ${value.action} ${value.imageId}; the figure would time a build`,
      );
    }
    return ms;
  };
  const ping = async (): Promise<number> => (await timed(() => docker.ping())).ms;

  for (let i = 0; i < WARM_UP; i++) {
    await ping();
    await check(`warm-up ${i + 1}`);
  }
  const samples: ImageCheckSamples = {
    checkMs: [],
    pingMs: [],
    buildMs: built.durationMs,
    contextFiles: files.length,
    contextBytes: files.reduce((sum, e) => sum + e.size, 0),
    endpoint: describeEndpoint(endpoint),
  };
  for (let i = 0; i < count; i++) {
    samples.pingMs.push(await ping());
    samples.checkMs.push(await check(`check ${i + 1}`));
    onProgress(i + 1);
  }
  return samples;
}
