// Postgres often starts beside the container (compose, swarm): a connection refused at boot is
// usually "not yet", not "wrong". Retry a transient store failure until a deadline, saying so.
import { setTimeout as sleep } from 'node:timers/promises';
import { isBootError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import { openStore, type OpenStoreOptions } from './index.ts';
import type { Store } from './types.ts';

/**
 * openStore, retried with backoff while the failure is transient and the deadline allows.
 * firstAttempt: an openStore(options) already under way (started beside other work), taken as
 * the first attempt.
 */
export async function openStoreWithRetry(
  options: OpenStoreOptions,
  waitMs: number,
  logger: Logger,
  firstAttempt?: Promise<Store>,
): Promise<Store> {
  const deadline = Date.now() + waitMs;
  let delay = 250;
  for (let attempt = 1; ; attempt++) {
    try {
      return await (attempt === 1 && firstAttempt ? firstAttempt : openStore(options));
    } catch (error) {
      const transient = isBootError(error) && error.transient;
      if (!transient || Date.now() + delay > deadline) throw error;
      if (attempt === 1) {
        logger.warn(
          { event: 'store.wait', err: error },
          `the database is not reachable yet; retrying for up to ${waitMs} ms (GIGI_BOOT_DATABASE_TIMEOUT)`,
        );
      }
      await sleep(delay);
      delay = Math.min(2_000, delay * 2);
    }
  }
}
