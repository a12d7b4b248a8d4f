// Gitea creates its data, repositories and sqlite file under its work dir as the run user, so
// the directories gigi-boot creates there (as root) must be handed to that user right away.
import { chown, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../errors.ts';
import type { RunAs } from './run-as.ts';

export interface EnsureWorkDirOptions {
  workDir: string;
  runAs: RunAs;
  /** Relative sub-directories to create as well, e.g. ['custom/conf', 'log']. */
  subdirs?: readonly string[];
}

/** Why: create the Gitea work dir (and sub-dirs) owned by the run user; repairs ownership on re-run. */
export async function ensureWorkDir(options: EnsureWorkDirOptions): Promise<void> {
  // Every level below the work dir, so an intermediate dir (custom/ of custom/conf) is not left root-only.
  const dirs = [options.workDir];
  for (const sub of options.subdirs ?? []) {
    const parts = sub.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i += 1) dirs.push(join(options.workDir, ...parts.slice(0, i)));
  }
  for (const dir of dirs) {
    try {
      await mkdir(dir, { recursive: true, mode: 0o750 });
      if (options.runAs.switchUser) {
        const info = await stat(dir);
        if (info.uid !== options.runAs.uid) await chown(dir, options.runAs.uid, options.runAs.gid);
      }
    } catch (error) {
      throw new ConfigError(
        [
          `cannot create the Gitea directory ${dir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
        ],
        {
          hint: `Make GIGI_DATA_DIR a writable volume; ${dir} must be writable by the Gitea user ${options.runAs.user}.`,
          cause: error,
        },
      );
    }
  }
}
