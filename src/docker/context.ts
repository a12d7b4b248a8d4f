// The runner-worker build context: which files Docker gets (the directory minus .dockerignore),
// a SHA-256 over exactly those files plus the build args (sorted paths, modes, contents —
// never mtimes, owners or the walk order), and a tar of the same list with fixed metadata.
// One walk feeds both, so the hash that says "up to date" describes what a build would send.
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import dockerignoreModule from '@balena/dockerignore';
import { DockerError } from '../errors.ts';

export interface ContextEntry {
  /** Path relative to the context root, '/'-separated, no leading './'. */
  path: string;
  type: 'file' | 'directory' | 'symlink';
  /** Permission bits (incl. setuid/setgid/sticky), i.e. mode & 0o7777. */
  mode: number;
  /** Bytes, for files; 0 otherwise. */
  size: number;
  /** Target, for symlinks. */
  linkTarget?: string;
}

export interface BuildContext {
  dir: string;
  /** Dockerfile path inside the context (Docker's `dockerfile` build option). */
  dockerfile: string;
  /** Entries in the order they are hashed and packed (sorted by path, code-unit order). */
  entries: readonly ContextEntry[];
  buildArgs: Readonly<Record<string, string>>;
  /** Lower-case hex SHA-256 of the entries, their contents and the build args. */
  hash: string;
}

export interface ReadContextOptions {
  buildArgs?: Readonly<Record<string, string>>;
  /** Defaults to 'Dockerfile'. */
  dockerfile?: string;
}

/** Fixed mtime for every tar entry (1980-01-01, as reproducible-build tools use): builds must not depend on checkout times. */
export const CONTEXT_MTIME = new Date('1980-01-01T00:00:00Z');

export function contextError(dir: string, what: string, cause?: unknown): DockerError {
  return new DockerError('build-failed', `Cannot read the runner-worker build context ${dir}: ${what}`, {
    hint: `Check the context directory setting (default /opt/runner-worker): it must be a readable directory holding the Dockerfile.`,
    cause,
  });
}

export function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

async function readIgnorePatterns(dir: string): Promise<string[]> {
  try {
    const text = await readFile(join(dir, '.dockerignore'), 'utf8');
    return text
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw contextError(dir, `.dockerignore is unreadable (${errnoCode(error) ?? String(error)})`, error);
  }
}

/** Why: the single walk both the hash and the tar are made from, honouring .dockerignore like the docker CLI. */
export async function listContextEntries(dir: string, dockerfile = 'Dockerfile'): Promise<ContextEntry[]> {
  let rootStat;
  try {
    rootStat = await lstat(dir);
  } catch (error) {
    throw contextError(
      dir,
      `it does not exist or is unreadable (${errnoCode(error) ?? String(error)})`,
      error,
    );
  }
  if (!rootStat.isDirectory()) throw contextError(dir, 'it is not a directory');

  const patterns = await readIgnorePatterns(dir);
  // The package is CommonJS typed as `export default`; it sets `.default` on itself for this case.
  const matcher = dockerignoreModule.default().add(patterns);
  const hasExceptions = patterns.some((p) => p.startsWith('!'));
  // The CLI always sends the Dockerfile and .dockerignore, even when they are ignored.
  const dockerfilePath = dockerfile.replace(/^\.\//, '');
  const alwaysSent = new Set([dockerfilePath, '.dockerignore']);
  const entries: ContextEntry[] = [];

  async function walk(relDir: string): Promise<void> {
    let names: string[];
    try {
      names = await readdir(relDir === '' ? dir : join(dir, relDir));
    } catch (error) {
      throw contextError(
        dir,
        `directory ${relDir || '.'} is unreadable (${errnoCode(error) ?? String(error)})`,
        error,
      );
    }
    for (const name of names) {
      const rel = relDir === '' ? name : `${relDir}/${name}`;
      const ignored = matcher.ignores(rel) && !alwaysSent.has(rel);
      const st = await lstat(join(dir, rel));
      const mode = st.mode & 0o7777;
      if (st.isDirectory()) {
        if (!ignored) entries.push({ path: rel, type: 'directory', mode, size: 0 });
        // An ignored directory is only entered when a "!" exception could re-include something below it.
        if (!ignored || hasExceptions) await walk(rel);
      } else if (ignored) {
        continue;
      } else if (st.isFile()) {
        entries.push({ path: rel, type: 'file', mode, size: st.size });
      } else if (st.isSymbolicLink()) {
        entries.push({
          path: rel,
          type: 'symlink',
          mode,
          size: 0,
          linkTarget: await readlink(join(dir, rel)),
        });
      } else {
        throw contextError(
          dir,
          `${rel} is neither a file, a directory nor a symlink (socket, FIFO or device)`,
        );
      }
    }
  }

  await walk('');
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  if (!entries.some((e) => e.path === dockerfilePath && e.type === 'file')) {
    throw contextError(dir, `it has no ${dockerfile}`);
  }
  return entries;
}

/** Why: a stable identity for "what would be built": same files + modes + contents + build args → same hash. */
export async function hashContext(
  dir: string,
  entries: readonly ContextEntry[],
  buildArgs: Readonly<Record<string, string>> = {},
  dockerfile = 'Dockerfile',
): Promise<string> {
  const hash = createHash('sha256');
  // Every record is length-framed, so no two different inputs can produce the same byte stream.
  const field = (value: string): void => {
    const bytes = Buffer.from(value, 'utf8');
    hash.update(`${bytes.length}:`);
    hash.update(bytes);
  };
  field('gigi-context-v1');
  field(dockerfile);
  for (const entry of entries) {
    field(entry.type);
    field(entry.path);
    field(entry.mode.toString(8));
    if (entry.type === 'symlink') field(entry.linkTarget ?? '');
    if (entry.type === 'file') {
      let content: Buffer;
      try {
        content = await readFile(join(dir, entry.path));
      } catch (error) {
        throw contextError(dir, `${entry.path} is unreadable (${errnoCode(error) ?? String(error)})`, error);
      }
      hash.update(`${content.length}:`);
      hash.update(content);
    }
  }
  for (const key of Object.keys(buildArgs).sort()) {
    field('arg');
    field(key);
    field(buildArgs[key] ?? '');
  }
  return hash.digest('hex');
}

/** Why: the caller needs the hash (to decide) and the entry list (to pack) from one consistent read. */
export async function readBuildContext(dir: string, options: ReadContextOptions = {}): Promise<BuildContext> {
  const dockerfile = options.dockerfile ?? 'Dockerfile';
  const buildArgs = { ...(options.buildArgs ?? {}) };
  const entries = await listContextEntries(dir, dockerfile);
  const hash = await hashContext(dir, entries, buildArgs, dockerfile);
  return { dir, dockerfile, entries, buildArgs, hash };
}
