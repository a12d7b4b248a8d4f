// Reads a NAME_FILE secret with bounds: a FIFO must not hang the boot, a huge file must not be
// stored as a "token", and bytes that are not text must not become U+FFFD in the database.
//
// Symlinks are followed on purpose: Kubernetes mounts each secret as a symlink into `..data/`,
// and the path is the operator's choice (an environment variable), not a path under the data
// dir that the unprivileged `gigi` user could plant.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { readUpTo } from '../io/read-up-to.ts';

/** Secrets are tokens, passwords and URLs: a few hundred bytes. 64 KiB leaves ample room. */
export const MAX_SECRET_FILE_BYTES = 64 * 1024;

/** What is wrong with the file, for "NAME_FILE: the file "…" <reason>". Never holds content. */
export class SecretFileProblem extends Error {}

function kindOf(info: {
  isFIFO(): boolean;
  isSocket(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
}) {
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

function size(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(0)} KiB`;
  return `${bytes} bytes`;
}

/**
 * The file's bytes, at most `maxBytes`. Throws SecretFileProblem for a file that is not a
 * regular file or is too large; an errno error (ENOENT, EACCES, EISDIR, …) when it cannot be
 * opened or read.
 */
export async function readSecretFileBytes(path: string, maxBytes = MAX_SECRET_FILE_BYTES): Promise<Buffer> {
  // O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting for one.
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const info = await handle.stat();
    if (info.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (!info.isFile())
      throw new SecretFileProblem(`is ${kindOf(info)}; expected a regular file holding the secret`);
    const tooLarge = (n?: number) =>
      new SecretFileProblem(
        `is larger than the ${size(maxBytes)} limit of a secret file${n ? ` (${size(n)})` : ''}; expected only the secret in it`,
      );
    if (info.size > maxBytes) throw tooLarge(info.size);
    return await readUpTo(handle, maxBytes, () => tooLarge());
  } finally {
    await handle.close();
  }
}

/** Why: a secret is text; a NUL byte or invalid UTF-8 means the wrong file (or a binary one). */
export function decodeSecret(bytes: Buffer | string): string {
  if (typeof bytes === 'string') {
    if (bytes.includes('\0')) throw new SecretFileProblem('contains a NUL byte; expected the secret as text');
    return bytes;
  }
  if (bytes.includes(0)) throw new SecretFileProblem('contains a NUL byte; expected the secret as text');
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new SecretFileProblem('is not valid UTF-8; expected the secret as UTF-8 text');
  }
}
