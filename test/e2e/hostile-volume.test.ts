// The data volume belongs to the unprivileged `gigi` user (Dockerfile.aio chowns /data), and
// gigi-boot runs as root: whatever `gigi` plants there must never make root chown, write or
// read through a link. Each case plants as `gigi` (setpriv), runs the real `gigi-boot run`
// as root, and checks that the link's target — a root-owned directory outside the volume
// standing in for /etc or /root — is exactly as it was, and that the boot refused, naming
// the path. Never a real system directory.
import {
  chownSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bootEnv, runCli, type CliResult } from '../support/boot-process.ts';
import { resolveRunAs } from '../../src/gitea/run-as.ts';
import { chromeProfileDir, workspaceDir } from '../../src/supervisor/programs.ts';
import { testServerUrl } from '../support/env.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { GITEA_TEST_USER, plantAsGigi } from '../support/system-users.ts';

const cleanups: string[] = [];
afterEach(() => {
  for (const dir of cleanups.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A volume as the image has it: the data dir owned by the run user. */
async function gigiOwnedVolume({ postgres = false } = {}): Promise<Record<string, string>> {
  // Postgres where the case is not about the embedded store: PGlite's first open is slow.
  const env = await bootEnv(
    postgres ? { databaseUrl: await createTestDatabase(testServerUrl(), 'hostile') } : {},
  );
  cleanups.push(env.GIGI_DATA_DIR!);
  const gigi = await resolveRunAs(GITEA_TEST_USER);
  chownSync(env.GIGI_DATA_DIR!, gigi.uid, gigi.gid);
  return env;
}

/** A root-owned directory outside the volume with a root-only secret in it: what a link aims at. */
function rootOnlyTarget(): { dir: string; secret: string; text: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gigi-victim-'));
  cleanups.push(dir);
  const secret = join(dir, 'secret');
  const text = `TOP-SECRET-${process.pid}-root-only\n`;
  writeFileSync(secret, text, { mode: 0o600 });
  return { dir, secret, text };
}

function expectUntouched(target: { dir: string; secret: string; text: string }): void {
  const info = statSync(target.dir);
  expect({ uid: info.uid, gid: info.gid, mode: (info.mode & 0o7777).toString(8) }).toEqual({
    uid: 0,
    gid: 0,
    mode: '700',
  });
  expect(readdirSync(target.dir)).toEqual(['secret']);
  const secret = statSync(target.secret);
  expect({ uid: secret.uid, mode: (secret.mode & 0o7777).toString(8) }).toEqual({ uid: 0, mode: '600' });
  expect(readFileSync(target.secret, 'utf8')).toBe(target.text);
}

function output(result: CliResult): string {
  return result.stdout + result.stderr;
}

const run = (env: Record<string, string>) => runCli(['run', '--no-handoff'], env);

/**
 * `gigi` links `pathIn(dataDir)` to a root-only dir: the first boot refuses it naming the path
 * and the target is as it was; the link removed, the next boot completes.
 */
async function refusedThenRemoved(pathIn: (dataDir: string) => string) {
  const env = await gigiOwnedVolume({ postgres: true });
  const path = pathIn(env.GIGI_DATA_DIR!);
  const target = rootOnlyTarget();
  plantAsGigi(['ln', '-s', target.dir, path]);

  const first = await run(env);
  expect(first.code, output(first)).toBe(1);
  expect(output(first)).toContain(`${path} is a symbolic link`);
  expectUntouched(target);

  plantAsGigi(['rm', path]);
  const second = await run(env);
  expect(second.code, output(second)).toBe(0);
  return { env, path, target };
}

describe('links the run user plants on the volume (gigi-boot as root)', () => {
  it('chrome-profile -> a root dir: the first boot and every warm start refuse it, the target keeps its owner', async () => {
    const { env, path: profile, target } = await refusedThenRemoved(chromeProfileDir);

    // Planted again, the warm start (which renders again) refuses.
    plantAsGigi(['rm', '-r', profile]);
    plantAsGigi(['ln', '-s', target.dir, profile]);
    const warm = await run(env);
    expect(warm.code, output(warm)).toBe(1);
    expect(warm.stderr).toContain(`${profile} is a symbolic link`);
    expect(warm.stderr).toContain(`Remove ${profile}`);
    expectUntouched(target);
  });

  it("workspace -> a root dir: the boot refuses it, the target keeps its owner; removed, the boot makes it, the run user's", async () => {
    const { path: workspace } = await refusedThenRemoved(workspaceDir);
    const made = lstatSync(workspace);
    expect(made.isDirectory()).toBe(true);
    expect(made.uid).toBe((await resolveRunAs(GITEA_TEST_USER)).uid);
  });

  it.each(['gitea', 'gitea/custom', 'gitea/custom/conf', 'gitea/data', 'gitea/log'])(
    '%s -> a root dir: writeAppIni refuses it, nothing is chowned or written there',
    async (planted) => {
      const env = await gigiOwnedVolume({ postgres: true });
      const data = env.GIGI_DATA_DIR!;
      const target = rootOnlyTarget();
      const parent = join(data, planted, '..');
      if (parent !== data) plantAsGigi(['mkdir', '-p', parent]);
      plantAsGigi(['ln', '-s', target.dir, join(data, planted)]);

      const result = await run(env);
      expect(result.code, output(result)).toBe(1);
      expect(output(result)).toContain(`${join(data, planted)} is a symbolic link`);
      expectUntouched(target);
      expect(lstatSync(join(data, planted)).isSymbolicLink()).toBe(true);
    },
  );

  it('app.ini -> a root-only file: not read, not copied into a file the run user can read', async () => {
    const env = await gigiOwnedVolume({ postgres: true });
    const data = env.GIGI_DATA_DIR!;
    const target = rootOnlyTarget();
    const conf = join(data, 'gitea', 'custom', 'conf');
    plantAsGigi(['mkdir', '-p', conf]);
    plantAsGigi(['ln', '-s', target.secret, join(conf, 'app.ini')]);

    const result = await run(env);
    expect(result.code, output(result)).toBe(1);
    expect(output(result)).toContain(`${join(conf, 'app.ini')} is a symbolic link`);
    expect(output(result)).not.toContain('TOP-SECRET');
    expectUntouched(target);
    expect(lstatSync(join(conf, 'app.ini')).isSymbolicLink()).toBe(true);
    expect(readdirSync(conf)).toEqual(['app.ini']);
  });

  it('gigi-boot -> a root dir: the embedded database is not created through it', async () => {
    const env = await gigiOwnedVolume();
    const data = env.GIGI_DATA_DIR!;
    const target = rootOnlyTarget();
    plantAsGigi(['ln', '-s', target.dir, join(data, 'gigi-boot')]);

    const result = await run(env);
    expect(result.code, output(result)).toBe(1);
    expect(result.stderr).toContain(`${join(data, 'gigi-boot')} is a symbolic link`);
    expectUntouched(target);
  });

  it('a gigi-boot dir the run user made itself: refused, the secrets never go into it', async () => {
    const env = await gigiOwnedVolume();
    const data = env.GIGI_DATA_DIR!;
    plantAsGigi(['mkdir', '-m', '0777', join(data, 'gigi-boot')]);

    const result = await run(env);
    expect(result.code, output(result)).toBe(1);
    expect(result.stderr).toContain(`${join(data, 'gigi-boot')} belongs to uid`);
    expect(readdirSync(join(data, 'gigi-boot'))).toEqual([]);
  });

  it('the volume id file -> a root-only file: refused without printing a byte of it', async () => {
    const env = await gigiOwnedVolume({ postgres: true });
    const data = env.GIGI_DATA_DIR!;
    const target = rootOnlyTarget();
    plantAsGigi(['ln', '-s', target.secret, join(data, '.gigi-boot-volume-id')]);

    const result = await run(env);
    expect(result.code, output(result)).toBe(1);
    expect(output(result)).toContain(`${join(data, '.gigi-boot-volume-id')} is a symbolic link`);
    expect(output(result)).not.toContain('TOP-SECRET');
    const inspect = await runCli(['inspect', '--json'], env);
    expect(inspect.stdout + inspect.stderr).not.toContain('TOP-SECRET');
    expectUntouched(target);
  });
});
