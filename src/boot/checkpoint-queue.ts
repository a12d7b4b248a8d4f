// Checkpoints are written one at a time, in the order the machine reached them: each write is
// chained after the one before (a later state must never be overwritten by an earlier one).
// The machine does not wait for them — the next step starts while its predecessor's checkpoint
// is written — and whoever needs durability (the hand-off, the end of the boot) waits for the
// queue to drain.
import { isErrorIn, StoreError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { Checkpoint, Store } from '../store/types.ts';

export class CheckpointQueue {
  #tail: Promise<void> = Promise.resolve();
  #onFailure: ((error: StoreError) => void) | undefined;
  /** Settles with the first write that failed for good, as a StoreError; never if none does. */
  readonly failed: Promise<StoreError>;

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
  ) {
    this.failed = new Promise((resolve) => (this.#onFailure = resolve));
  }

  /** Queue a write; returns at once. */
  push(checkpoint: Checkpoint): void {
    this.#tail = this.#tail.then(async () => {
      try {
        await withStoreRetry(() => this.store.saveCheckpoint(checkpoint));
      } catch (error) {
        const failure = asStoreError(error);
        this.#onFailure?.(failure);
        throw failure;
      }
      this.logger.debug(
        { event: 'checkpoint.saved', status: checkpoint.status, state: checkpoint.stateValue },
        'checkpoint saved',
      );
    });
    this.#tail.catch(() => undefined);
  }

  /** Why: resolves once everything queued so far is written; rejects (StoreError) if a write failed. */
  drained(): Promise<void> {
    return this.#tail;
  }
}

/** Postgres briefly away (failover, restart) should not fail a boot: retry a checkpoint write for ~10 s. */
async function withStoreRetry<T>(operation: () => Promise<T>): Promise<T> {
  const delays = [100, 250, 500, 1000, 2000, 3000, 3000];
  for (let i = 0; ; i++) {
    try {
      return await operation();
    } catch (error) {
      const transient = (error as { transient?: unknown }).transient === true;
      if (!transient || i >= delays.length) throw error;
      await new Promise((r) => setTimeout(r, delays[i]));
    }
  }
}

/**
 * Why: a checkpoint that cannot be written (the database went away for longer than the retries)
 * ends the boot — it cannot record progress — but as a typed, resumable failure, not a crash.
 */
function asStoreError(error: unknown): StoreError {
  if (isErrorIn(error, 'store') && error.message.startsWith(CHECKPOINT_FAILED)) return error;
  return new StoreError(`${CHECKPOINT_FAILED}: ${error instanceof Error ? error.message : String(error)}`, {
    cause: error,
    transient: true,
    hint: 'Check that the database is up and reachable (DATABASE_URL; unset, the embedded store under GIGI_DATA_DIR); the next `gigi-boot run` resumes from the last checkpoint written.',
  });
}

const CHECKPOINT_FAILED = 'Could not save a checkpoint of the boot, so it stops here';
