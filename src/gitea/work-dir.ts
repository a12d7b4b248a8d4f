// Gitea creates its data, repositories and sqlite file under its work dir as the run user, so
// the directories gigi-boot creates there (as root) must be handed to that user right away.
// The work dir is on the volume the run user can write: every level is opened without
// following links (src/volume/safe-fs.ts), so a planted link is refused, never chowned.
import { dirname, join } from 'node:path';
import { ConfigError, isBootError } from '../errors.ts';
import { openDirBelow } from '../volume/safe-fs.ts';
import type { RunAs } from './run-as.ts';

export interface EnsureWorkDirOptions {
  workDir: string;
  runAs: RunAs;
  /** Relative sub-directories to create as well, e.g. ['custom/conf', 'log']. */
  subdirs?: readonly string[];
  /** The trusted directory holding the work dir (GIGI_DATA_DIR); default: the work dir's parent. */
  volumeRoot?: string;
}

/** Why: create the Gitea work dir (and sub-dirs) owned by the run user; repairs ownership on re-run. */
export async function ensureWorkDir(options: EnsureWorkDirOptions): Promise<void> {
  // Every level below the work dir, so an intermediate dir (custom/ of custom/conf) is not left root-only.
  const dirs = [options.workDir];
  for (const sub of options.subdirs ?? []) {
    const parts = sub.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i += 1) dirs.push(join(options.workDir, ...parts.slice(0, i)));
  }
  const root = options.volumeRoot ?? dirname(options.workDir);
  const owner = options.runAs.switchUser ? options.runAs : undefined;
  for (const dir of dirs) {
    try {
      const opened = await openDirBelow({
        root,
        path: dir,
        create: true,
        mode: 0o750,
        ...(owner ? { owner } : {}),
      });
      await opened.close();
    } catch (error) {
      if (isBootError(error)) throw error;
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
