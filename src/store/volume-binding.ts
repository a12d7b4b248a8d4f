// The volume's half of the volume ↔ database binding: which database this volume was booted
// with, in a root-only file next to the volume id. The volume is writable by the unprivileged
// `gigi` user, so the file is treated as hostile: never followed through a symlink, never a FIFO
// or a device, never larger than a few KiB, and only trusted when gigi-boot's own user owns it.
import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { link, mkdir, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, StoreError } from '../errors.ts';

export const DATABASE_BINDING_FILE = '.gigi-boot-database';

const MAX_BYTES = 4096;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What the volume remembers of its database. */
export interface VolumeBinding {
  /** The random id gigi-boot stored in that database (table gigi_boot_database). */
  databaseId: string;
  /** Where it was, for messages: "host:port/name" or "the embedded PGlite database"; no password. */
  database: string;
}

function refuse(file: string, what: string): ConfigError {
  return new ConfigError([
    `GIGI_DATA_DIR: ${file} ${what}; gigi-boot writes this file itself (mode 0600, owned by the user it runs as). ` +
      'Remove it and run again: the next boot records the database it uses.',
  ]);
}

/** Why: the boot must know which database this volume belongs to before touching either. */
export async function readVolumeBinding(dataDir: string): Promise<VolumeBinding | undefined> {
  const file = join(dataDir, DATABASE_BINDING_FILE);
  let handle;
  try {
    // O_NOFOLLOW: a planted symlink is ELOOP, not a read of its target; O_NONBLOCK: a FIFO does not hang.
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw refuse(file, 'is a symbolic link');
    throw new StoreError(`Cannot read ${file}: ${(error as Error).message}`, {
      hint: 'Check that the data directory (GIGI_DATA_DIR) is mounted and readable by gigi-boot.',
      cause: error,
    });
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw refuse(file, 'is not a regular file');
    if (stat.uid !== process.geteuid?.()) throw refuse(file, `is owned by uid ${stat.uid}, not by gigi-boot`);
    if (stat.size > MAX_BYTES) throw refuse(file, `is ${stat.size} bytes long`);
    const buffer = Buffer.alloc(MAX_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const parsed = parseBinding(buffer.subarray(0, bytesRead).toString('utf8'));
    if (!parsed) throw refuse(file, 'is corrupt (expected {"databaseId": UUID, "database": text})');
    return parsed;
  } finally {
    await handle.close();
  }
}

function parseBinding(text: string): VolumeBinding | undefined {
  try {
    const value = JSON.parse(text) as Partial<VolumeBinding>;
    if (typeof value.databaseId !== 'string' || !UUID.test(value.databaseId)) return undefined;
    if (typeof value.database !== 'string' || value.database.length > 300) return undefined;
    return { databaseId: value.databaseId, database: value.database };
  } catch {
    return undefined;
  }
}

/** A new root-only file with the binding, created exclusively (never through a planted link). */
async function writeTemp(dataDir: string, binding: VolumeBinding): Promise<string> {
  const temp = join(dataDir, `${DATABASE_BINDING_FILE}.${process.pid}.${randomUUID()}.tmp`);
  const handle = await open(
    temp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    await handle.writeFile(`${JSON.stringify(binding)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return temp;
}

/**
 * Why: both writers put a whole, synced file in place from a temp file of their own, which never
 * outlives them: `link` never replaces a binding (the first boot wins), `rename` does.
 */
async function putBinding(dataDir: string, binding: VolumeBinding, how: 'link' | 'rename'): Promise<void> {
  const file = join(dataDir, DATABASE_BINDING_FILE);
  let temp: string | undefined;
  try {
    await mkdir(dataDir, { recursive: true });
    temp = await writeTemp(dataDir, binding);
    if (how === 'link') {
      await link(temp, file);
    } else {
      await rename(temp, file);
      temp = undefined;
    }
  } finally {
    if (temp) await unlink(temp).catch(() => undefined);
  }
}

function writeFailed(file: string, error: unknown): StoreError {
  return new StoreError(`Cannot write ${file}: ${(error as Error).message}`, {
    hint: 'Check that the data directory (GIGI_DATA_DIR) is writable by gigi-boot.',
    cause: error,
  });
}

/**
 * Why: two boots of one volume racing with different databases must agree on one: the first to
 * link its file wins (link() never overwrites), the others read the winner's binding back.
 */
export async function recordVolumeBinding(dataDir: string, binding: VolumeBinding): Promise<VolumeBinding> {
  const file = join(dataDir, DATABASE_BINDING_FILE);
  await putBinding(dataDir, binding, 'link').catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw writeFailed(file, error);
  });
  const recorded = await readVolumeBinding(dataDir);
  if (!recorded) throw new StoreError(`${file} vanished right after it was written`);
  return recorded;
}

/** Why: `gigi-boot reset --database` replaces the binding on purpose (rename replaces a link, never follows it). */
export async function replaceVolumeBinding(dataDir: string, binding: VolumeBinding): Promise<void> {
  const file = join(dataDir, DATABASE_BINDING_FILE);
  await putBinding(dataDir, binding, 'rename').catch((error: unknown) => {
    throw writeFailed(file, error);
  });
}
