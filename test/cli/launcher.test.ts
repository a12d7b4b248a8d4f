// bin/gigi-boot.js reads the bundle as latin1 (a one-byte string, which V8 reads and compiles
// fastest), so the bundle must be ASCII; bin/build.mjs refuses to write one that is not.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { VOLUME_ID_FILE } from '../../src/store/volume.ts';
import { bootEnv, REPO_ROOT, runCli } from '../support/boot-process.ts';
import { testServerUrl } from '../support/env.ts';
import { createTestDatabase } from '../support/postgres.ts';

describe('the launcher and its bundle', () => {
  it('the bundle the tests run is ASCII', () => {
    const bundle = readFileSync(join(REPO_ROOT, 'dist', 'gigi-boot.cjs'));
    const wide = bundle.findIndex((byte) => byte > 0x7f);
    expect(
      wide === -1 ? null : bundle.subarray(Math.max(0, wide - 60), wide + 20).toString('latin1'),
    ).toBeNull();
  });

  it('a message with non-ASCII text reaches the operator intact through the bundle', async () => {
    // The CLI boundary's hint arrow (U+2192), escaped in the bundle, printed as itself.
    const result = await runCli(['check'], {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      GIGI_DATA_DIR: 'relative',
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('\n  \u2192 Fix the environment variables listed above');
  });

  it('names the volume id file as the store does (its presence picks the run cache)', () => {
    const launcher = readFileSync(join(REPO_ROOT, 'bin', 'gigi-boot.js'), 'utf8');
    expect(/const VOLUME_ID_FILE = '([^']+)'/.exec(launcher)?.[1]).toBe(VOLUME_ID_FILE);
  });

  it("keeps a first boot's code cache apart from a restart's", async () => {
    // A copy of the launcher and the bundle, as the image has them (no sources): its own caches.
    const root = mkdtempSync(join(tmpdir(), 'gigi-boot-launcher-'));
    try {
      cpSync(join(REPO_ROOT, 'bin'), join(root, 'bin'), { recursive: true });
      cpSync(join(REPO_ROOT, 'dist', 'gigi-boot.cjs'), join(root, 'dist', 'gigi-boot.cjs'));
      symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'));
      const env = await bootEnv({ databaseUrl: await createTestDatabase(testServerUrl(), 'launcher') });
      const run = () =>
        promisify(execFile)(process.execPath, [join(root, 'bin', 'gigi-boot.js'), 'run', '--no-handoff'], {
          env,
        });
      const caches = () =>
        readdirSync(join(root, 'dist'))
          .filter((name) => name.endsWith('.v8cache'))
          .sort();
      await run();
      expect(caches()).toEqual(['gigi-boot.cjs.run-first.v8cache']);
      expect(existsSync(join(env.GIGI_DATA_DIR!, VOLUME_ID_FILE))).toBe(true);
      await run();
      expect(caches()).toEqual(['gigi-boot.cjs.run-first.v8cache', 'gigi-boot.cjs.run-restart.v8cache']);
      rmSync(env.GIGI_DATA_DIR!, { recursive: true, force: true });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);
});
