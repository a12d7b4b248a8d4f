// The volume's identity: a UUID written once into the data directory. Runs, checkpoints and
// the boot lock are keyed by it, so a database shared by several volumes keeps them apart.
import { randomUUID } from 'node:crypto';
import { link, mkdir, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isBootError, isErrorIn, StoreError } from '../errors.ts';
import { readFileIn, withParentDir } from '../volume/safe-fs.ts';

export const VOLUME_ID_FILE = '.gigi-boot-volume-id';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The file's text, read as safe-fs reads the volume. A boot that creates the file links it into
 * place and then unlinks its temp name: for that moment the file has two hard links, which
 * safe-fs refuses (a planted link looks so). A second boot of the volume starting at the same
 * instant may look just then, so a refusal is tried again for a while before it counts.
 */
async function readSafely(file: string): Promise<string | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await withParentDir(dirname(file), file, readFileIn);
    } catch (error) {
      if (!isErrorIn(error, 'volume') || attempt >= SAFE_READ_ATTEMPTS) throw error;
      await sleep(10);
    }
  }
}

/** 20 × 10 ms: far longer than link() + unlink(), short enough for a planted link's refusal. */
const SAFE_READ_ATTEMPTS = 20;

async function readExisting(file: string): Promise<string | undefined> {
  let text: string | undefined;
  try {
    // The data dir is the run user's: a planted link (to a root-only file whose first bytes
    // would land in the error below) is refused, not read.
    text = await readSafely(file);
    if (text === undefined) return undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (isBootError(error)) throw error;
    throw new StoreError(`Cannot read the volume id file ${file}: ${(error as Error).message}`, {
      hint: 'Check that the data directory (GIGI_DATA_DIR) is mounted and readable by gigi-boot.',
      cause: error,
    });
  }
  const id = text.trim();
  if (!UUID.test(id)) {
    throw new StoreError(
      `The volume id file ${file} is corrupt: expected a single UUID, found ${JSON.stringify(text.slice(0, 40))}`,
      {
        hint: `Restore ${file} from a backup, or delete it to give this volume a new identity (its earlier boot runs will no longer be resumed).`,
      },
    );
  }
  return id.toLowerCase();
}

/** Why: a check that must not write (is this volume bound elsewhere?) reads the id without creating it. */
export async function readVolumeIdIfAny(dataDir: string): Promise<string | undefined> {
  return readExisting(join(dataDir, VOLUME_ID_FILE));
}

/** Why: every boot of a volume must agree on one id, even two boots racing on first start. */
export async function readOrCreateVolumeId(dataDir: string): Promise<string> {
  const file = join(dataDir, VOLUME_ID_FILE);
  const existing = await readExisting(file);
  if (existing !== undefined) return existing;

  const temp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  try {
    await mkdir(dataDir, { recursive: true });
    await writeFile(temp, `${randomUUID()}\n`, { mode: 0o644 });
    // link() fails with EEXIST instead of overwriting: whoever links first wins, others read its id.
    await link(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new StoreError(`Cannot write the volume id file ${file}: ${(error as Error).message}`, {
        hint: 'Check that the data directory (GIGI_DATA_DIR) is writable by gigi-boot.',
        cause: error,
      });
    }
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  const id = await readExisting(file);
  if (id === undefined)
    throw new StoreError(`The volume id file ${file} vanished right after it was written`);
  return id;
}
