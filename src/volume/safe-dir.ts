// Safe file operations on the hostile volume. gigi-boot runs as root, but the data dir belongs
// to the unprivileged `gigi` user (Dockerfile.aio), who can plant a symlink or a hard link at
// any path below it — or swap a directory for a link between our check and our use. So below a
// trusted root (the data dir itself: the operator chose it) every component is opened with
// O_NOFOLLOW (|O_DIRECTORY), and every later operation goes through the opened directory's
// descriptor (/proc/self/fd/N/name, Linux's openat() for a runtime without one): what was
// checked is what is used, a swap after the check changes nothing. Ownership and modes are set
// on opened descriptors (fchown/fchmod), never on a path. A link where a file or directory
// belongs is refused with an UnsafePathError naming the path, never followed or replaced.
//
// This file: pinning the directories. safe-file.ts: the files in them. safe-fs.ts: both.
import { constants } from 'node:fs';
import { lstat, mkdir, open, type FileHandle } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import { UnsafePathError } from '../errors.ts';

const { O_RDONLY, O_NOFOLLOW, O_DIRECTORY } = constants;

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

/** Why: the errno name of a failed fs call (ENOENT, ELOOP…). */
export function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

function pinned(path: string, handle: FileHandle): SafeDir {
  return { path, handle, at: wrap(`/proc/self/fd/${handle.fd}`), close: () => handle.close() };
}

/** Why: the one refusal of a planted link, with what to do about it. */
export function linkRefused(path: string, cause?: unknown): UnsafePathError {
  return new UnsafePathError(
    path,
    'is a symbolic link; gigi-boot (root) never follows a link on the data volume',
    {
      hint: `Remove ${path} (rm ${path}); gigi-boot creates what belongs there on the next start.`,
      cause,
    },
  );
}

/** Why: what is at `name` (lstat: a link is reported as a link), or null. */
export function lstatIn(dir: SafeDir, name: string) {
  return lstat(dir.at(name)).catch((error: unknown) => {
    if (errnoOf(error) === 'ENOENT') return null;
    throw error;
  });
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
    if (errnoOf(error) === 'ENOENT' && options.create) {
      try {
        await mkdir(parent.at(name), last && options.mode !== undefined ? options.mode : 0o755);
      } catch (mkdirError) {
        if (errnoOf(mkdirError) !== 'EEXIST') throw mkdirError;
      }
      return openDirComponent(parent, name, path, { ...options, create: false }, last);
    }
    // Linux answers O_NOFOLLOW|O_DIRECTORY on a link with ENOTDIR (ELOOP elsewhere): ask lstat.
    if (errnoOf(error) === 'ELOOP' || (await lstatIn(parent, name))?.isSymbolicLink())
      throw linkRefused(path, error);
    if (errnoOf(error) === 'ENOTDIR')
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

/**
 * Why: gigi-boot's own directory on the volume (supervisord.conf, the embedded database, pid
 * and lock files): created 0700, refused when another user owns it (someone planted it).
 */
export function openPrivateBootDir(root: string, path: string): Promise<SafeDir> {
  return openDirBelow({ root, path, create: true, mode: 0o700, private: true });
}
