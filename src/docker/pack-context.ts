// The tar Docker's /build endpoint takes, made from the entries the context hash was made from.
// Apart from context.ts so that hashing a context (every start computes the runner digest)
// does not load tar-stream.
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { CONTEXT_MTIME, contextError, errnoCode, type BuildContext } from './context.ts';

/** Why: Docker's /build endpoint takes a tar; this one holds exactly the hashed entries, owned by root, with a fixed mtime. */
export function packContext(context: BuildContext): Readable {
  const tar = pack();
  const common = { mtime: CONTEXT_MTIME, uid: 0, gid: 0, uname: 'root', gname: 'root' };
  void (async () => {
    for (const entry of context.entries) {
      if (entry.type === 'directory') {
        tar.entry({ ...common, name: entry.path, type: 'directory', mode: entry.mode });
      } else if (entry.type === 'symlink') {
        tar.entry({
          ...common,
          name: entry.path,
          type: 'symlink',
          mode: entry.mode,
          linkname: entry.linkTarget,
        });
      } else {
        const sink = tar.entry({
          ...common,
          name: entry.path,
          type: 'file',
          mode: entry.mode,
          size: entry.size,
        });
        await new Promise<void>((resolve, reject) => {
          const source = createReadStream(join(context.dir, entry.path));
          source.on('error', reject);
          sink.on('error', reject);
          sink.on('finish', resolve);
          source.pipe(sink);
        });
      }
    }
    tar.finalize();
  })().catch((error: unknown) => {
    tar.destroy(contextError(context.dir, `packing failed (${errnoCode(error) ?? String(error)})`, error));
  });
  return tar as unknown as Readable;
}
