// Where the rendered supervisord config, its runtime files and the aio/ helpers live.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BootConfig } from '../config/types.ts';

export function supervisorPaths(config: Pick<BootConfig, 'dataDir'> & Partial<Pick<BootConfig, 'runDir'>>) {
  const dir = join(config.dataDir, 'gigi-boot');
  const runDir = config.runDir ?? dir;
  return {
    confFile: join(dir, 'supervisord.conf'),
    // Not on the volume when GIGI_BOOT_RUN_DIR says so: during a start-first update the old
    // container's supervisord still listens on its socket, and a shared one makes the new
    // supervisord refuse to start ("Another program is already listening").
    runDir,
    socketPath: join(runDir, 'supervisor.sock'),
    pidFile: join(runDir, 'supervisord.pid'),
    /** Written by aio/fatal-listener.py when a program goes FATAL; aio/healthcheck.sh fails on it. */
    fatalFile: join(dir, 'fatal-programs'),
    logDir: '/var/log/gigi',
  };
}

// Why: the aio/ helpers ship beside gigi-boot — `<root>/aio` from the sources (src/supervisor/)
// and from the bundle (dist/), so the same code finds them in a checkout and in the image.
export function aioDir(): string {
  const candidates = ['../../aio', '../aio'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  return candidates.find((dir) => existsSync(join(dir, 'fatal-listener.py'))) ?? candidates[0]!;
}
