// What the bench cluster was measured with, so the checkpoint figure says it: startTestCluster
// runs Postgres with `-c fsync=off` (a command-line setting, which ALTER SYSTEM cannot
// override), so checkpoint latency excludes the WAL flush a production server pays.
import pg from 'pg';

export interface PostgresInfo {
  version: string;
  fsync: boolean;
}

/** Why: the figures are only comparable between runs with the same server version and durability. */
export async function describePostgres(serverUrl: string): Promise<PostgresInfo> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ fsync: string; version: string }>(
      "SELECT current_setting('fsync') AS fsync, current_setting('server_version') AS version",
    );
    return { version: rows[0]!.version, fsync: rows[0]!.fsync === 'on' };
  } finally {
    await client.end();
  }
}
