// A Docker-in-Docker sidecar creates its socket some seconds after we start. Instead of polling,
// watch the socket's directory (or, if that does not exist yet, its nearest existing ancestor,
// down the path only) with chokidar and resolve on the first event that makes the file exist.
import { dirname, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { DockerError } from '../errors.ts';
import { deepestExisting, pathExists } from '../io/path-exists.ts';

export interface WaitForSocketOptions {
  /** How long to wait for the file to appear; 0 checks once. */
  deadlineMs: number;
  signal?: AbortSignal;
}

export interface WaitForSocketResult {
  /** False when the socket was already there. */
  appeared: boolean;
  waitedMs: number;
}

function abortedError(socketPath: string, cause: unknown): DockerError {
  return new DockerError(
    'aborted',
    `Waiting for the Docker socket ${socketPath} was aborted (boot is stopping)`,
    {
      hint: 'Nothing to do: the next boot waits again.',
      transient: true,
      cause,
    },
  );
}

/** Why: a late Docker socket (DinD sidecar) must not be reported missing, nor waited for by polling. */
export async function waitForSocket(
  socketPath: string,
  options: WaitForSocketOptions,
): Promise<WaitForSocketResult> {
  const started = performance.now();
  const { signal } = options;
  if (signal?.aborted) throw abortedError(socketPath, signal.reason);
  if (await pathExists(socketPath)) return { appeared: false, waitedMs: performance.now() - started };
  const deadlineSeconds = Math.round(options.deadlineMs / 100) / 10;
  const missing = (): DockerError =>
    new DockerError(
      'no-socket',
      `No Docker socket at ${socketPath} (waited ${deadlineSeconds}s for it to appear)`,
      {
        hint: 'Mount the Docker socket into the container, start the Docker-in-Docker sidecar, or raise the Docker socket wait deadline; without it the runner-worker image is not built.',
        transient: true,
      },
    );
  if (options.deadlineMs <= 0) throw missing();

  const root = await deepestExisting(dirname(socketPath));
  const levels = socketPath.slice(root.length).split(sep).filter(Boolean).length;
  // Watch only the directories on the way down to the socket, nothing beside them.
  const onPath = (p: string): boolean =>
    p === socketPath || socketPath.startsWith(p.endsWith(sep) ? p : p + sep);

  return new Promise<WaitForSocketResult>((resolve, reject) => {
    let settled = false;
    const finish = (outcome: { error: DockerError } | { result: WaitForSocketResult }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      void watcher.close();
      if ('error' in outcome) reject(outcome.error);
      else resolve(outcome.result);
    };
    const check = (): void => {
      void pathExists(socketPath).then((present) => {
        if (present) finish({ result: { appeared: true, waitedMs: performance.now() - started } });
      });
    };
    const onAbort = (): void => finish({ error: abortedError(socketPath, signal?.reason) });
    const timer = setTimeout(() => finish({ error: missing() }), options.deadlineMs);
    signal?.addEventListener('abort', onAbort, { once: true });

    const watcher: FSWatcher = watch(root, {
      depth: Math.max(0, levels - 1),
      ignoreInitial: true,
      ignored: (p: string) => !onPath(p),
    });
    watcher.on('all', check);
    // The file may have appeared between the first check and the watcher being armed.
    watcher.on('ready', check);
    watcher.on('error', (error: unknown) =>
      finish({
        error: new DockerError(
          'no-socket',
          `Cannot watch ${root} for the Docker socket ${socketPath}: ${String(error)}`,
          {
            hint: 'Check that the directory of the Docker socket setting is readable.',
            cause: error,
          },
        ),
      }),
    );
  });
}
