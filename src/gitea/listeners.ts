// Who listens on a TCP port, read from the kernel (/proc/net/tcp{,6} and /proc/<pid>/fd), not
// from what answers on it: an HTTP answer proves nothing about who sent it, and the temporary
// Gitea must be the process gigi-boot started before it is sent an admin's credentials.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface Listener {
  /** The bound address as text: 127.0.0.1, 0.0.0.0, ::, ::ffff:127.0.0.1 … */
  address: string;
  port: number;
  /** The socket's inode: the link /proc/<pid>/fd/N → socket:[inode] names its holder. */
  inode: number;
}

const TCP_LISTEN = '0A';

/** /proc/net/tcp writes each 32-bit word of an address in host (little-endian) byte order. */
function decodeAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => (w.match(/../g) ?? []).reverse().map((b) => Number.parseInt(b, 16)));
  if (bytes.length === 4) return bytes.join('.');
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff)
    return `::ffff:${bytes.slice(12).join('.')}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  const text = groups.join(':');
  return text === '0:0:0:0:0:0:0:0' ? '::' : text;
}

// /proc is the kernel's memory, not a disk: reading it synchronously takes microseconds, where
// each asynchronous read is a round trip through libuv's thread pool (a Gitea step's ownership
// check read some thirty /proc files that way, ~5 ms).
function readTable(path: string): Listener[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return []; // no IPv6 in this kernel/namespace
  }
  const out: Listener[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10 || fields[3] !== TCP_LISTEN) continue;
    const [addressHex, portHex] = fields[1]!.split(':');
    out.push({
      address: decodeAddress(addressHex!),
      port: Number.parseInt(portHex!, 16),
      inode: Number(fields[9]),
    });
  }
  return out;
}

/** Would a listener on `address` take connections meant for `wanted` (or block binding it)? */
function overlaps(address: string, wanted: string): boolean {
  const wildcard = (a: string) => a === '0.0.0.0' || a === '::';
  const v4 = (a: string) => a.replace(/^::ffff:/, '');
  return wildcard(address) || wildcard(wanted) || v4(address) === v4(wanted);
}

/** Why: every listening socket that holds `port` for `address` (wildcards included). */
export function listenersOn(port: number, address: string): Listener[] {
  const tables = [readTable('/proc/net/tcp'), readTable('/proc/net/tcp6')];
  return tables.flat().filter((l) => l.port === port && overlaps(l.address, address));
}

/** The socket inodes among a process's open files; undefined when /proc does not let us look. */
export async function socketInodesOf(pid: number): Promise<Set<number> | undefined> {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return undefined;
  }
  let refused = false;
  const targets = fds.map((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch (error) {
      // ENOENT: closed meanwhile. EACCES/EPERM: root without CAP_SYS_PTRACE (Docker's default)
      // may list another user's fds but not read where they point.
      const { code } = error as NodeJS.ErrnoException;
      if (code === 'EACCES' || code === 'EPERM') refused = true;
      return '';
    }
  });
  if (refused) return readAsOwner(pid);
  return socketInodes(targets);
}

function socketInodes(targets: readonly string[]): Set<number> {
  const inodes = new Set<number>();
  for (const target of targets) {
    const match = /^socket:\[(\d+)\]$/.exec(target);
    if (match) inodes.add(Number(match[1]));
  }
  return inodes;
}

// Why: in a container root lacks CAP_SYS_PTRACE, so the temporary Gitea (run as gigi) would look
// like a stranger on its own port; the process's own user may read its fds. Only root can switch.
async function readAsOwner(pid: number): Promise<Set<number> | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
  const gid = /^Gid:\s+(\d+)/m.exec(status)?.[1];
  if (uid === undefined || gid === undefined || uid === '0') return undefined;
  const listing = await execFileAsync(
    'setpriv',
    [
      `--reuid=${uid}`,
      `--regid=${gid}`,
      '--clear-groups',
      '--',
      'find',
      `/proc/${pid}/fd`,
      '-mindepth',
      '1',
      '-maxdepth',
      '1',
      '-printf',
      '%l\\n',
    ],
    { timeout: 5_000 },
  ).then(
    ({ stdout }) => stdout,
    // find exits 1 when an fd closed while it looked; what it printed still counts.
    (error: { stdout?: string; code?: unknown }) => (error.code === 1 ? (error.stdout ?? '') : undefined),
  );
  return listing === undefined ? undefined : socketInodes(listing.split('\n'));
}

export interface SocketHolder {
  pid: number;
  command: string;
}

/** Why: name the process holding a socket (for the operator), scanning every /proc/<pid>/fd we may read. */
export async function holdersOf(inode: number): Promise<SocketHolder[]> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number);
  const holders: SocketHolder[] = [];
  for (const pid of pids) {
    const inodes = await socketInodesOf(pid);
    if (!inodes?.has(inode)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    holders.push({ pid, command: cmdline.split('\0').filter(Boolean).join(' ').slice(0, 200) });
  }
  return holders;
}

/** "127.0.0.1:3300 held by pid 42 (gitea web --config …)" — or why the holder is unknown. */
export async function describeListeners(listeners: readonly Listener[]): Promise<string> {
  const parts: string[] = [];
  for (const l of listeners) {
    const holders = await holdersOf(l.inode);
    const who =
      holders.length > 0
        ? holders.map((h) => `pid ${h.pid} (${h.command || '?'})`).join(', ')
        : 'a process gigi-boot cannot see (another user or network namespace)';
    parts.push(`${l.address.includes(':') ? `[${l.address}]` : l.address}:${l.port} held by ${who}`);
  }
  return parts.join('; ');
}
