// Checks that need the filesystem but must fail before anything is written: a missing or
// non-executable GITEA_BIN, a data dir or app.ini gigi-boot cannot write. Each is a ConfigError
// (exit 2) naming the setting and what is expected.
import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { BootConfig } from '../config/types.ts';
import { ConfigError } from '../errors.ts';
import { bootPaths } from './paths.ts';

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function writable(path: string): Promise<boolean> {
  try {
    await access(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Throw one ConfigError listing every problem found. */
export async function preflight(config: BootConfig): Promise<void> {
  const problems: string[] = [];
  const paths = bootPaths(config);
  if (!config.giteaUrl) {
    try {
      await access(config.giteaBin, constants.X_OK);
      if (!(await stat(config.giteaBin)).isFile())
        problems.push(`GITEA_BIN: ${config.giteaBin} is not a file; expected the gitea executable`);
    } catch {
      problems.push(
        `GITEA_BIN: ${config.giteaBin} does not exist or is not executable; expected the path of the gitea binary (or set GITEA_URL to use an external Gitea)`,
      );
    }
  }
  try {
    await mkdir(config.dataDir, { recursive: true });
    if (!(await writable(config.dataDir)))
      problems.push(`GIGI_DATA_DIR: ${config.dataDir} is not writable by gigi-boot`);
  } catch (error) {
    problems.push(
      `GIGI_DATA_DIR: cannot create ${config.dataDir} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  if (!config.giteaUrl && (await exists(paths.appIni)) && !(await writable(paths.appIni))) {
    problems.push(
      `app.ini: ${paths.appIni} exists but is not writable; gigi-boot sets the keys it owns and Gitea writes INTERNAL_TOKEN/JWT_SECRET back — make it writable (chmod u+w) or remove it`,
    );
  } else if (
    !config.giteaUrl &&
    !(await exists(paths.appIni)) &&
    (await exists(dirname(paths.appIni))) &&
    !(await writable(dirname(paths.appIni)))
  ) {
    problems.push(
      `app.ini: directory ${dirname(paths.appIni)} is not writable; gigi-boot must create ${paths.appIni}`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
}
