// Can the Gitea run user execute GITEA_BIN and enter the data dir? Preflight asks a `setpriv`
// child, which is exact (modes, groups, ACLs, mounts) and cost every restart ~5 ms of its
// start-up. So a "yes" is recorded, root-only beside supervisord.conf, with a fingerprint of what
// the answer rests on: each path's real path; the inode, owner, mode and ctime (see identity) of
// every directory and link on the way and of the path itself; the run user's ids; /etc/passwd
// and /etc/group. A start whose fingerprint matches
// takes the recorded answer; any difference, or anything unreadable, asks the child again.
// What the fingerprint cannot see: group memberships served by a name service other than
// /etc/group, and an LSM policy; both would show later, as a Gitea that supervisord cannot start.
import { createHash } from 'node:crypto';
import { lstatSync, realpathSync, statSync, type BigIntStats } from 'node:fs';
import { dirname, join, parse } from 'node:path';
import type { RunAs } from '../gitea/run-as.ts';
import { openDirBelow, openPrivateBootDir, readFileIn, writeFileIn } from '../volume/safe-fs.ts';

const RECORD_DIR = 'gigi-boot';
const RECORD_FILE = 'run-user-access';

/** Every prefix of an absolute path, from the root down to the path itself. */
function prefixes(path: string): string[] {
  const out: string[] = [];
  for (let p = path; ; p = dirname(p)) {
    out.unshift(p);
    if (p === parse(p).root) return out;
  }
}

/**
 * A file's or directory's identity and access: its mode, owner and inode, and its ctime when
 * that is not just its mtime. A directory's ctime moves with every entry made or removed in it
 * (its mtime moves with it then); an ACL or owner change moves ctime alone. So a start after an
 * ACL change asks the child, one after files came and went in a directory does not. (Missed:
 * both in the same directory between two starts.)
 */
function identity(stats: BigIntStats): string {
  const changed = stats.ctimeNs === stats.mtimeNs ? 'entries' : String(stats.ctimeNs);
  return [stats.dev, stats.ino, stats.mode, stats.uid, stats.gid, changed].join(':');
}

/**
 * The fingerprint of `paths` as `runAs` reaches them, or undefined when any part cannot be read
 * (then the child is asked). Synchronous: a handful of stat calls on local metadata.
 */
export function accessFingerprint(runAs: RunAs, paths: readonly string[]): string | undefined {
  try {
    const parts: string[] = [
      `user ${runAs.user} ${runAs.uid} ${runAs.gid}`,
      ...['/etc/passwd', '/etc/group'].map((file) => {
        const stats = statSync(file, { bigint: true });
        return `${file} ${stats.ino}:${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}`;
      }),
    ];
    for (const path of paths) {
      const real = realpathSync(path);
      parts.push(`path ${path} -> ${real}`);
      // The names as given (a link on the way has its own ctime) and as resolved.
      for (const prefix of prefixes(path))
        parts.push(`l ${prefix} ${identity(lstatSync(prefix, { bigint: true }))}`);
      for (const prefix of prefixes(real))
        parts.push(`s ${prefix} ${identity(statSync(prefix, { bigint: true }))}`);
    }
    return createHash('sha256').update(parts.join('\n')).digest('hex');
  } catch {
    return undefined;
  }
}

/** The fingerprint recorded by an earlier start, trusted only in root's own private directory. */
export async function recordedAccess(dataDir: string): Promise<string | undefined> {
  try {
    const dir = await openDirBelow({ root: dataDir, path: join(dataDir, RECORD_DIR) });
    try {
      const info = await dir.handle.stat();
      if (info.uid !== process.geteuid?.() || (info.mode & 0o077) !== 0) return undefined;
      return (await readFileIn(dir, RECORD_FILE, 200))?.trim();
    } finally {
      await dir.close();
    }
  } catch {
    return undefined; // none yet, or not one to trust: the child is asked
  }
}

/** Record the fingerprint of a "yes" (after every check passed: a write like any other). */
export async function recordAccess(dataDir: string, fingerprint: string): Promise<void> {
  const dir = await openPrivateBootDir(dataDir, join(dataDir, RECORD_DIR));
  try {
    await writeFileIn(dir, RECORD_FILE, `${fingerprint}\n`, { mode: 0o600 });
  } finally {
    await dir.close();
  }
}
