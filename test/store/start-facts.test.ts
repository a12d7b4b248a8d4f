// Store.readStartFacts: what a start reads before it decides, in one statement. It must answer
// exactly what the separate reads answer (readDatabaseBinding, migrate()'s version check,
// latestRun, readConfig), on both backends, or a warm start would decide on other facts.
import { beforeEach, describe, expect, it } from 'vitest';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { BACKENDS, useStore } from './backends.ts';

const VOLUME = '7c358981-a93b-457b-b7dd-15709f179a68';
const OTHER = '1c358981-a93b-457b-b7dd-15709f179a68';

describe.each(BACKENDS)('readStartFacts ($name)', (backend) => {
  const { store: opened } = useStore(backend, { migrate: false });
  let store: SqlStore;
  beforeEach(() => {
    store = opened();
  });

  const separately = async (volumeId: string) => ({
    database: await store.readDatabaseBinding(),
    schemaCurrent: true,
    latestRun: await store.latestRun(volumeId),
    config: await store.readConfig(),
  });

  it('is null on a database gigi-boot never migrated, and creates nothing', async () => {
    expect(await store.readStartFacts(VOLUME)).toBeNull();
    const tables = await store.db.query<{ t: string | null }>(
      "SELECT to_regclass('gigi_boot_runs')::text AS t",
    );
    expect(tables).toEqual([{ t: null }]);
  });

  it('an unowned database with no runs: the binding, a current schema, no run, an empty config table', async () => {
    await store.migrate();
    expect(await store.readStartFacts(VOLUME)).toEqual({
      database: { databaseId: null, volumeId: null, lastRunVolumeId: null },
      schemaCurrent: true,
      latestRun: null,
      config: new Map(),
    });
  });

  it("answers what the separate reads answer: another volume's latest run names the owner, this volume's latest run whole", async () => {
    const first = await store.startRun({
      volumeId: VOLUME,
      machineId: 'boot',
      machineVersion: '1',
      fingerprint: 'f',
    });
    await store.saveCheckpoint({
      runId: first.runId,
      status: 'completed',
      stateValue: { done: 'yes' },
      snapshot: { status: 'done', context: { nested: [1, 'two', null], unicode: 'caf\u00e9 \u2192' } },
      error: 'a "quoted" error\nover two lines',
      journal: [],
    });
    await store.startRun({ volumeId: OTHER, machineId: 'boot', machineVersion: '1', fingerprint: 'g' });
    await store.writeConfig({ gitea_token: 'secret-token', gitea_url: 'http://localhost:3300' });

    const facts = await store.readStartFacts(VOLUME);
    expect(facts).toEqual(await separately(VOLUME));
    expect(facts?.database.lastRunVolumeId).toBe(OTHER);
    expect(facts?.latestRun).toMatchObject({ runId: first.runId, status: 'completed', seq: 1 });
    expect(facts?.latestRun?.startedAt).toBeInstanceOf(Date);
    expect([...(facts?.config.keys() ?? [])]).toEqual(['gitea_token', 'gitea_url']);
  });

  it('an owned database: no last-run owner asked for, as readDatabaseBinding', async () => {
    await store.ensureDatabaseId();
    await store.claimDatabase(VOLUME);
    const facts = await store.readStartFacts(VOLUME);
    expect(facts).toEqual(await separately(VOLUME));
    expect(facts?.database).toMatchObject({ volumeId: VOLUME, lastRunVolumeId: null });
  });

  it('a schema missing its newest migration is not current (migrate() is asked to apply it)', async () => {
    await store.db.exec(
      'DELETE FROM gigi_boot_schema_migrations WHERE version = (SELECT max(version) FROM gigi_boot_schema_migrations)',
    );
    expect((await store.readStartFacts(VOLUME))?.schemaCurrent).toBe(false);
  });
});
