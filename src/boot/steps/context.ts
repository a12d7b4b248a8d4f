// What the steps of one boot share, built once by the composition root (../compose.ts). Each step
// module takes only the part of it that it uses (its `deps`, a Pick of StepContext). Its own
// module so that the steps and the composition root import it, never each other.
import type { BootScope } from '../../../machines/boot.ts';
import type { BootConfig } from '../../config/types.ts';
import { ensureTemporaryGitea, type StartTemporaryGiteaOptions } from '../../gitea/process.ts';
import { lazyRunAs, type RunAs } from '../../gitea/run-as.ts';
import type { Logger } from '../../log/logger.ts';
import type { Redactor } from '../../log/redactor.ts';
import { withConfigCache } from '../../store/config-cache.ts';
import type { Store } from '../../store/types.ts';
import { bootPaths } from '../paths.ts';

export interface ComposeOptions {
  config: BootConfig;
  store: Store;
  redactor: Redactor;
  logger: Logger;
  /** 'runner': the plan found Gitea set up; detectModes routes the machine to the image only. */
  scope?: BootScope;
}

/** Shared by the steps of one boot: resolved lazily, once. */
export interface StepContext extends ComposeOptions {
  paths: ReturnType<typeof bootPaths>;
  runAs: () => Promise<RunAs>;
  /** How to start (or find) the temporary Gitea: its binary, files, port and deadlines. */
  giteaTarget: (signal: AbortSignal) => Promise<StartTemporaryGiteaOptions & { logFile: string }>;
  /**
   * Internal mode: make sure the temporary Gitea runs (a resumed boot starts it again);
   * `started`: it was not running and has just been started, so its API has not answered yet.
   */
  ensureGiteaRunning: (signal: AbortSignal) => Promise<{ started: boolean }>;
  /** Read a config-table value registered as a secret. */
  storedSecret: (key: string) => Promise<string | undefined>;
}

/** Why: the one place the shared, lazily resolved parts of a boot's steps are built. */
export function createStepContext(options: ComposeOptions): StepContext {
  const { config, redactor, logger } = options;
  // The steps' config-table reads come from one read (withConfigCache says why that is sound).
  const store = withConfigCache(options.store);
  const paths = bootPaths(config);
  const runAs = lazyRunAs(config.giteaRunUser, config.deadlines.commandMs);

  const giteaTarget = async (signal: AbortSignal) => ({
    bin: config.giteaBin,
    configPath: paths.appIni,
    workDir: paths.giteaWorkDir,
    runAs: await runAs(),
    pidFile: paths.giteaPidFile,
    logFile: paths.giteaLogFile,
    // writeAppIni binds the temporary Gitea to loopback on this port.
    port: config.giteaHttpPort,
    address: '127.0.0.1',
    readyTimeoutMs: config.deadlines.giteaReadyMs,
    stopGraceMs: config.deadlines.giteaStopMs,
    signal,
  });

  return {
    ...options,
    store,
    paths,
    runAs,
    giteaTarget,
    storedSecret: async (key) => {
      const value = await store.getConfigValue(key);
      redactor.add(value);
      return value;
    },
    ensureGiteaRunning: async (signal) => {
      // Also proves the Gitea on the port is ours before a step sends it credentials.
      const { started, pid } = await ensureTemporaryGitea(await giteaTarget(signal));
      if (started)
        logger.info(
          { event: 'gitea.restart', pid },
          'the temporary Gitea was not running (resumed boot): started it',
        );
      return { started };
    },
  };
}
