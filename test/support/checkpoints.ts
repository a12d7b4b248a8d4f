// Acting at a step of a real boot: each checkpoint a boot commits notifies gigi_boot_progress
// (only while a session named like `inspect --follow`'s listens), and the state it saved is read
// back from gigi_boot_runs.
import pg from 'pg';

export interface CheckpointWatch {
  /** Stop listening once the handler in flight returns; rethrows the first error a handler threw. */
  stop(): Promise<void>;
}

/**
 * Why: the tests that kill, freeze or disrupt a boot at a step all wait for the checkpoint that
 * shows it there. `onCheckpoint` gets each saved state value, one call after the other, until it
 * returns true (it acted: nothing more is read, and the disruption may have cut these sessions
 * too) or stop() is called.
 */
export async function watchCheckpoints(
  databaseUrl: string,
  onCheckpoint: (stateValue: unknown) => boolean | Promise<boolean>,
): Promise<CheckpointWatch> {
  const listener = new pg.Client({
    connectionString: databaseUrl,
    application_name: 'gigi-boot listen (test)',
  });
  const reader = new pg.Client({ connectionString: databaseUrl });
  // A restarted or stopped Postgres cuts these sessions too: the test's doing, not a failure.
  listener.on('error', () => undefined);
  reader.on('error', () => undefined);
  await listener.connect();
  await reader.connect();
  await listener.query('LISTEN gigi_boot_progress');
  let chain: Promise<void> = Promise.resolve();
  let failed: unknown;
  let stopped = false;
  listener.on('notification', (message) => {
    chain = chain
      .then(async () => {
        if (stopped) return;
        const { rows } = await reader.query<{ state_value: unknown }>(
          'select state_value from gigi_boot_runs where run_id = $1',
          [message.payload],
        );
        if (rows[0] !== undefined && !stopped && (await onCheckpoint(rows[0].state_value))) stopped = true;
      })
      .catch((error: unknown) => {
        failed ??= error;
      });
  });
  return {
    async stop() {
      stopped = true;
      await chain;
      await listener.end().catch(() => undefined);
      await reader.end().catch(() => undefined);
      if (failed !== undefined) throw failed as Error;
    },
  };
}
