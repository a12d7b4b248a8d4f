// The hand-off: supervisord becomes the container's long-running process. gigi-boot stays as
// PID 1's thin parent: it forwards SIGTERM/SIGINT/SIGHUP to supervisord and exits with its code,
// so `docker stop` reaches every program.
import { spawn } from 'node:child_process';
import type { BootConfig } from '../config/types.ts';
import { BootError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import { supervisorPaths } from './paths.ts';

export class SupervisorError extends BootError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('supervisor', message, options);
  }
}

/** Start supervisord on the config the handOff step rendered; resolve with its exit code. */
export function handOffToSupervisor({
  config,
  logger,
}: {
  config: BootConfig;
  logger: Logger;
}): Promise<number> {
  const { confFile } = supervisorPaths(config);
  const bin = 'supervisord';
  logger.info({ event: 'handoff.start', conf: confFile }, `handing off to supervisord (${confFile})`);
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['--nodaemon', '--configuration', confFile], { stdio: 'inherit' });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];
    for (const s of signals) process.on(s, forward);
    const cleanup = () => {
      for (const s of signals) process.off(s, forward);
    };
    child.once('error', (error: NodeJS.ErrnoException) => {
      cleanup();
      reject(
        new SupervisorError(`cannot start supervisord (${bin}): ${error.code ?? error.message}`, {
          hint: 'install supervisor in the image, or run `gigi-boot run --no-handoff` when another process manager starts the programs',
          cause: error,
        }),
      );
    });
    child.once('exit', (code, signal) => {
      cleanup();
      logger.info({ event: 'handoff.exit', code, signal }, `supervisord exited (${signal ?? code})`);
      resolve(code ?? (signal === 'SIGTERM' ? 0 : 1));
    });
  });
}
