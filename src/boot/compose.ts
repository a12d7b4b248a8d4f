// The composition root: the real implementation of every boot step, built from the validated
// config, the store and the gitea module. Each step is check-then-create, because a resumed
// boot runs the step that was in flight again.
import type { BootScope, BootStep, StepInput, StepOutput } from '../../machines/boot.ts';
import type { BootConfig } from '../config/types.ts';
import { ensureTemporaryGitea, startTemporaryGitea, stopTemporaryGitea } from '../gitea/process.ts';
import { lazyRunAs, type RunAs } from '../gitea/run-as.ts';
import { ensureWorkDir } from '../gitea/work-dir.ts';
import type { Logger } from '../log/logger.ts';
import type { Redactor } from '../log/redactor.ts';
import type { Store } from '../store/types.ts';
import { CONFIG_KEYS } from './config-keys.ts';
import { writeGiteaAppIni } from './gitea-app-ini.ts';
import { describeAdoption } from './adoption.ts';
import { bootPaths, giteaUrlFor } from './paths.ts';
import type { StepImplementations } from './run-boot.ts';
import { buildRunnerWorker } from './runner-step.ts';
import { detectModes } from './detect-modes.ts';
import { generateSecret } from './secrets.ts';
import { giteaSteps } from './gitea-steps.ts';
import { renderHandOff } from './hand-off-step.ts';
import { withFailpoints } from './failpoints.ts';

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
  /** Internal mode: make sure the temporary Gitea runs (a resumed boot starts it again). */
  ensureGiteaRunning: (signal: AbortSignal) => Promise<void>;
  /** Read a config-table value registered as a secret. */
  storedSecret: (key: string) => Promise<string | undefined>;
}

/** Every step's implementation for this boot. */
export function composeSteps(options: ComposeOptions): StepImplementations {
  const { config, store, redactor, logger } = options;
  const paths = bootPaths(config);
  const runAs = lazyRunAs(config.giteaRunUser, config.deadlines.commandMs);
  const storedSecret = async (key: string) => {
    const value = await store.getConfigValue(key);
    redactor.add(value);
    return value;
  };

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
  const startGitea = async (signal: AbortSignal) => startTemporaryGitea(await giteaTarget(signal));

  const ctx: StepContext = {
    ...options,
    paths,
    runAs,
    storedSecret,
    ensureGiteaRunning: async (signal) => {
      // Also proves the Gitea on the port is ours before a step sends it credentials.
      const { started, pid } = await ensureTemporaryGitea(await giteaTarget(signal));
      if (started)
        logger.info(
          { event: 'gitea.restart', pid },
          'the temporary Gitea was not running (resumed boot): started it',
        );
    },
  };

  const local: Pick<
    StepImplementations,
    | 'detectModes'
    | 'prepareSecrets'
    | 'writeAppIni'
    | 'startGitea'
    | 'stopGitea'
    | 'persistConfig'
    | 'buildRunnerWorker'
    | 'handOff'
  > = {
    detectModes: async (): Promise<StepOutput> => {
      const modes = await detectModes(config);
      const scope = options.scope ?? 'all';
      const adoption = describeAdoption(config.dataDir, paths);
      if (adoption) logger.info({ event: 'volume.adopted', layout: paths.layout }, adoption.message);
      logger.info(
        { event: 'modes', modes, scope },
        `Gitea ${modes.gitea}, Chrome ${modes.chrome}, Docker ${modes.docker ? 'present' : 'absent'}${scope === 'runner' ? '; runner-worker image only' : ''}`,
      );
      return {
        modes,
        scope,
        outcome: `gitea:${modes.gitea} chrome:${modes.chrome} docker:${modes.docker ? 'yes' : 'no'}${scope === 'runner' ? ' scope:runner' : ''}${adoption ? ` ${adoption.outcome}` : ''}`,
      };
    },

    prepareSecrets: async (): Promise<StepOutput> => {
      const existing = await storedSecret(CONFIG_KEYS.webhookSecret);
      if (existing) return { outcome: 'existed' };
      const secret = generateSecret();
      redactor.add(secret);
      await store.writeConfig({ [CONFIG_KEYS.webhookSecret]: secret });
      return { outcome: 'created' };
    },

    writeAppIni: async (_input: StepInput, signal: AbortSignal): Promise<StepOutput> => {
      await ensureWorkDir({
        workDir: paths.giteaWorkDir,
        runAs: await runAs(),
        subdirs:
          paths.layout === 'bash-entrypoint' ? ['conf', 'data', 'log'] : ['custom/conf', 'data', 'log'],
      });
      // Loopback: the temporary Gitea must not be reachable from outside while its admin is
      // created; the hand-off switches to GITEA_HTTP_ADDR for the supervised Gitea.
      const result = await writeGiteaAppIni(ctx, 'boot', signal);
      return { outcome: result.action };
    },

    startGitea: async (_input, signal): Promise<StepOutput> => {
      const gitea = await startGitea(signal);
      return { outcome: `started pid ${gitea.pid}` };
    },

    stopGitea: async (_input, signal): Promise<StepOutput> => {
      const result = await stopTemporaryGitea({
        pidFile: paths.giteaPidFile,
        configPath: paths.appIni,
        graceMs: config.deadlines.giteaStopMs,
        signal,
      });
      return { outcome: result.action };
    },

    persistConfig: async (input): Promise<StepOutput> => {
      const entries: Record<string, string> = {
        [CONFIG_KEYS.giteaUrl]: giteaUrlFor(config, input.modes),
        [CONFIG_KEYS.adminUser]: config.adminUser,
      };
      if (config.telegramToken) entries[CONFIG_KEYS.telegramToken] = config.telegramToken;
      if (config.claudeToken) entries[CONFIG_KEYS.claudeToken] = config.claudeToken;
      await store.writeConfig(entries);
      return { outcome: `wrote ${Object.keys(entries).length} keys` };
    },

    buildRunnerWorker: (input, signal) => buildRunnerWorker(config, logger, input, signal),

    handOff: async (input): Promise<StepOutput> => {
      await renderHandOff(ctx, input.modes);
      return { outcome: 'rendered' };
    },
  };

  const steps = { ...local, ...giteaSteps(ctx) } satisfies Record<BootStep, unknown>;
  // Tests and ops drills: GIGI_BOOT_FAILPOINTS makes chosen steps fail, or crash the process.
  return withFailpoints(steps, { failpoints: config.failpoints, dataDir: config.dataDir, store, logger });
}
