// The handOff step: render the effective supervisord.conf with exactly the programs this
// deployment mode runs, and prepare what they need (log dir, the agent's workspace and Chromium's
// profile dir owned by the run user). supervisord itself is started by the CLI after the machine is done.
// The file is derived, never state: a warm start (the machine does not run) renders it again
// from the current configuration, so a deleted or edited file, or one an older image wrote,
// neither breaks the start nor outlives it.
// Everything below GIGI_DATA_DIR is on the run user's volume: Chromium's profile dir and the
// private gigi-boot dir are opened without following links (src/volume/safe-fs.ts), so a
// planted `chromium -> /etc` is refused, never chowned.
import { mkdir } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Modes, StepOutput } from '../../../machines/boot.ts';
import { InternalError } from '../../errors.ts';
import type { BootConfig } from '../../config/types.ts';
import { INTERNAL_CHROME_BROWSER_MODE, INTERNAL_CHROME_BROWSER_VIEW_URL } from '../../config/schema.ts';
import { lazyRunAs, type RunAs } from '../../gitea/run-as.ts';
import { CDP_RELAY_PORT, chromeProfileDir, programsFor, workspaceDir } from '../../supervisor/programs.ts';
import { APP_DIR, appEnvironment } from '../../supervisor/hand-off.ts';
import { aioDir, supervisorPaths } from '../../supervisor/paths.ts';
import { renderSupervisordConf } from '../../supervisor/render.ts';
import { openDirBelow, openPrivateBootDir, removeIn, writeFileIn } from '../../volume/safe-fs.ts';
import { detectModes } from '../detect-modes.ts';
import { writeGiteaAppIni } from '../gitea-app-ini.ts';
import { bootPaths, giteaUrlFor } from '../paths.ts';
import type { StepContext } from './context.ts';
import { defineStep, supervisorFault } from './step.ts';

const NOVNC_DIR = '/usr/share/novnc';

const isRoot = () => process.getuid?.() === 0;

/** As root the run user must exist (programs must not run as root); otherwise run as ourselves. */
async function programUser(ctx: HandOffDeps): Promise<RunAs | null> {
  if (isRoot()) return ctx.runAs();
  return ctx.runAs().catch(() => null);
}

/** What rendering needs from a boot's step context (a warm start builds just this). */
export type HandOffDeps = Pick<StepContext, 'config' | 'paths' | 'runAs'>;

export const handOff = defineStep<HandOffDeps>({
  fault: supervisorFault,
  create:
    (deps) =>
    async (input): Promise<StepOutput> => {
      await renderHandOff(deps, input.modes);
      return { outcome: 'rendered' };
    },
});

/** Write supervisord.conf atomically (temp + rename): never a half-written file, never through a link. */
export async function renderHandOff(
  ctx: HandOffDeps,
  modes: Modes | null,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  if (!modes) throw new InternalError('handOff ran before detectModes recorded the modes');
  const { config } = ctx;
  const runAs = await programUser(ctx);
  const paths = supervisorPaths(config);
  const programs = programsFor(modes, {
    dataDir: config.dataDir,
    giteaBin: config.giteaBin,
    giteaConfigPath: ctx.paths.appIni,
    giteaWorkDir: ctx.paths.giteaWorkDir,
    runUser: runAs?.switchUser ? runAs.user : undefined,
    runUserHome: runAs?.home ?? process.env.HOME ?? '/',
    giteaUrl: giteaUrlFor(config, modes),
    chromeCdpUrl: config.chromeCdpUrl ?? `http://localhost:${CDP_RELAY_PORT}`,
    // Unset: the bash entrypoint's defaults with the internal Chrome, nothing with an external one.
    browserMode: config.browserMode ?? (modes.chrome === 'internal' ? INTERNAL_CHROME_BROWSER_MODE : ''),
    browserViewUrl:
      config.browserViewUrl ?? (modes.chrome === 'internal' ? INTERNAL_CHROME_BROWSER_VIEW_URL : ''),
    appDir: APP_DIR,
    aioDir: aioDir(),
    novncDir: NOVNC_DIR,
    fatalFile: paths.fatalFile,
    appEnvironment: appEnvironment(env),
  });
  const text = renderSupervisordConf(programs, {
    logDir: paths.logDir,
    socketPath: paths.socketPath,
    pidFile: paths.pidFile,
    runsAsRoot: isRoot(),
  });
  // The agent's workspace, and Chromium's profile when it runs here: the run user's, made
  // without following a planted link.
  const dirs = [workspaceDir(config.dataDir)];
  if (modes.chrome === 'internal') dirs.push(chromeProfileDir(config.dataDir));
  // Independent files and directories, side by side (a warm start waits for all of them); each
  // is written whole or not at all, and every one is finished before an error is reported.
  const done = await Promise.allSettled([
    // The supervised Gitea listens on GITEA_HTTP_ADDR (the boot's temporary one was on
    // loopback), and GITEA__ settings are applied on every start, as Gitea's own images do.
    modes.gitea === 'internal' ? writeGiteaAppIni(ctx, 'supervised') : undefined,
    // /var/log/gigi is the image's, outside the volume.
    mkdir(paths.logDir, { recursive: true }),
    ...dirs.map(async (path) => {
      const dir = await openDirBelow({
        root: config.dataDir,
        path,
        create: true,
        ...(runAs?.switchUser ? { owner: runAs } : {}),
      });
      await dir.close();
    }),
    writeConf(config.dataDir, paths, text),
  ]);
  const failed = done.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  return paths.confFile;
}

async function writeConf(dataDir: string, paths: ReturnType<typeof supervisorPaths>, text: string) {
  const dir = await openPrivateBootDir(dataDir, dirname(paths.confFile));
  try {
    // A FATAL recorded by the previous run must not fail this run's health check.
    await removeIn(dir, basename(paths.fatalFile));
    // 0600: the programs' environment may carry the deployment's tokens.
    await writeFileIn(dir, basename(paths.confFile), text, { mode: 0o600 });
  } finally {
    await dir.close();
  }
}

/** Why: a warm start skips the machine, so its handOff step; render from today's config instead. */
export async function renderForWarmStart(config: BootConfig): Promise<string> {
  const ctx: HandOffDeps = {
    config,
    paths: bootPaths(config),
    runAs: lazyRunAs(config.giteaRunUser),
  };
  return renderHandOff(ctx, await detectModes(config));
}
