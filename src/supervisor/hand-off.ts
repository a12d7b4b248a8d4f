// The hand-off: supervisord becomes the container's long-running process. gigi-boot stays as
// PID 1's thin parent: it forwards SIGTERM/SIGINT/SIGHUP to supervisord and exits with its code,
// so `docker stop` reaches every program.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { constants } from 'node:os';
import type { BootConfig } from '../config/types.ts';
import { BootError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import {
  lstatIn,
  openDirBelow,
  openPrivateBootDir,
  readlinkIn,
  removeIn,
  replaceSymlinkIn,
} from '../volume/safe-fs.ts';
import { supervisorPaths } from './paths.ts';

export class SupervisorError extends BootError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('supervisor', message, options);
  }
}

/**
 * Variables only the boot uses: no program ever sees them (the Gitea admin's password; Gitea's
 * GITEA__ settings, which gigi-boot wrote into app.ini and which may hold secrets).
 */
const BOOT_ONLY_ENV = /^(ADMIN_PASSWORD|ADMIN_PASSWORD_FILE|GIGI_BOOT_.*|GITEA__.*)$/;

/** What every program may inherit from supervisord: nothing secret, nothing program-specific. */
const BASE_ENV = ['PATH', 'LANG', 'LC_ALL', 'TZ'] as const;

/** Set per program by supervisord (user=) or the renderer, or shell noise: not the deployment's to pass. */
const PER_PROCESS_ENV = /^(HOME|USER|LOGNAME|SHELL|PWD|OLDPWD|SHLVL|_)$/;

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

// Why: supervisord's own environment is what every program inherits, and root processes
// (Xvfb, x11vnc, websockify, nginx) can read its /proc/<pid>/environ: so it carries no secret,
// only the base a process needs (PATH, locale, zone). Each program's own variables are in its
// `environment=` in supervisord.conf (0600, root), the app's secrets in the app's alone.
export function supervisordEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = { PATH: env.PATH || DEFAULT_PATH };
  for (const name of BASE_ENV) {
    const value = env[name];
    if (value) out[name] = value;
  }
  return out;
}

// Why: the Gigi app is configured by the deployment (DATABASE_URL, TELEGRAM_TOKEN, CLAUDE_TOKEN
// and whatever else it reads): it gets the deployment's environment, minus what only the boot
// uses and what supervisord sets per process. No other program gets any of it.
export function appEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || BOOT_ONLY_ENV.test(name) || PER_PROCESS_ENV.test(name)) continue;
    if ((BASE_ENV as readonly string[]).includes(name)) continue;
    out[name] = value;
  }
  return out;
}

/** The exit code of a child that ended on a signal, as a shell reports it. */
function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/**
 * Why: the seed links the app's Gitea templates into Gitea's custom path on every boot. The
 * custom dir is the run user's: it is opened without following links, and the link is
 * replaced by a rename inside that very directory.
 */
export async function linkGiteaTemplates(
  appDir: string,
  giteaWorkDir: string,
  volumeRoot = dirname(giteaWorkDir),
): Promise<string> {
  const source = join(appDir, 'gitea', 'custom', 'templates');
  const custom = await openDirBelow({ root: volumeRoot, path: join(giteaWorkDir, 'custom') }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    },
  );
  if (!custom) return 'no internal Gitea';
  try {
    const target = join(custom.path, 'templates');
    if (!existsSync(source)) return 'no templates';
    const current = await lstatIn(custom, 'templates');
    if (current && !current.isSymbolicLink()) return `kept ${target} (not a link: operator's own templates)`;
    if (current && (await readlinkIn(custom, 'templates')) === source) return 'linked';
    await replaceSymlinkIn(custom, 'templates', source);
    return 'linked';
  } finally {
    await custom.close();
  }
}

/** Where the app image keeps the Gigi app (and gitea/custom/templates when it ships them). */
export const APP_DIR = '/app';

/** Start supervisord on the config the handOff step rendered; resolve with its exit code. */
export async function handOffToSupervisor({
  config,
  logger,
}: {
  config: Pick<BootConfig, 'dataDir'> & Partial<Pick<BootConfig, 'runDir'>>;
  logger: Logger;
}): Promise<number> {
  const { confFile, logDir, fatalFile, runDir } = supervisorPaths(config);
  const bin = 'supervisord';
  // The boot rendered the config (the handOff step, or a warm start's render); still, make sure
  // what it points at is there and forget the previous run's FATAL programs, whoever rendered it.
  await mkdir(logDir, { recursive: true });
  // The default (under the data dir) is the boot dir, made privately by the preflight.
  if (runDir !== dirname(fatalFile)) await mkdir(runDir, { recursive: true, mode: 0o700 });
  const bootDir = await openPrivateBootDir(config.dataDir, dirname(fatalFile));
  await removeIn(bootDir, basename(fatalFile)).finally(() => bootDir.close());
  const templates = await linkGiteaTemplates(APP_DIR, join(config.dataDir, 'gitea'), config.dataDir);
  logger.info({ event: 'gitea.templates', outcome: templates }, `Gitea custom templates: ${templates}`);
  logger.info({ event: 'handoff.start', conf: confFile }, `handing off to supervisord (${confFile})`);
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['--nodaemon', '--configuration', confFile], {
      stdio: 'inherit',
      env: supervisordEnvironment(process.env),
    });
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
      resolve(code ?? (signal ? signalExitCode(signal) : 1));
    });
  });
}
