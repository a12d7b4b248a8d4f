// Safe file operations on the hostile volume. gigi-boot runs as root, but the data dir belongs
// to the unprivileged `gigi` user (Dockerfile.aio), who can plant a symlink or a hard link at
// any path below it — or swap a directory for a link between our check and our use. So below a
// trusted root (the data dir itself: the operator chose it) every component is opened with
// O_NOFOLLOW (|O_DIRECTORY), and every later operation goes through the opened directory's
// descriptor (/proc/self/fd/N/name, Linux's openat() for a runtime without one): what was
// checked is what is used, a swap after the check changes nothing. Ownership and modes are set
// on opened descriptors (fchown/fchmod), never on a path. A link where a file or directory
// belongs is refused with an UnsafePathError naming the path, never followed or replaced.
import { constants } from 'node:fs';
import {
  chmod,
  lstat,
  mkdir,
  open,
  readdir,
  readlink,
  rename,
  symlink,
  unlink,
  type FileHandle,
} from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import { UnsafePathError } from '../errors.ts';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_APPEND, O_NOFOLLOW, O_DIRECTORY, O_NONBLOCK } = constants;

export interface Owner {
  uid: number;
  gid: number;
}

/** A directory below the trusted root, pinned by its descriptor. */
export interface SafeDir {
  /** Its path, for messages. */
  readonly path: string;
  readonly handle: FileHandle;
  /** `name` inside this very directory, whatever its path points at by now. */
  at(name: string): string;
  close(): Promise<void>;
}

export interface DirOptions {
  /** The trusted directory: it and the path to it may be links; nothing below it may. */
  root: string;
  /** The directory to open: root itself or a path below it. */
  path: string;
  /** Create missing components (mode applies to the last one; the others get 0755 & umask). */
  create?: boolean;
  /** The last component's mode when it is created (or always, with `private`). */
  mode?: number;
  /** Who must own the last component (fchown when different). */
  owner?: Owner;
  /** Ours alone: refuse it when another uid owns it, and remove group/other access. */
  private?: boolean;
}

function wrap(path: string): (name: string) => string {
  return (name) => join(path, name);
}

function code(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

function pinned(path: string, handle: FileHandle): SafeDir {
  return { path, handle, at: wrap(`/proc/self/fd/${handle.fd}`), close: () => handle.close() };
}

function linkRefused(path: string, cause?: unknown): UnsafePathError {
  return new UnsafePathError(
    path,
    'is a symbolic link; gigi-boot (root) never follows a link on the data volume',
    {
      hint: `Remove ${path} (rm ${path}); gigi-boot creates what belongs there on the next start.`,
      cause,
    },
  );
}

/** Why: the components of `path` below `root`, refusing a path that leaves it. */
export function componentsBelow(root: string, path: string): string[] {
  const rel = relative(root, path);
  if (rel === '') return [];
  if (isAbsolute(rel) || rel === '..' || rel.startsWith(`..${sep}`))
    throw new UnsafePathError(path, `is not below the data directory ${root}`);
  return rel.split(sep);
}

async function openDirComponent(
  parent: SafeDir,
  name: string,
  path: string,
  options: DirOptions,
  last: boolean,
) {
  const flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW;
  try {
    return await open(parent.at(name), flags);
  } catch (error) {
    if (code(error) === 'ENOENT' && options.create) {
      try {
        await mkdir(parent.at(name), last && options.mode !== undefined ? options.mode : 0o755);
      } catch (mkdirError) {
        if (code(mkdirError) !== 'EEXIST') throw mkdirError;
      }
      return openDirComponent(parent, name, path, { ...options, create: false }, last);
    }
    // Linux answers O_NOFOLLOW|O_DIRECTORY on a link with ENOTDIR (ELOOP elsewhere): ask lstat.
    if (code(error) === 'ELOOP' || (await lstatIn(parent, name))?.isSymbolicLink())
      throw linkRefused(path, error);
    if (code(error) === 'ENOTDIR')
      throw new UnsafePathError(path, 'is not a directory', {
        hint: `Move ${path} aside; gigi-boot needs a directory there.`,
        cause: error,
      });
    throw error;
  }
}

/** Why: open (or create) a directory on the volume without following any link below the root. */
export async function openDirBelow(options: DirOptions): Promise<SafeDir> {
  const parts = componentsBelow(options.root, options.path);
  let dir = pinned(options.root, await open(options.root, O_RDONLY | O_DIRECTORY));
  let path = options.root;
  try {
    for (const [index, name] of parts.entries()) {
      path = join(path, name);
      const next = pinned(path, await openDirComponent(dir, name, path, options, index === parts.length - 1));
      await dir.close();
      dir = next;
    }
    await settleOwnerAndMode(dir, options);
    return dir;
  } catch (error) {
    await dir.close().catch(() => undefined);
    throw error;
  }
}

async function settleOwnerAndMode(dir: SafeDir, options: DirOptions): Promise<void> {
  const info = await dir.handle.stat();
  const euid = process.geteuid?.() ?? info.uid;
  if (options.private && info.uid !== euid)
    throw new UnsafePathError(dir.path, `belongs to uid ${info.uid}, but holds gigi-boot's private files`, {
      hint: `Only gigi-boot (uid ${euid}) may own ${dir.path}: if you did not put it there, remove it (rm -r ${dir.path}); an embedded database in it is lost.`,
    });
  if (options.owner && (info.uid !== options.owner.uid || info.gid !== options.owner.gid))
    await dir.handle.chown(options.owner.uid, options.owner.gid);
  if (options.private && (info.mode & 0o077) !== 0) await dir.handle.chmod(info.mode & 0o700);
}

/** Why: run `fn` on the directory holding `path` (a file below root), closing it afterwards. */
export async function withParentDir<T>(
  root: string,
  path: string,
  fn: (dir: SafeDir, name: string) => Promise<T>,
  options: Omit<DirOptions, 'root' | 'path'> = {},
): Promise<T> {
  const dir = await openDirBelow({ ...options, root, path: dirname(path) });
  try {
    return await fn(dir, basename(path));
  } finally {
    await dir.close();
  }
}

/** Why: open an existing entry as a plain file only: no link, no FIFO or device, no hard link. */
async function openRegular(dir: SafeDir, name: string, flags: number, mode = 0o600): Promise<FileHandle> {
  const path = join(dir.path, name);
  let handle: FileHandle;
  try {
    handle = await open(dir.at(name), flags | O_NOFOLLOW | O_NONBLOCK, mode);
  } catch (error) {
    if (code(error) === 'ELOOP') throw linkRefused(path, error);
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
  let handle: FileHandle;
  try {
    handle = await openRegular(dir, name, O_RDONLY);
  } catch (error) {
    if (code(error) === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const tooLarge = () =>
      new UnsafePathError(
        join(dir.path, name),
        `is larger than ${maxBytes} bytes, more than gigi-boot ever writes there`,
        {
          hint: `Move ${join(dir.path, name)} aside; gigi-boot creates it again.`,
        },
      );
    if ((await handle.stat()).size > maxBytes) throw tooLarge();
    // One byte past the limit: the file can grow between stat and read.
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) throw tooLarge();
    }
    return buffer.subarray(0, length).toString('utf8');
  } finally {
    await handle.close();
  }
}

/** Why: the last `bytes` of a file on the volume (a log's tail), however large it has grown. */
export async function readFileTailIn(dir: SafeDir, name: string, bytes: number): Promise<string | undefined> {
  let handle: FileHandle;
  try {
    handle = await openRegular(dir, name, O_RDONLY);
  } catch (error) {
    if (code(error) === 'ENOENT') return undefined;
    throw error;
  }
  try {
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
  } finally {
    await handle.close();
  }
}

/** Why: replace a file atomically (fresh temp file, owner and mode set on it, fsync, rename). */
export async function writeFileIn(
  dir: SafeDir,
  name: string,
  data: string,
  options: { mode: number; owner?: Owner },
): Promise<void> {
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
    if (code(error) !== 'ENOENT') throw error;
  });
}

/** Why: what is at `name` (lstat: a link is reported as a link), or null. */
export function lstatIn(dir: SafeDir, name: string) {
  return lstat(dir.at(name)).catch((error: unknown) => {
    if (code(error) === 'ENOENT') return null;
    throw error;
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
 * Why: gigi-boot's own directory on the volume (supervisord.conf, the embedded database, pid
 * and lock files): created 0700, refused when another user owns it (someone planted it).
 */
export function openPrivateBootDir(root: string, path: string): Promise<SafeDir> {
  return openDirBelow({ root, path, create: true, mode: 0o700, private: true });
}

/**
 * Why: make a tree inside a private directory ours alone (directories 0700, files 0600),
 * whatever modes its writer chose; links in it are left alone, never followed.
 */
export async function restrictTreeIn(dir: SafeDir, name: string): Promise<void> {
  const walk = async (path: string): Promise<void> => {
    const info = await lstat(path);
    if (info.isSymbolicLink()) return;
    if (info.isDirectory()) {
      if ((info.mode & 0o7777) !== 0o700) await chmod(path, 0o700);
      for (const entry of await readdir(path)) await walk(join(path, entry));
    } else if ((info.mode & 0o7777) !== 0o600) {
      await chmod(path, 0o600);
    }
  };
  await walk(dir.at(name));
}
