// A missing or non-executable gitea binary is an operator error (GITEA_BIN), not something a
// retry fixes: detect it before spawning, with a message naming the setting and the path.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { GiteaProcessError } from '../errors.ts';

function missing(bin: string, why: string): GiteaProcessError {
  return new GiteaProcessError(
    { message: `gitea binary ${why}: GITEA_BIN=${bin}` },
    {
      hint: 'Set GITEA_BIN to the path of the gitea executable (the image ships /usr/local/bin/gitea), or install Gitea there.',
      transient: false,
    },
  );
}

/** Why: resolve GITEA_BIN (absolute, relative or a name on PATH) to an executable file, or fail clearly. */
export async function resolveGiteaBinary(bin: string, pathEnv = process.env.PATH ?? ''): Promise<string> {
  if (bin.trim() === '') throw missing(bin, 'is not set');
  const candidates = bin.includes('/')
    ? [bin]
    : pathEnv
        .split(delimiter)
        .filter(Boolean)
        .map((d) => join(d, bin));
  for (const candidate of candidates) {
    try {
      const info = await stat(candidate);
      if (!info.isFile()) continue;
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* next candidate */
    }
  }
  throw missing(
    bin,
    bin.includes('/') ? `not found or not executable at ${bin}` : `"${bin}" not found on PATH`,
  );
}

/** Why: setpriv reports exec failures with exit 126/127; turn them into the same GITEA_BIN error. */
export function execFailure(
  bin: string,
  exitCode: number | undefined,
  output: string,
): GiteaProcessError | undefined {
  if ((exitCode === 126 || exitCode === 127) && /failed to execute/.test(output))
    return missing(bin, `could not be executed by the Gitea run user (${output.trim().split('\n').pop()})`);
  return undefined;
}
