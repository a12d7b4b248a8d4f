// Where the rendered supervisord config and its runtime files live.
import { join } from 'node:path';
import type { BootConfig } from '../config/types.ts';

export function supervisorPaths(config: Pick<BootConfig, 'dataDir'>) {
  const dir = join(config.dataDir, 'gigi-boot');
  return {
    confFile: join(dir, 'supervisord.conf'),
    socketPath: join(dir, 'supervisor.sock'),
    pidFile: join(dir, 'supervisord.pid'),
    logDir: '/var/log/gigi',
  };
}
