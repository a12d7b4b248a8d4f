// The build context hash decides whether the runner-worker image is rebuilt, so it must move
// with everything a build sees (contents, modes, names, build args, .dockerignore) and with
// nothing it does not (mtimes, creation order, ignored files).
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extract, type Header } from 'tar-stream';
import { afterEach, describe, expect, it } from 'vitest';
import { CONTEXT_MTIME, readBuildContext } from '../../src/docker/context.ts';
import { packContext } from '../../src/docker/pack-context.ts';
import { rejection } from './rejection.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function makeContext(files: Record<string, string>, order = Object.keys(files)): string {
  const dir = mkdtempSync(join(tmpdir(), 'gigi-ctx-'));
  dirs.push(dir);
  for (const name of order) {
    const path = join(dir, name);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, files[name] ?? '');
  }
  return dir;
}

const BASE = {
  Dockerfile: 'FROM scratch\nCOPY . /ctx\n',
  'scripts/setup.sh': 'echo setup\n',
  'etc/config.yml': 'a: 1\n',
};

async function hashOf(dir: string, buildArgs?: Record<string, string>): Promise<string> {
  return (await readBuildContext(dir, { buildArgs })).hash;
}

describe('context hash', () => {
  it('is a 64-hex SHA-256 and identical for the same files created in another order with other mtimes', async () => {
    const a = makeContext(BASE);
    const b = makeContext(BASE, Object.keys(BASE).reverse());
    utimesSync(join(b, 'scripts/setup.sh'), new Date('2001-02-03'), new Date('2001-02-03'));
    utimesSync(join(b, 'Dockerfile'), new Date(), new Date(Date.now() + 86_400_000));
    const hashA = await hashOf(a);
    expect(hashA).toMatch(/^[0-9a-f]{64}$/);
    expect(await hashOf(b)).toBe(hashA);
    expect(await hashOf(a)).toBe(hashA);
  });

  it('changes with a file content, a file mode, a rename, an added empty directory and a symlink', async () => {
    const dir = makeContext(BASE);
    const seen = new Set([await hashOf(dir)]);
    const step = async (mutate: () => void): Promise<void> => {
      mutate();
      const hash = await hashOf(dir);
      expect(seen.has(hash)).toBe(false);
      seen.add(hash);
    };
    await step(() => writeFileSync(join(dir, 'scripts/setup.sh'), 'echo setup!\n'));
    await step(() => chmodSync(join(dir, 'scripts/setup.sh'), 0o755));
    await step(() => {
      rmSync(join(dir, 'etc/config.yml'));
      writeFileSync(join(dir, 'etc/config.yaml'), 'a: 1\n');
    });
    await step(() => mkdirSync(join(dir, 'empty')));
    await step(() => symlinkSync('scripts/setup.sh', join(dir, 'link')));
    await step(() => writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\nCOPY . /ctx2\n'));
  });

  it('covers build args by value but not by the order they are given in', async () => {
    const dir = makeContext(BASE);
    const none = await hashOf(dir);
    const ab = await hashOf(dir, { A: '1', B: '2' });
    expect(ab).not.toBe(none);
    expect(await hashOf(dir, { B: '2', A: '1' })).toBe(ab);
    expect(await hashOf(dir, { A: '1', B: '3' })).not.toBe(ab);
    // Framing: moving characters between key and value is a different input.
    expect(await hashOf(dir, { A1: '' })).not.toBe(await hashOf(dir, { A: '1' }));
  });

  it('ignores what .dockerignore excludes, re-includes "!" exceptions, and always keeps the Dockerfile', async () => {
    const dir = makeContext({
      ...BASE,
      '.dockerignore': '# comment\n*.log\ncache/\nDockerfile\n!cache/keep.txt\n',
      'build.log': 'one\n',
      'cache/blob': 'x',
      'cache/keep.txt': 'kept',
    });
    const context = await readBuildContext(dir);
    const paths = context.entries.map((e) => e.path);
    expect(paths).toEqual([
      '.dockerignore',
      'Dockerfile',
      'cache/keep.txt',
      'etc',
      'etc/config.yml',
      'scripts',
      'scripts/setup.sh',
    ]);

    const before = context.hash;
    writeFileSync(join(dir, 'build.log'), 'two\n');
    writeFileSync(join(dir, 'cache/blob'), 'y');
    writeFileSync(join(dir, 'other.log'), 'new');
    expect(await hashOf(dir)).toBe(before);
    writeFileSync(join(dir, 'cache/keep.txt'), 'changed');
    expect(await hashOf(dir)).not.toBe(before);
  });

  it('rejects a missing directory, a directory without a Dockerfile, and a FIFO, naming the path', async () => {
    const missing = join(tmpdir(), 'gigi-ctx-does-not-exist');
    const e1 = await rejection(readBuildContext(missing));
    expect(e1.reason).toBe('build-failed');
    expect(e1.message).toContain(missing);
    expect(e1.hint).toMatch(/context directory/);

    const noDockerfile = makeContext({ 'a.txt': 'a' });
    const e2 = await rejection(readBuildContext(noDockerfile));
    expect(e2.message).toContain('has no Dockerfile');

    const withFifo = makeContext(BASE);
    execFileSync('mkfifo', [join(withFifo, 'etc/pipe')]);
    const e3 = await rejection(readBuildContext(withFifo));
    expect(e3.message).toContain('etc/pipe is neither a file, a directory nor a symlink');
    // A symlink to a device is fine: it is sent as a link, and its target is hashed.
    rmSync(join(withFifo, 'etc/pipe'));
    symlinkSync('/dev/null', join(withFifo, 'null-link'));
    expect(await hashOf(withFifo)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('context tar', () => {
  it('holds exactly the hashed entries, in order, owned by root, with the fixed mtime and the real modes', async () => {
    const dir = makeContext({ ...BASE, '.dockerignore': 'secret.txt\n', 'secret.txt': 'nope' });
    chmodSync(join(dir, 'scripts/setup.sh'), 0o750);
    symlinkSync('setup.sh', join(dir, 'scripts/link'));
    const context = await readBuildContext(dir);

    const seen: { header: Header; body: string }[] = [];
    await new Promise<void>((resolve, reject) => {
      const reader = extract();
      reader.on('entry', (header, stream, next) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: unknown) => chunks.push(c as Buffer));
        stream.on('end', () => {
          seen.push({ header, body: Buffer.concat(chunks).toString('utf8') });
          next();
        });
      });
      reader.on('finish', resolve);
      reader.on('error', reject);
      packContext(context).on('error', reject).pipe(reader);
    });

    expect(seen.map((s) => s.header.name)).toEqual(context.entries.map((e) => e.path));
    expect(seen.map((s) => s.header.name)).not.toContain('secret.txt');
    for (const { header } of seen) {
      expect(header.mtime?.getTime()).toBe(CONTEXT_MTIME.getTime());
      expect(header.uid).toBe(0);
      expect(header.gid).toBe(0);
    }
    const setup = seen.find((s) => s.header.name === 'scripts/setup.sh');
    expect(setup?.header.mode).toBe(0o750);
    expect(setup?.body).toBe('echo setup\n');
    const link = seen.find((s) => s.header.name === 'scripts/link');
    expect(link?.header.type).toBe('symlink');
    expect(link?.header.linkname).toBe('setup.sh');
  });
});
