// Gitea's app.ini as each phase needs it, written by the boot's writeAppIni step (for the
// temporary Gitea) and by the hand-off and every warm start (for the supervised one): the same
// keys both times except the listen address, which `gitea web` cannot take on its command line
// (see src/gitea/app-ini.ts).
import type { BootConfig } from '../config/types.ts';
import {
  ensureAppIni,
  generateSecretKey,
  webhookAllowedHostFor,
  type EnsureAppIniResult,
} from '../gitea/app-ini.ts';
import type { RunAs } from '../gitea/run-as.ts';
import type { bootPaths } from './paths.ts';

/** `boot`: the temporary Gitea, on loopback while its admin is created; `supervised`: GITEA_HTTP_ADDR. */
export type AppIniPhase = 'boot' | 'supervised';

/**
 * The SECRET_KEY Gitea uses when app.ini has none (CONTRACT §G.1: never generated, a built-in
 * constant). The bash entrypoint's app.ini had none, so everything Gitea encrypted on such a
 * volume (2FA secrets, webhook authorization headers) is under this key: an adopted volume gets
 * it written down instead of a new one, which would make that data unreadable.
 */
export const GITEA_BUILTIN_SECRET_KEY = '!#@FDEWREWR&*(';

/** The temporary Gitea's address: never reachable from outside the container. */
export const BOOT_HTTP_ADDR = '127.0.0.1';

export async function writeGiteaAppIni(
  ctx: { config: BootConfig; paths: ReturnType<typeof bootPaths>; runAs: () => Promise<RunAs> },
  phase: AppIniPhase,
  signal?: AbortSignal,
): Promise<EnsureAppIniResult> {
  const { config, paths } = ctx;
  const runAs = await ctx.runAs();
  return ensureAppIni({
    path: paths.appIni,
    httpPort: config.giteaHttpPort,
    httpAddr: phase === 'boot' ? BOOT_HTTP_ADDR : config.giteaHttpAddr,
    dataDir: paths.giteaWorkDir,
    databasePath: paths.giteaDatabase,
    runUser: runAs.user,
    // The run user already looked up (not a second look-up inside): it owns app.ini as root.
    ...(process.getuid?.() === 0 ? { owner: { uid: runAs.uid, gid: runAs.gid } } : {}),
    rootUrl: `http://localhost:${config.giteaHttpPort}/`,
    secretKeyGenerator:
      paths.layout === 'bash-entrypoint' ? () => GITEA_BUILTIN_SECRET_KEY : generateSecretKey,
    webhookAllowedHosts: [webhookAllowedHostFor(config.webhookUrl)],
    giteaSettings: config.giteaIni,
    ...(signal ? { signal } : {}),
  });
}
