// The volume ↔ database binding: the database's half on both backends, the volume's half as a
// root-only file on a hostile volume (the `gigi` user plants links, FIFOs and files of its own),
// and the pure decision between them.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideBinding, EMBEDDED_DATABASE, type BindingFacts } from '../../src/boot/bind-volume.ts';
import { ConfigError } from '../../src/errors.ts';
import {
  DATABASE_BINDING_FILE,
  readVolumeBinding,
  recordVolumeBinding,
  replaceVolumeBinding,
} from '../../src/store/volume-binding.ts';
import { GITEA_TEST_USER } from '../support/system-users.ts';
import { BACKENDS, type BackendHarness } from './backends.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';

/** The unprivileged user's uid and gid: it plants things on the volume. */
function gigiIds(): { uid: number; gid: number } {
  const id = (flag: string) =>
    Number(execFileSync('id', [flag, GITEA_TEST_USER], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

describe.each(BACKENDS)('the database half of the binding ($name)', (backend) => {
  let harness: BackendHarness;
  let store: SqlStore;
  beforeAll(async () => {
    harness = await backend.create();
    store = await harness.open();
  });
  afterAll(async () => {
    await store.close();
    await harness.cleanup();
  });

  it('a database never booted reads as unbound, and reading creates nothing', async () => {
    expect(await store.readDatabaseBinding()).toEqual({
      databaseId: null,
      volumeId: null,
      lastRunVolumeId: null,
    });
    const tables = await store.db.query<{ t: string | null }>(
      "SELECT to_regclass('gigi_boot_runs')::text AS t",
    );
    expect(tables).toEqual([{ t: null }]);
  });

  it("names the latest run's volume (how an older gigi-boot's database shows its owner)", async () => {
    await store.migrate();
    for (const volumeId of ['old-1', 'old-2'])
      await store.startRun({ volumeId, machineId: 'boot', machineVersion: '1', fingerprint: 'f' });
    expect((await store.readDatabaseBinding()).lastRunVolumeId).toBe('old-2');
  });

  it('gets one id, keeps it, and belongs to the first volume that claims it until replaced', async () => {
    await store.migrate();
    const id = await store.ensureDatabaseId();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await store.ensureDatabaseId()).toBe(id);
    expect(await store.claimDatabase('volume-a')).toBe('volume-a');
    expect(await store.claimDatabase('volume-b')).toBe('volume-a');
    expect(await store.claimDatabase('volume-b', { replace: true })).toBe('volume-b');
    // Owned: its runs no longer matter.
    expect(await store.readDatabaseBinding()).toEqual({
      databaseId: id,
      volumeId: 'volume-b',
      lastRunVolumeId: null,
    });
  });
});

describe('the volume half of the binding: a root-only file on a hostile volume', () => {
  let dir: string;
  const binding = { databaseId: '0e7b4a3c-1111-4222-8333-944455556666', database: '127.0.0.1:5432/gigi' };
  const other = { databaseId: '1e7b4a3c-1111-4222-8333-944455556666', database: '10.0.0.9:5432/gigi' };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gigi-boot-binding-'));
    chmodSync(dir, 0o755); // gigi must reach the volumes below to plant things there
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const volume = (name: string) => join(dir, name);

  it('is written once, mode 0600, and read back', async () => {
    expect(await readVolumeBinding(volume('new'))).toBeUndefined();
    expect(await recordVolumeBinding(volume('new'), binding)).toEqual(binding);
    const file = join(volume('new'), DATABASE_BINDING_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await recordVolumeBinding(volume('new'), other)).toEqual(binding); // the first one stays
    expect(await readVolumeBinding(volume('new'))).toEqual(binding);
  });

  it('gives racing boots with different databases one winner, the same for all', async () => {
    const candidates = Array.from({ length: 12 }, (_, i) => ({
      databaseId: `${String(i).padStart(8, '0')}-1111-4222-8333-944455556666`,
      database: `db${i}`,
    }));
    const results = await Promise.all(candidates.map((c) => recordVolumeBinding(volume('race'), c)));
    expect(new Set(results.map((r) => r.databaseId)).size).toBe(1);
  });

  it('refuses a symlink planted by gigi without reading its target, and replaces the link itself', async () => {
    const { uid, gid } = gigiIds();
    const dataDir = volume('planted');
    execFileSync('mkdir', ['-p', dataDir]);
    chownSync(dataDir, uid, gid);
    const target = join(dir, 'root-secret');
    writeFileSync(target, JSON.stringify(other), { mode: 0o600 });
    execFileSync('setpriv', [
      `--reuid=${uid}`,
      `--regid=${gid}`,
      '--clear-groups',
      'ln',
      '-s',
      target,
      join(dataDir, DATABASE_BINDING_FILE),
    ]);
    const error = await readVolumeBinding(dataDir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(
      /GIGI_DATA_DIR: .*\.gigi-boot-database is a symbolic link/,
    );

    await replaceVolumeBinding(dataDir, binding);
    expect(lstatSync(join(dataDir, DATABASE_BINDING_FILE)).isSymbolicLink()).toBe(false);
    expect(readFileSync(target, 'utf8')).toBe(JSON.stringify(other)); // not written through
    expect(await readVolumeBinding(dataDir)).toEqual(binding);
  });

  it("refuses a FIFO (without hanging), another user's file, a huge file and a corrupt one", async () => {
    const { uid, gid } = gigiIds();
    const cases: Array<[string, (file: string) => void, RegExp]> = [
      ['fifo', (file) => execFileSync('mkfifo', [file]), /is not a regular file/],
      [
        'foreign',
        (file) => {
          writeFileSync(file, JSON.stringify(binding));
          chownSync(file, uid, gid);
        },
        new RegExp(`is owned by uid ${uid}, not by gigi-boot`),
      ],
      ['huge', (file) => writeFileSync(file, 'x'.repeat(100_000)), /is 100000 bytes long/],
      ['corrupt', (file) => writeFileSync(file, '{"databaseId":"nope"}'), /is corrupt/],
    ];
    for (const [name, plant, expected] of cases) {
      const dataDir = volume(name);
      execFileSync('mkdir', ['-p', dataDir]);
      plant(join(dataDir, DATABASE_BINDING_FILE));
      const error = await readVolumeBinding(dataDir).catch((e: unknown) => e);
      expect(error, name).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message, name).toMatch(expected);
    }
  });
});

describe('the decision (pure)', () => {
  const base: BindingFacts = {
    dataDir: '/data',
    volumeId: 'vol-a',
    volume: { databaseId: 'db-1', database: '10.0.0.1:5432/gigi' },
    database: { databaseId: 'db-1', volumeId: 'vol-a', lastRunVolumeId: 'vol-a' },
    here: '10.0.0.1:5432/gigi',
    embedded: false,
  };

  it('lets a volume on its own database through, and a first boot on an empty one', () => {
    expect(decideBinding(base)).toBeUndefined();
    expect(
      decideBinding({
        ...base,
        volumeId: undefined,
        volume: undefined,
        database: { databaseId: null, volumeId: null, lastRunVolumeId: null },
      }),
    ).toBeUndefined();
    // An older gigi-boot's volume and database: no records yet, but the runs are this volume's.
    expect(
      decideBinding({
        ...base,
        volume: undefined,
        database: { ...base.database, databaseId: null, volumeId: null },
      }),
    ).toBeUndefined();
  });

  it("refuses a fresh volume on another volume's database (also an older gigi-boot's)", () => {
    for (const database of [base.database, { databaseId: null, volumeId: null, lastRunVolumeId: 'vol-a' }]) {
      const problem = decideBinding({ ...base, volumeId: undefined, volume: undefined, database });
      expect(problem).toContain('belongs to another volume (id vol-a)');
      expect(problem).toContain('GIGI_DATA_DIR=/data is not that volume (it has never booted)');
      expect(problem).toContain('DATABASE_URL points at 10.0.0.1:5432/gigi');
      expect(problem).toContain('`gigi-boot reset --database`');
    }
  });

  it('refuses a volume on another database, a fresh one or the embedded one', () => {
    const fresh = decideBinding({
      ...base,
      here: '10.0.0.2:5432/gigi',
      database: { databaseId: null, volumeId: null, lastRunVolumeId: null },
    });
    expect(fresh).toContain(
      'GIGI_DATA_DIR=/data was booted with the database at 10.0.0.1:5432/gigi, but DATABASE_URL points at 10.0.0.2:5432/gigi, a different database that gigi-boot has never used',
    );
    const embedded = decideBinding({
      ...base,
      here: EMBEDDED_DATABASE,
      embedded: true,
      database: { databaseId: 'db-2', volumeId: 'vol-a', lastRunVolumeId: null },
    });
    expect(embedded).toContain('DATABASE_URL is unset, so gigi-boot would use the embedded PGlite database');
  });

  it('refuses a volume whose database was given to another volume (gigi-boot reset --database there)', () => {
    expect(decideBinding({ ...base, database: { ...base.database, volumeId: 'vol-b' } })).toContain(
      'belongs to another volume (id vol-b)',
    );
  });
});
