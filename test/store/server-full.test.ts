// A Postgres whose max_connections are all in use refuses a new session (53300) before any query
// runs. Fifty boxes share one server with at most two sessions each, the pool's given back after
// a second idle, so a boot that needs its session again can meet a full server for a moment: it
// must wait for a free slot, not fail the boot. Postgres only: PGlite has no sessions.
import pg from 'pg';
import { describe, expect, it, vi } from 'vitest';
import { openStore } from '../../src/store/index.ts';
import { createTestDatabase, startTestCluster } from '../support/postgres.ts';
import { waitFor } from '../support/wait.ts';

/** Sessions of the store's pool (named `gigi-boot pid=<pid>`), as seen by another session. */
async function storeSessions(observer: pg.Client): Promise<number> {
  const { rows } = await observer.query<{ n: number }>(
    'select count(*)::int as n from pg_stat_activity where application_name = $1',
    [`gigi-boot pid=${process.pid}`],
  );
  return rows[0]!.n;
}

describe('a full Postgres (max_connections in use)', () => {
  it('a store query that needs a new session waits for a free slot, then answers', async ({
    onTestFinished,
  }) => {
    const cluster = await startTestCluster({ maxConnections: 6 });
    onTestFinished(() => cluster.stop());
    const databaseUrl = await createTestDatabase(cluster.url, 'full');
    const store = await openStore({ databaseUrl, dataDir: '/nonexistent' });
    onTestFinished(() => store.close());
    await store.migrate();

    const clients: pg.Client[] = [];
    onTestFinished(async () => {
      await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    });
    const observer = new pg.Client({ connectionString: databaseUrl });
    clients.push(observer);
    await observer.connect();
    await waitFor(
      'the store to give its idle session back',
      async () => (await storeSessions(observer)) === 0 || undefined,
      {
        timeout: 15_000,
      },
    );

    // Take every slot left, until the server says it is full.
    let refusal: unknown;
    while (refusal === undefined) {
      const filler = new pg.Client({ connectionString: databaseUrl });
      filler.on('error', () => undefined);
      try {
        await filler.connect();
        clients.push(filler);
      } catch (error) {
        refusal = error;
        await filler.end().catch(() => undefined);
      }
    }
    expect((refusal as { code?: string }).code).toBe('53300');

    const connects = vi.spyOn(pg.Client.prototype, 'connect');
    onTestFinished(() => connects.mockRestore());
    const answer = store.getConfigValue('gigi.never-set');
    // Two attempts while every slot is taken: the first was refused and the store tried again.
    await waitFor(
      'the store to be refused and try again',
      () => connects.mock.calls.length >= 2 || undefined,
      {
        timeout: 15_000,
        interval: 10,
      },
    );
    await clients.pop()!.end();
    await expect(answer).resolves.toBeUndefined();
  });
});
