// Where a volume's files live, and the Gitea URL the app is given: read by the boot steps and
// by a warm start's hand-off, so they live apart from the composition root (which loads every
// step's domain: Gitea client, Docker, …).
//
// Two layouts. gigi-boot's own: app.ini in gitea/custom/conf/, sqlite in gitea/data/. The bash
// entrypoint's (aio-plan.md Task 3): app.ini in gitea/conf/, sqlite at gitea/gitea.db. A volume
// the bash entrypoint booted is adopted IN PLACE (decision: nothing is moved, so there is no
// half-moved state a kill could leave, and rolling back to the bash image needs nothing undone):
// its layout is recognised on every start from the files themselves — the seed's app.ini present,
// gigi-boot's absent — and gigi-boot keeps using the seed's paths for that volume for good.
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import type { Modes } from '../../machines/boot.ts';
import type { BootConfig } from '../config/types.ts';

export type VolumeLayout = 'gigi-boot' | 'bash-entrypoint';

/** The bash entrypoint's files on a volume (aio-plan.md Task 3), relative to GIGI_DATA_DIR. */
export const SEED_FILES = {
  marker: '.aio-init-done',
  appIni: 'gitea/conf/app.ini',
  database: 'gitea/gitea.db',
  templates: 'gitea/templates',
} as const;

/** Why: lstat, never following a link: a planted link only ever chooses a path safe-fs then refuses. */
function present(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Why: the layout is read from the volume, not stored, so a warm start, `inspect` and a resumed
 * boot all agree without a database: the seed's app.ini exists and gigi-boot's never was written.
 */
export function volumeLayout(dataDir: string): VolumeLayout {
  const ours = join(dataDir, 'gitea', 'custom', 'conf', 'app.ini');
  if (present(ours)) return 'gigi-boot';
  return present(join(dataDir, SEED_FILES.appIni)) ? 'bash-entrypoint' : 'gigi-boot';
}

/** What the bash entrypoint left on an adopted volume (for the journal and inspect). */
export function seedTraces(dataDir: string): { marker: boolean; database: boolean; templates: boolean } {
  return {
    marker: present(join(dataDir, SEED_FILES.marker)),
    database: present(join(dataDir, SEED_FILES.database)),
    templates: present(join(dataDir, SEED_FILES.templates)),
  };
}

/** Where a volume's files live. */
export function bootPaths(config: Pick<BootConfig, 'dataDir'>) {
  const giteaWorkDir = join(config.dataDir, 'gitea');
  const bootDir = join(config.dataDir, 'gigi-boot');
  const layout = volumeLayout(config.dataDir);
  const seed = layout === 'bash-entrypoint';
  return {
    layout,
    giteaWorkDir,
    appIni: seed ? join(config.dataDir, SEED_FILES.appIni) : join(giteaWorkDir, 'custom', 'conf', 'app.ini'),
    /** Gitea's sqlite database ([database] PATH, a key gigi-boot owns). */
    giteaDatabase: seed ? join(config.dataDir, SEED_FILES.database) : join(giteaWorkDir, 'data', 'gitea.db'),
    bootDir,
    giteaPidFile: join(bootDir, 'temporary-gitea.pid'),
    giteaLogFile: join(bootDir, 'temporary-gitea.log'),
  };
}

/** The Gitea URL the app uses: the internal one on loopback, or GITEA_URL. */
export function giteaUrlFor(config: BootConfig, modes: Modes | null): string {
  if (modes?.gitea === 'external' && config.giteaUrl) return config.giteaUrl;
  return `http://localhost:${config.giteaHttpPort}`;
}
