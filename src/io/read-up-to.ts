// Bounded reads of an already opened file, for every reader that must not trust a file's size:
// a secret file an operator names and a file the run user can write on the volume alike.
import type { FileHandle } from 'node:fs/promises';

/**
 * Why: read a whole file but never more than `maxBytes`. One byte past the limit is asked for,
 * because a file can grow between stat and read and /proc-like files report a size of 0;
 * reaching it throws `tooLarge()`.
 */
export async function readUpTo(handle: FileHandle, maxBytes: number, tooLarge: () => Error): Promise<Buffer> {
  const buffer = Buffer.alloc(maxBytes + 1);
  let length = 0;
  for (;;) {
    const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
    if (bytesRead === 0) break;
    length += bytesRead;
    if (length > maxBytes) throw tooLarge();
  }
  return buffer.subarray(0, length);
}
