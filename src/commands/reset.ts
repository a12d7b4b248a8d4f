// `gigi-boot reset --from STEP`: the next boot runs STEP and every step after it again (see
// src/inspect/reset.ts for why this is a fresh run rather than a snapshot positioned at STEP).
import { EXIT } from '../cli/exit-codes.ts';
import { loadConfig, secretValuesOf, type BootConfig } from '../config/index.ts';
import { isErrorIn, LockTimeoutError } from '../errors.ts';
import { readVolumeId } from '../inspect/gather.ts';
import { parseResetReason, parseResetStep, resetFrom } from '../inspect/reset.ts';
import { processRedactor } from '../log/process-redactor.ts';
import { openStore, type BootLock, type Store } from '../store/index.ts';
import { readOrCreateVolumeId } from '../store/volume.ts';
import { rebindVolumeToDatabase } from '../boot/bind-volume.ts';
import { registerStoredSecrets } from '../boot/secrets.ts';

/** How long reset waits for a running boot of the volume to release its lock. */
const RESET_LOCK_WAIT_MS = 2_000;

const USAGE = 'Usage: gigi-boot reset --from STEP [--reason TEXT] | --database';

/** Reset only between boots: the lock of this volume, refused (exit 4) while a boot holds it. */
async function lockBetweenBoots(store: Store, volumeId: string): Promise<BootLock> {
  return store.acquireBootLock(volumeId, { timeoutMs: RESET_LOCK_WAIT_MS }).catch((error: unknown) => {
    if (!isErrorIn(error, 'lock')) throw error;
    throw new LockTimeoutError(`a boot of volume ${volumeId} is running: ${error.message}`, {
      hint: 'Reset only between boots: wait for it to end (`gigi-boot inspect --follow`) or stop the container, then run the reset again.',
      cause: error,
    });
  });
}

/**
 * Why: both resets change the store between boots: opened and migrated, then under the volume's
 * lock; the lock released and the store closed whatever the reset did.
 */
async function betweenBoots({
  config,
  volumeIdOf,
  reset,
}: {
  config: BootConfig;
  volumeIdOf: () => Promise<string>;
  reset: (store: Store) => Promise<number>;
}): Promise<number> {
  const store = await openStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    lockWaitMs: config.deadlines.lockWaitMs,
  });
  try {
    await store.migrate();
    const lock = await lockBetweenBoots(store, await volumeIdOf());
    try {
      return await reset(store);
    } finally {
      await lock.release();
    }
  } finally {
    await store.close();
  }
}

/**
 * Why: `gigi-boot reset --database` — this volume (GIGI_DATA_DIR) and this database
 * (DATABASE_URL) belong together from now on, for an operator whose boot was refused because
 * they did not (the volume was replaced on purpose, or its old database is gone for good).
 */
async function resetDatabase(): Promise<number> {
  const { config } = await loadConfig(process.env);
  processRedactor.add(...secretValuesOf(config));
  // The volume id is read (or made) only once the database has opened and migrated.
  return betweenBoots({
    config,
    volumeIdOf: () => readOrCreateVolumeId(config.dataDir),
    reset: async (store) => {
      const done = await rebindVolumeToDatabase(store, {
        dataDir: config.dataDir,
        databaseUrl: config.databaseUrl,
      });
      process.stdout.write(
        `GIGI_DATA_DIR=${config.dataDir} (volume ${done.volumeId}) and the database at ${done.database} now belong together` +
          `${done.previousDatabase ? `; the volume was bound to the database at ${done.previousDatabase}` : ''}` +
          `${done.previousVolumeId ? `; the database belonged to volume ${done.previousVolumeId}, whose boots it now refuses` : ''}.\n` +
          'The next `gigi-boot run` boots this volume on this database.\n',
      );
      return EXIT.ok;
    },
  });
}

/** Why: an operator who fixed something by hand needs the next boot to redo it. */
export async function execute(flags: Record<string, string | boolean | undefined>): Promise<number> {
  if (flags.database === true) {
    if (flags.from !== undefined || flags.reason !== undefined) {
      process.stderr.write(
        `gigi-boot reset: --from and --database are separate resets; give one\n${USAGE}\n`,
      );
      return EXIT.config;
    }
    return resetDatabase();
  }
  const step = parseResetStep(flags.from);
  if (typeof step !== 'string') {
    process.stderr.write(`gigi-boot reset: ${step.problem}\n${USAGE}\n`);
    return EXIT.config;
  }
  const reason = parseResetReason(flags.reason);
  if (reason !== null && typeof reason !== 'string') {
    process.stderr.write(`gigi-boot reset: ${reason.problem}\n${USAGE}\n`);
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
  return betweenBoots({
    config,
    volumeIdOf: () => Promise.resolve(volumeId),
    reset: async (store) => {
      // The stored secrets too (a token pasted into the reason): scrubbed like the config's.
      if (reason !== null) await registerStoredSecrets(store, processRedactor);
      // The reason is kept in the journal and the run: known secrets never reach either.
      const result = await resetFrom(
        store,
        volumeId,
        step,
        new Date(),
        reason === null ? null : processRedactor.redact(reason),
      );
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
    },
  });
}
