import { spawn } from 'node:child_process';
import { link, mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.ts';
import { readOrCreateVolumeId, readVolumeIdIfAny, VOLUME_ID_FILE } from '../../src/store/volume.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MODULE = new URL('../../src/store/volume.ts', import.meta.url).pathname;

describe('volume id', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gigi-boot-volume-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a UUID once (creating the data dir) and returns the same one afterwards', async () => {
    const dataDir = join(dir, 'nested', 'data');
    const id = await readOrCreateVolumeId(dataDir);
    expect(id).toMatch(UUID);
    expect((await readFile(join(dataDir, VOLUME_ID_FILE), 'utf8')).trim()).toBe(id);
    expect(await readOrCreateVolumeId(dataDir)).toBe(id);
    expect(await readdir(dataDir)).toEqual([VOLUME_ID_FILE]); // no temp files left behind
  });

  it("reads through another boot's moment of two hard links (its link() before its unlink()), not a planted one", async () => {
    const id = await readOrCreateVolumeId(dir);
    const file = join(dir, VOLUME_ID_FILE);
    const second = join(dir, `${VOLUME_ID_FILE}.other.tmp`);
    await link(file, second);
    const reading = readVolumeIdIfAny(dir);
    setTimeout(() => void unlink(second), 30);
    expect(await reading).toBe(id);
    // A link that stays is refused.
    await link(file, second);
    await expect(readVolumeIdIfAny(dir)).rejects.toThrow(/has 2 hard links/);
  });

  it('reuses an existing id written by an earlier boot', async () => {
    await writeFile(join(dir, VOLUME_ID_FILE), '0E7B4A3C-1111-4222-8333-944455556666\n');
    expect(await readOrCreateVolumeId(dir)).toBe('0e7b4a3c-1111-4222-8333-944455556666');
  });

  it('gives concurrent first boots the same id, in-process and across processes', async () => {
    const inProcess = await Promise.all(Array.from({ length: 20 }, () => readOrCreateVolumeId(dir)));
    expect(new Set(inProcess).size).toBe(1);

    const fresh = join(dir, 'fresh');
    const script = `import { readOrCreateVolumeId } from ${JSON.stringify(MODULE)};\nprocess.stdout.write(await readOrCreateVolumeId(${JSON.stringify(fresh)}));`;
    const runChild = () =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}`))));
      });
    const ids = await Promise.all([runChild(), runChild(), runChild(), readOrCreateVolumeId(fresh)]);
    expect(ids[0]).toMatch(UUID);
    expect(new Set(ids).size).toBe(1);
  });

  it('refuses a corrupt id file with an error naming the file', async () => {
    const file = join(dir, VOLUME_ID_FILE);
    await writeFile(file, 'not-a-uuid\n');
    const error = await readOrCreateVolumeId(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).message).toContain(file);
    expect((error as StoreError).message).toMatch(/corrupt/);
    expect((error as StoreError).hint).toContain(file);
    expect(await readFile(file, 'utf8')).toBe('not-a-uuid\n'); // left for the operator to inspect
  });
});
