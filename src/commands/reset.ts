// `gigi-boot reset --from STEP`: the next boot runs STEP and every step after it again (see
// src/inspect/reset.ts for why this is a fresh run rather than a snapshot positioned at STEP).
import { EXIT } from '../cli/exit-codes.ts';
import { loadConfig, secretValuesOf } from '../config/index.ts';
import { LockTimeoutError } from '../errors.ts';
import { readVolumeId } from '../inspect/gather.ts';
import { parseResetStep, resetFrom } from '../inspect/reset.ts';
import { processRedactor } from '../log/process-redactor.ts';
import { openStore } from '../store/index.ts';

/** How long reset waits for a running boot of the volume to release its lock. */
const RESET_LOCK_WAIT_MS = 2_000;

/** Why: an operator who fixed something by hand needs the next boot to redo it. */
export async function execute(flags: Record<string, string | boolean | undefined>): Promise<number> {
  const step = parseResetStep(flags.from);
  if (typeof step !== 'string') {
    process.stderr.write(`gigi-boot reset: ${step.problem}\nUsage: gigi-boot reset --from STEP\n`);
    return EXIT.config;
  }
  const { config } = await loadConfig(process.env);
  processRedactor.add(...secretValuesOf(config));
  const volumeId = await readVolumeId(config.dataDir);
  if (!volumeId) {
    process.stderr.write(
      `gigi-boot reset: ${config.dataDir} (GIGI_DATA_DIR) has never booted; nothing to reset — \`gigi-boot run\` does a full first boot\n`,
    );
    return EXIT.noBoot;
  }
  const store = await openStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    lockWaitMs: config.deadlines.lockWaitMs,
  });
  try {
    await store.migrate();
    const lock = await store
      .acquireBootLock(volumeId, { timeoutMs: RESET_LOCK_WAIT_MS })
      .catch((error: unknown) => {
        if (!(error instanceof LockTimeoutError)) throw error;
        throw new LockTimeoutError(`a boot of volume ${volumeId} is running: ${error.message}`, {
          hint: 'Reset only between boots: wait for it to end (`gigi-boot inspect --follow`) or stop the container, then run the reset again.',
          cause: error,
        });
      });
    try {
      const result = await resetFrom(store, volumeId, step);
      if (!result) {
        process.stderr.write(
          `gigi-boot reset: volume ${volumeId} has no recorded boot; nothing to reset — \`gigi-boot run\` does a full first boot\n`,
        );
        return EXIT.noBoot;
      }
      process.stdout.write(
        `Reset recorded on run ${result.run.runId} (${result.run.status}) at ${result.mark.at}.\n` +
          `The next \`gigi-boot run\` starts a fresh run: the steps before ${step} find their work done, ` +
          `${step} and every step after it run again.\n`,
      );
      return EXIT.ok;
    } finally {
      await lock.release();
    }
  } finally {
    await store.close();
  }
}
