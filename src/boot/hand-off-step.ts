// The handOff step: render the effective supervisord.conf with exactly the programs this
// deployment mode runs. supervisord itself is started by the CLI after the machine is done.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Modes } from '../../machines/boot.ts';
import { InternalError } from '../errors.ts';
import { CDP_RELAY_PORT, NOVNC_PORT, programsFor } from '../supervisor/programs.ts';
import { supervisorPaths } from '../supervisor/paths.ts';
import { renderSupervisordConf } from '../supervisor/render.ts';
import type { StepContext } from './compose.ts';
import { giteaUrlFor } from './compose.ts';

/** Write supervisord.conf atomically (temp + rename): never a half-written file. */
export async function renderHandOff(ctx: StepContext, modes: Modes | null): Promise<string> {
  if (!modes) throw new InternalError('handOff ran before detectModes recorded the modes');
  const { config } = ctx;
  const runAs = modes.gitea === 'internal' ? await ctx.runAs() : null;
  const paths = supervisorPaths(config);
  const programs = programsFor(modes, {
    dataDir: config.dataDir,
    giteaBin: config.giteaBin,
    giteaConfigPath: ctx.paths.appIni,
    giteaWorkDir: ctx.paths.giteaWorkDir,
    giteaHttpPort: config.giteaHttpPort,
    giteaUser: runAs?.user ?? config.giteaRunUser,
    giteaUserHome: runAs?.home ?? '/',
    giteaUrl: giteaUrlFor(config, modes),
    chromeCdpUrl: config.chromeCdpUrl ?? `http://localhost:${CDP_RELAY_PORT}`,
    browserMode: config.browserMode ?? (modes.chrome === 'internal' ? 'cdp' : ''),
    browserViewUrl:
      config.browserViewUrl ?? (modes.chrome === 'internal' ? `http://localhost:${NOVNC_PORT}/vnc.html` : ''),
    appDir: '/app',
    appUser: config.giteaRunUser,
    logDir: paths.logDir,
  });
  const text = renderSupervisordConf(programs, {
    logDir: paths.logDir,
    socketPath: paths.socketPath,
    pidFile: paths.pidFile,
  });
  await mkdir(dirname(paths.confFile), { recursive: true });
  const temp = `${paths.confFile}.${process.pid}.tmp`;
  await writeFile(temp, text, { mode: 0o644 });
  await rename(temp, paths.confFile);
  return paths.confFile;
}
