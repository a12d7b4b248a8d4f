// A volume and its database belong together: the app's config table holds the credentials of
// the Gitea users on that volume. Pointing a volume at another volume's database would overwrite
// them; a volume at a fresh database would find users it has no passwords for; two boots of one
// volume with two DATABASE_URLs would both initialise. So each side records the other — the
// database which volume it belongs to (gigi_boot_database), the volume which database it was
// booted with (GIGI_DATA_DIR/.gigi-boot-database) — and a boot that finds them disagreeing is
// refused (exit 2) before it writes anything. Read, then decide (pure), then apply.
import { ConfigError } from '../errors.ts';
import { databaseName, describeServer } from '../store/database-url.ts';
import type { DatabaseBinding, StartFacts, Store } from '../store/types.ts';
import {
  readVolumeBinding,
  recordVolumeBinding,
  replaceVolumeBinding,
  type VolumeBinding,
} from '../store/volume-binding.ts';
import { readOrCreateVolumeId, readVolumeIdIfAny } from '../store/volume.ts';

export const EMBEDDED_DATABASE = 'the embedded PGlite database on this volume';

/** Why: messages and the volume's record name the database without its password. */
export function describeDatabase(databaseUrl: string | undefined): string {
  if (databaseUrl === undefined) return EMBEDDED_DATABASE;
  return `${describeServer(databaseUrl)}/${databaseName(databaseUrl) ?? '(default database)'}`;
}

export interface BindingFacts {
  dataDir: string;
  /** The volume's id, or undefined for a volume that never booted. */
  volumeId: string | undefined;
  /** The database the volume was booted with, if it recorded one. */
  volume: VolumeBinding | undefined;
  database: DatabaseBinding;
  /** DATABASE_URL, described (describeDatabase). */
  here: string;
  embedded: boolean;
}

const WAY_OUT =
  'If this really is meant (the volume was replaced, or the old database is gone for good), run `gigi-boot reset --database` with this GIGI_DATA_DIR and DATABASE_URL: it binds the two, and the next boot initialises this database for this volume.';

function setting(facts: BindingFacts): string {
  return facts.embedded
    ? 'DATABASE_URL is unset, so gigi-boot would use the embedded PGlite database on this volume'
    : `DATABASE_URL points at ${facts.here}`;
}

/** Why: a pure decision, testable without a database: undefined = go on, else the problem. */
export function decideBinding(facts: BindingFacts): string | undefined {
  const { database, volume, volumeId } = facts;
  if (volume && volume.databaseId !== database.databaseId) {
    return (
      `GIGI_DATA_DIR=${facts.dataDir} was booted with the database at ${volume.database}, but ${setting(facts)}, ` +
      `a different database${database.databaseId === null ? ' that gigi-boot has never used' : ''}. Nothing was changed. ` +
      `Point DATABASE_URL back at that database${volume.database === EMBEDDED_DATABASE ? ' (unset it)' : ''} ` +
      '(a copy of it made with pg_dump/pg_restore is recognised as the same database). ' +
      WAY_OUT
    );
  }
  const owner = database.volumeId ?? database.lastRunVolumeId;
  if (owner !== null && owner !== volumeId) {
    return (
      `The database (${setting(facts)}) belongs to another volume (id ${owner}), and GIGI_DATA_DIR=${facts.dataDir} ` +
      `is not that volume (${volumeId === undefined ? 'it has never booted' : `its id is ${volumeId}`}): booting would ` +
      "overwrite that volume's token and passwords in the config table. Nothing was changed. Give this volume a " +
      'database of its own (DATABASE_URL), or mount the volume that database belongs to as GIGI_DATA_DIR. ' +
      WAY_OUT
    );
  }
  return undefined;
}

/**
 * Why: with DATABASE_URL unset, opening the store creates an embedded database on the volume. A
 * volume booted with a Postgres database is refused before that: the embedded one cannot be it.
 */
export async function refuseEmbeddedForBoundVolume(
  dataDir: string,
  databaseUrl: string | undefined,
): Promise<void> {
  if (databaseUrl !== undefined) return;
  const volume = await readVolumeBinding(dataDir);
  if (!volume || volume.database === EMBEDDED_DATABASE) return;
  const problem = decideBinding({
    dataDir,
    volumeId: undefined,
    volume,
    database: { databaseId: null, volumeId: null, lastRunVolumeId: null },
    here: EMBEDDED_DATABASE,
    embedded: true,
  });
  if (problem) throw new ConfigError([problem]);
}

/** Why: read both halves without writing anything (the database may not even have the tables yet). */
export async function readBindingFacts(
  store: Store,
  options: {
    dataDir: string;
    volumeId: string | undefined;
    databaseUrl: string | undefined;
    /** The database's half, when the caller has read it already (Store.readStartFacts). */
    database?: DatabaseBinding;
  },
): Promise<BindingFacts> {
  return {
    dataDir: options.dataDir,
    volumeId: options.volumeId,
    volume: await readVolumeBinding(options.dataDir),
    database: options.database ?? (await store.readDatabaseBinding()),
    here: describeDatabase(options.databaseUrl),
    embedded: options.databaseUrl === undefined,
  };
}

/**
 * Why: the boot's entry check. Refuses (ConfigError, exit 2) a volume and database that do not
 * belong together before anything is written; otherwise migrates, gives the volume its id and
 * records the binding on both sides (a boot racing with another database loses here, refused).
 * Returns the volume id.
 */
export async function bindVolumeToDatabase(
  store: Store,
  options: {
    dataDir: string;
    databaseUrl: string | undefined;
    /** Read already by a start that found the volume's id: that id and the database's facts. */
    known?: { volumeId: string; facts: StartFacts };
  },
): Promise<string> {
  const { known, ...where } = options;
  const facts = await readBindingFacts(store, {
    ...where,
    volumeId: known?.volumeId ?? (await readVolumeIdIfAny(options.dataDir)),
    database: known?.facts.database,
  });
  const problem = decideBinding(facts);
  if (problem) throw new ConfigError([problem]);

  // Schema before identity: once the volume id exists, inspect may read the tables.
  if (!known?.facts.schemaCurrent) await store.migrate();
  const volumeId = known?.volumeId ?? (await readOrCreateVolumeId(options.dataDir));
  // Every later start (a warm one above all): both sides already say so, nothing to record.
  const { volume, database } = facts;
  if (volume && volume.databaseId === database.databaseId && database.volumeId === volumeId) return volumeId;
  const databaseId = await store.ensureDatabaseId();
  // The volume first: a boot of this volume racing with another database loses here, before
  // it claims its database.
  const recorded = await recordVolumeBinding(options.dataDir, { databaseId, database: facts.here });
  const now = { ...facts, volumeId, volume: recorded };
  const lostVolume = decideBinding({
    ...now,
    database: { databaseId, volumeId: null, lastRunVolumeId: null },
  });
  if (lostVolume) throw new ConfigError([lostVolume]);
  // Then the database: two fresh volumes racing for one database, the second loses here.
  const owner = await store.claimDatabase(volumeId);
  const lostDatabase = decideBinding({
    ...now,
    database: { databaseId, volumeId: owner, lastRunVolumeId: null },
  });
  if (lostDatabase) throw new ConfigError([lostDatabase]);
  return volumeId;
}

export interface Rebinding {
  volumeId: string;
  database: string;
  /** The database the volume was bound to before, if any. */
  previousDatabase: string | undefined;
  /** The volume the database belonged to before, if another. */
  previousVolumeId: string | undefined;
}

/**
 * Why: the operator's way out (`gigi-boot reset --database`) when a refusal is wrong for them:
 * the volume was replaced on purpose, or its old database is gone for good. Binds this volume
 * and this database to each other, whatever either was bound to. The caller holds the boot lock.
 */
export async function rebindVolumeToDatabase(
  store: Store,
  options: { dataDir: string; databaseUrl: string | undefined },
): Promise<Rebinding> {
  await store.migrate();
  const volumeId = await readOrCreateVolumeId(options.dataDir);
  // A planted or corrupt file is about to be replaced: what it said does not matter.
  const before = await readVolumeBinding(options.dataDir).catch(() => undefined);
  const previousOwner = (await store.readDatabaseBinding()).volumeId;
  const databaseId = await store.ensureDatabaseId();
  const database = describeDatabase(options.databaseUrl);
  await replaceVolumeBinding(options.dataDir, { databaseId, database });
  await store.claimDatabase(volumeId, { replace: true });
  return {
    volumeId,
    database,
    previousDatabase: before && before.databaseId !== databaseId ? before.database : undefined,
    previousVolumeId: previousOwner !== null && previousOwner !== volumeId ? previousOwner : undefined,
  };
}
