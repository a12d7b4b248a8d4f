// One pg.Client used from several places at once — the boot lock's heartbeat and its release —
// must not be sent a query while another runs: pg 8 queues it but warns that this is
// deprecated, and pg 9 removes the queue. So such a client's queries go through one chain.
import type pg from 'pg';

export type SerialQuery = <R extends pg.QueryResultRow>(
  text: string,
  params?: readonly unknown[],
) => Promise<pg.QueryResult<R>>;

/** Why: each query starts only once the one before it settled, whoever issued it. */
export function serializeQueries(client: pg.ClientBase): SerialQuery {
  let tail: Promise<unknown> = Promise.resolve();
  return <R extends pg.QueryResultRow>(text: string, params: readonly unknown[] = []) => {
    const run = tail.then(() => client.query<R>(text, params as unknown[]));
    tail = run.catch(() => undefined);
    return run;
  };
}
