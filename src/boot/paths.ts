// Where a volume's files live, and the Gitea URL the app is given: read by the boot steps and
// by a warm start's hand-off, so they live apart from the composition root (which loads every
// step's domain: Gitea client, Docker, …).
import { join } from 'node:path';
import type { Modes } from '../../machines/boot.ts';
import type { BootConfig } from '../config/types.ts';

/** Where a volume's files live. */
export function bootPaths(config: Pick<BootConfig, 'dataDir'>) {
  const giteaWorkDir = join(config.dataDir, 'gitea');
  const bootDir = join(config.dataDir, 'gigi-boot');
  return {
    giteaWorkDir,
    appIni: join(giteaWorkDir, 'custom', 'conf', 'app.ini'),
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
