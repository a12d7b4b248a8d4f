// The hostile-volume primitives on a real filesystem, as root, with the unprivileged `gigi`
// user planting links, FIFOs and swapped directories in a volume it owns. The targets are
// root-owned temp directories outside the volume, never system paths.
import {
  chownSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isBootError } from '../../src/errors.ts';
import { resolveRunAs, type RunAs } from '../../src/gitea/run-as.ts';
import { linkGiteaTemplates } from '../../src/supervisor/hand-off.ts';
import {
  fixFileIn,
  openDirBelow,
  openPrivateBootDir,
  MAX_VOLUME_FILE_BYTES,
  readFileIn,
  readFileTailIn,
  withParentDir,
  writeFileIn,
} from '../../src/volume/safe-fs.ts';
import { GITEA_TEST_USER, plantAsGigi } from '../support/system-users.ts';

let volume: string;
let outside: string;
let gigi: RunAs;

beforeEach(async () => {
  gigi = await resolveRunAs(GITEA_TEST_USER);
  volume = mkdtempSync(join(tmpdir(), 'gigi-safe-fs-'));
  chownSync(volume, gigi.uid, gigi.gid);
  outside = mkdtempSync(join(tmpdir(), 'gigi-victim-'));
  writeFileSync(join(outside, 'secret'), 'root-only\n', { mode: 0o600 });
});

afterEach(() => {
  rmSync(volume, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

async function refusal(promise: Promise<unknown>): Promise<Error & { domain?: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isBootError(error), String(error)).toBe(true);
  return error as Error & { domain?: string };
}

function expectOutsideUntouched(): void {
  expect(statSync(outside).uid).toBe(0);
  expect(readdirSync(outside)).toEqual(['secret']);
  expect(readFileSync(join(outside, 'secret'), 'utf8')).toBe('root-only\n');
}

describe('safe operations on the hostile volume', () => {
  it('writes over a planted link by replacing the link, never through it', async () => {
    plantAsGigi(['ln', '-s', join(outside, 'secret'), join(volume, 'conf')]);
    await withParentDir(volume, join(volume, 'conf'), (dir, name) =>
      writeFileIn(dir, name, 'ours\n', { mode: 0o600 }),
    );
    expect(lstatSync(join(volume, 'conf')).isFile()).toBe(true);
    expect(readFileSync(join(volume, 'conf'), 'utf8')).toBe('ours\n');
    expectOutsideUntouched();
  });

  it('leaves a file that already has these bytes, mode and owner alone; replaces anything else', async () => {
    const write = (name: string, text: string, options: { mode: number; owner?: RunAs }) =>
      withParentDir(volume, join(volume, name), (dir, entry) => writeFileIn(dir, entry, text, options));
    const inode = (name: string) => lstatSync(join(volume, name)).ino;
    await write('conf', 'ours\n', { mode: 0o600 });
    const first = inode('conf');
    await write('conf', 'ours\n', { mode: 0o600 });
    expect(inode('conf')).toBe(first); // the same file: not rewritten
    await write('conf', 'ours\n', { mode: 0o644 });
    expect(inode('conf')).not.toBe(first);
    expect(statSync(join(volume, 'conf')).mode & 0o777).toBe(0o644);
    const second = inode('conf');
    await write('conf', 'ours\n', { mode: 0o644, owner: gigi });
    expect(inode('conf')).not.toBe(second);
    expect(statSync(join(volume, 'conf')).uid).toBe(gigi.uid);
    const third = inode('conf');
    await write('conf', 'theirs\n', { mode: 0o644, owner: gigi });
    expect(inode('conf')).not.toBe(third);
    expect(readFileSync(join(volume, 'conf'), 'utf8')).toBe('theirs\n');
    // Same bytes, mode and owner behind a planted link or hard link: the link is replaced, as before.
    plantAsGigi(['ln', '-s', join(outside, 'secret'), join(volume, 'link')]);
    linkSync(join(outside, 'secret'), join(volume, 'hard'));
    for (const name of ['link', 'hard']) {
      await write(name, 'root-only\n', { mode: 0o600 });
      expect(lstatSync(join(volume, name)).isFile()).toBe(true);
      expect(lstatSync(join(volume, name)).nlink).toBe(1);
      expect(inode(name)).not.toBe(statSync(join(outside, 'secret')).ino);
    }
    expectOutsideUntouched();
  });

  it('refuses to read or chown a link, a hard link, or a FIFO (without hanging on it)', async () => {
    plantAsGigi(['ln', '-s', join(outside, 'secret'), join(volume, 'link')]);
    plantAsGigi(['mkfifo', join(volume, 'fifo')]);
    // A host without fs.protected_hardlinks lets any user link a root-only file: made here as root.
    linkSync(join(outside, 'secret'), join(volume, 'hard'));
    const read = (name: string) => withParentDir(volume, join(volume, name), readFileIn);
    expect((await refusal(read('link'))).message).toBe(
      `${join(volume, 'link')} is a symbolic link; gigi-boot (root) never follows a link on the data volume`,
    );
    expect((await refusal(read('fifo'))).message).toBe(`${join(volume, 'fifo')} is not a regular file`);
    expect((await refusal(read('hard'))).message).toMatch(/has 2 hard links/);
    const fix = withParentDir(volume, join(volume, 'hard'), (dir, name) =>
      fixFileIn(dir, name, { mode: 0o644, owner: gigi }),
    );
    expect((await refusal(fix)).domain).toBe('volume');
    const info = statSync(join(outside, 'secret'));
    expect({ uid: info.uid, mode: info.mode & 0o777 }).toEqual({ uid: 0, mode: 0o600 });
  });

  it('refuses a planted file larger than gigi-boot ever writes (a sparse 100 GB app.ini), without reading it', async () => {
    plantAsGigi(['truncate', '-s', '100G', join(volume, 'app.ini')]);
    const read = withParentDir(volume, join(volume, 'app.ini'), readFileIn);
    const error = await refusal(read);
    expect(error.message).toBe(
      `${join(volume, 'app.ini')} is larger than ${MAX_VOLUME_FILE_BYTES} bytes, more than gigi-boot ever writes there`,
    );
    expect(error.domain).toBe('volume');
    // Up to the limit is read whole.
    writeFileSync(join(volume, 'fits'), 'a'.repeat(MAX_VOLUME_FILE_BYTES));
    expect(await withParentDir(volume, join(volume, 'fits'), readFileIn)).toHaveLength(MAX_VOLUME_FILE_BYTES);
  });

  it('reads only the tail of a long log, from a whole line', async () => {
    const lines = Array.from({ length: 100_000 }, (_, i) => `line ${i} ${'x'.repeat(40)}`);
    writeFileSync(join(volume, 'gitea.log'), `${lines.join('\n')}\n`);
    const tail = await withParentDir(volume, join(volume, 'gitea.log'), (dir, name) =>
      readFileTailIn(dir, name, 4096),
    );
    expect(tail!.length).toBeLessThanOrEqual(4096);
    expect(tail!.endsWith(`${lines.at(-1)}\n`)).toBe(true);
    expect(tail!.split('\n')[0]).toMatch(/^line \d+ x{40}$/);
    const short = await withParentDir(volume, join(volume, 'short.log'), async (dir, name) => {
      writeFileSync(join(volume, 'short.log'), 'one\ntwo\n');
      return readFileTailIn(dir, name, 4096);
    });
    expect(short).toBe('one\ntwo\n');
    plantAsGigi(['mkfifo', join(volume, 'fifo.log')]);
    const fifo = withParentDir(volume, join(volume, 'fifo.log'), (dir, name) =>
      readFileTailIn(dir, name, 4096),
    );
    expect((await refusal(fifo)).message).toBe(`${join(volume, 'fifo.log')} is not a regular file`);
  });

  it('refuses a link at any level below the root, and a path outside it', async () => {
    plantAsGigi(['mkdir', join(volume, 'a')]);
    plantAsGigi(['ln', '-s', outside, join(volume, 'a', 'b')]);
    const error = await refusal(
      openDirBelow({ root: volume, path: join(volume, 'a', 'b', 'c'), create: true, owner: gigi }),
    );
    expect(error.message).toContain(`${join(volume, 'a', 'b')} is a symbolic link`);
    expect((await refusal(openDirBelow({ root: volume, path: join(volume, '..') }))).message).toContain(
      'is not below the data directory',
    );
    expectOutsideUntouched();
  });

  it('keeps working in the directory it opened when that directory is swapped for a link', async () => {
    plantAsGigi(['mkdir', join(volume, 'dir')]);
    const dir = await openDirBelow({ root: volume, path: join(volume, 'dir') });
    try {
      plantAsGigi(['mv', join(volume, 'dir'), join(volume, 'moved')]);
      plantAsGigi(['ln', '-s', outside, join(volume, 'dir')]);
      await writeFileIn(dir, 'conf', 'ours\n', { mode: 0o600 });
    } finally {
      await dir.close();
    }
    expect(readFileSync(join(volume, 'moved', 'conf'), 'utf8')).toBe('ours\n');
    expectOutsideUntouched();
  });

  it('a gigi-boot dir created 0700 and private; one the run user planted is refused', async () => {
    const own = await openPrivateBootDir(volume, join(volume, 'gigi-boot'));
    await own.close();
    expect(statSync(join(volume, 'gigi-boot')).mode & 0o777).toBe(0o700);
    rmSync(join(volume, 'gigi-boot'), { recursive: true });
    plantAsGigi(['mkdir', join(volume, 'gigi-boot')]);
    expect((await refusal(openPrivateBootDir(volume, join(volume, 'gigi-boot')))).message).toContain(
      `belongs to uid ${gigi.uid}`,
    );
  });
});

describe('the Gitea templates link', () => {
  it('is refused when the custom dir is a planted link: nothing is created at its target', async () => {
    const app = mkdtempSync(join(tmpdir(), 'gigi-app-'));
    try {
      mkdirSync(join(app, 'gitea', 'custom', 'templates'), { recursive: true });
      plantAsGigi(['mkdir', join(volume, 'gitea')]);
      plantAsGigi(['ln', '-s', outside, join(volume, 'gitea', 'custom')]);
      const error = await refusal(linkGiteaTemplates(app, join(volume, 'gitea'), volume));
      expect(error.message).toContain(`${join(volume, 'gitea', 'custom')} is a symbolic link`);
      expectOutsideUntouched();

      // A real custom dir gets the link, replacing whatever link the run user put there.
      plantAsGigi(['rm', join(volume, 'gitea', 'custom')]);
      plantAsGigi(['mkdir', join(volume, 'gitea', 'custom')]);
      plantAsGigi(['ln', '-s', outside, join(volume, 'gitea', 'custom', 'templates')]);
      expect(await linkGiteaTemplates(app, join(volume, 'gitea'), volume)).toBe('linked');
      expect(lstatSync(join(volume, 'gitea', 'custom', 'templates')).isSymbolicLink()).toBe(true);
      expect(existsSync(join(volume, 'gitea', 'custom', 'templates'))).toBe(true);
      expectOutsideUntouched();
    } finally {
      rmSync(app, { recursive: true, force: true });
    }
  });
});
