// Files inside a directory pinned by safe-dir.ts, on the volume the run user can write: a
// link is refused, never followed; a FIFO or device is refused before it is read (no hang);
// a second hard link to the inode is refused (it may be a root-only file elsewhere); new files
// are fresh inodes of ours (O_EXCL), given owner and mode on their descriptor, then renamed
// into place (rename replaces a planted link instead of writing through it).
import { constants, type Stats } from 'node:fs';
import {
  chmod,
  lstat,
  open,
  readdir,
  readlink,
  rename,
  symlink,
  unlink,
  type FileHandle,
} from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { UnsafePathError } from '../errors.ts';
import { errnoOf, linkRefused, type Owner, type SafeDir } from './safe-dir.ts';
import { readUpTo } from '../io/read-up-to.ts';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_APPEND, O_NOFOLLOW, O_NONBLOCK } = constants;

/** Why: open an existing entry as a plain file only: no link, no FIFO or device, no hard link. */
async function openRegular(dir: SafeDir, name: string, flags: number, mode = 0o600): Promise<FileHandle> {
  const path = join(dir.path, name);
  let handle: FileHandle;
  try {
    handle = await open(dir.at(name), flags | O_NOFOLLOW | O_NONBLOCK, mode);
  } catch (error) {
    if (errnoOf(error) === 'ELOOP') throw linkRefused(path, error);
    throw error;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile())
      throw new UnsafePathError(path, 'is not a regular file', {
        hint: `Move ${path} aside; gigi-boot needs a plain file there.`,
      });
    // A second name for the inode may be a root-only file elsewhere (a planted hard link).
    if (info.nlink > 1)
      throw new UnsafePathError(
        path,
        `has ${info.nlink} hard links; gigi-boot never reads, writes or chowns through one`,
        {
          hint: `Remove ${path} (rm ${path}); gigi-boot creates it again.`,
        },
      );
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** Why: the readers below take a missing file as "not there" and close the handle whatever the read does. */
async function readExisting<T>(
  dir: SafeDir,
  name: string,
  read: (handle: FileHandle) => Promise<T>,
): Promise<T | undefined> {
  let handle: FileHandle;
  try {
    handle = await openRegular(dir, name, O_RDONLY);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return await read(handle);
  } finally {
    await handle.close();
  }
}

/**
 * What gigi-boot reads on the volume (app.ini, the volume id, a pidfile) is a few KiB: a larger
 * file is one the run user planted (a sparse 100 GB "app.ini" would exhaust root's memory).
 */
export const MAX_VOLUME_FILE_BYTES = 1024 * 1024;

/**
 * Why: read a file on the volume, or undefined when it does not exist; never through a link,
 * and never more than maxBytes (a larger file is refused, naming the limit).
 */
export async function readFileIn(
  dir: SafeDir,
  name: string,
  maxBytes = MAX_VOLUME_FILE_BYTES,
): Promise<string | undefined> {
  return (await readFileAndStatsIn(dir, name, maxBytes))?.text;
}

/** readFileIn, with the file's owner, mode and size as read through the same descriptor. */
export async function readFileAndStatsIn(
  dir: SafeDir,
  name: string,
  maxBytes = MAX_VOLUME_FILE_BYTES,
): Promise<{ text: string; stats: Stats } | undefined> {
  return readExisting(dir, name, async (handle) => {
    const tooLarge = () =>
      new UnsafePathError(
        join(dir.path, name),
        `is larger than ${maxBytes} bytes, more than gigi-boot ever writes there`,
        {
          hint: `Move ${join(dir.path, name)} aside; gigi-boot creates it again.`,
        },
      );
    const stats = await handle.stat();
    if (stats.size > maxBytes) throw tooLarge();
    return { text: (await readUpTo(handle, maxBytes, tooLarge)).toString('utf8'), stats };
  });
}

/** Why: the last `bytes` of a file on the volume (a log's tail), however large it has grown. */
export async function readFileTailIn(dir: SafeDir, name: string, bytes: number): Promise<string | undefined> {
  return readExisting(dir, name, async (handle) => {
    const start = Math.max(0, (await handle.stat()).size - bytes);
    const buffer = Buffer.alloc(bytes);
    let length = 0;
    while (length < bytes) {
      const { bytesRead } = await handle.read(buffer, length, bytes - length, start + length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    const text = buffer.subarray(0, length).toString('utf8');
    // Cut mid-file: drop the partial first line.
    return start > 0 ? text.slice(text.indexOf('\n') + 1) : text;
  });
}

/**
 * Why: a warm start renders the same supervisord.conf and app.ini as the last run; rewriting
 * them costs two fsyncs each. True only for a plain file (no link, FIFO or second hard link)
 * with exactly these bytes, this mode and this owner (ours when none is asked for); anything
 * else, or any error, is "not the same" and the file is written as before.
 */
async function sameFileIn(
  dir: SafeDir,
  name: string,
  data: string,
  options: { mode: number; owner?: Owner },
): Promise<boolean> {
  const expected = Buffer.from(data, 'utf8');
  const uid = options.owner?.uid ?? process.geteuid?.();
  const gid = options.owner?.gid ?? process.getegid?.();
  try {
    const same = await readExisting(dir, name, async (handle) => {
      const info = await handle.stat();
      if (info.uid !== uid || info.gid !== gid || (info.mode & 0o7777) !== options.mode) return false;
      if (info.size !== expected.length) return false;
      const tooLarge = () => new Error('grew while read');
      return (await readUpTo(handle, expected.length, tooLarge)).equals(expected);
    });
    return same === true;
  } catch {
    return false;
  }
}

/**
 * Why: replace a file atomically (fresh temp file, owner and mode set on it, fsync, rename);
 * left alone when it already is exactly that file.
 */
export async function writeFileIn(
  dir: SafeDir,
  name: string,
  data: string,
  options: { mode: number; owner?: Owner },
): Promise<void> {
  if (await sameFileIn(dir, name, data, options)) return;
  const temp = `.${name}.${randomBytes(6).toString('hex')}.tmp`;
  // O_EXCL|O_NOFOLLOW: a new inode of ours, never one that was planted under the temp name.
  const handle = await open(dir.at(temp), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  try {
    await handle.writeFile(data, 'utf8');
    if (options.owner) await handle.chown(options.owner.uid, options.owner.gid);
    await handle.chmod(options.mode);
    await handle.sync();
    await handle.close();
    // rename() replaces whatever is at `name` (a planted link included) and never follows it.
    await rename(dir.at(temp), dir.at(name));
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(dir.at(temp)).catch(() => undefined);
    throw error;
  }
  await dir.handle.sync().catch(() => undefined);
}

/** Why: give an existing file its owner and mode through its descriptor (never a link's target). */
export async function fixFileIn(
  dir: SafeDir,
  name: string,
  options: { mode: number; owner?: Owner },
): Promise<void> {
  const handle = await openRegular(dir, name, O_RDONLY);
  try {
    const info = await handle.stat();
    if (options.owner && (info.uid !== options.owner.uid || info.gid !== options.owner.gid))
      await handle.chown(options.owner.uid, options.owner.gid);
    if ((info.mode & 0o7777) !== options.mode) await handle.chmod(options.mode);
  } finally {
    await handle.close();
  }
}

/** Why: a log both we and a child append to; created with `mode`, never a link's target. */
export function openAppendIn(dir: SafeDir, name: string, mode: number): Promise<FileHandle> {
  return openRegular(dir, name, O_WRONLY | O_APPEND | O_CREAT, mode);
}

/** Why: remove a file if present; unlink() removes a planted link itself, never its target. */
export async function removeIn(dir: SafeDir, name: string): Promise<void> {
  await unlink(dir.at(name)).catch((error: unknown) => {
    if (errnoOf(error) !== 'ENOENT') throw error;
  });
}

/** Why: point `name` at `target` atomically (temp link + rename), whatever `name` was. */
export async function replaceSymlinkIn(dir: SafeDir, name: string, target: string): Promise<void> {
  const temp = `.${name}.${randomBytes(6).toString('hex')}.tmp`;
  await symlink(target, dir.at(temp));
  try {
    await rename(dir.at(temp), dir.at(name));
  } catch (error) {
    await unlink(dir.at(temp)).catch(() => undefined);
    throw error;
  }
}

export function readlinkIn(dir: SafeDir, name: string): Promise<string> {
  return readlink(dir.at(name));
}

/**
 * Why: make a tree inside a private directory ours alone (directories 0700, files 0600),
 * whatever modes its writer chose; links in it are left alone, never followed.
 */
export async function restrictTreeIn(dir: SafeDir, name: string): Promise<void> {
  const walk = async (path: string): Promise<void> => {
    // A file its writer removed meanwhile needs no mode.
    const info = await lstat(path).catch((error: unknown) => {
      if (errnoOf(error) === 'ENOENT') return null;
      throw error;
    });
    if (!info || info.isSymbolicLink()) return;
    if (info.isDirectory()) {
      if ((info.mode & 0o7777) !== 0o700) await chmod(path, 0o700);
      for (const entry of await readdir(path)) await walk(join(path, entry));
    } else if ((info.mode & 0o7777) !== 0o600) {
      await chmod(path, 0o600).catch((error: unknown) => {
        if (errnoOf(error) !== 'ENOENT') throw error;
      });
    }
  };
  await walk(dir.at(name));
}
