// CheckpointQueue: writes one at a time in the order pushed, never makes the pusher wait, and
// turns a write that fails for good into one StoreError that `failed` and `drained()` both give.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { CheckpointQueue } from '../../src/boot/checkpoint-queue.ts';
import { isBootError } from '../../src/errors.ts';
import type { Checkpoint, Store } from '../../src/store/types.ts';

const logger = pino({ level: 'silent' });
const checkpoint = (n: number): Checkpoint => ({
  runId: 'run',
  status: 'running',
  stateValue: `s${n}`,
  snapshot: null,
  journal: [],
});

/** A store whose saveCheckpoint records start/end of each write and fails where told. */
function recordingStore(fail: (n: string) => Error | undefined) {
  const events: string[] = [];
  const store = {
    saveCheckpoint: async (c: Checkpoint) => {
      const n = String(c.stateValue);
      events.push(`start ${n}`);
      await new Promise((r) => setTimeout(r, 5));
      events.push(`end ${n}`);
      const error = fail(n);
      if (error) throw error;
    },
  } as unknown as Store;
  return { store, events };
}

describe('CheckpointQueue', () => {
  it('writes serially, in order, while push() returns at once', async () => {
    const { store, events } = recordingStore(() => undefined);
    const queue = new CheckpointQueue(store, logger);
    queue.push(checkpoint(1));
    queue.push(checkpoint(2));
    queue.push(checkpoint(3));
    expect(events).toEqual([]);
    await queue.drained();
    expect(events).toEqual(['start s1', 'end s1', 'start s2', 'end s2', 'start s3', 'end s3']);
  });

  it('a write that fails for good is one StoreError, from failed and from drained()', async () => {
    const { store } = recordingStore((n) => (n === 's2' ? new Error('connection lost') : undefined));
    const queue = new CheckpointQueue(store, logger);
    queue.push(checkpoint(1));
    queue.push(checkpoint(2));
    const failure = await queue.failed;
    expect(isBootError(failure) && failure.domain).toBe('store');
    expect(failure.message).toMatch(
      /^Could not save a checkpoint of the boot, so it stops here: connection lost/,
    );
    await expect(queue.drained()).rejects.toBe(failure);
  });
});
