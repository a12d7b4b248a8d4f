// Nothing gigi-boot writes that holds a secret is readable by anyone but its owner. A real
// boot (embedded PGlite store: its WAL holds every secret) as root on a volume owned by the run
// user, then every file gigi-boot wrote is read as `nobody` — which must fail — while a file
// meant to be public (the volume id) is read as `nobody` to show the check itself works.
import { chownSync, chmodSync, lstatSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveRunAs } from '../../src/gitea/run-as.ts';
import { bootEnv, runCli } from '../support/boot-process.ts';
import { GITEA_TEST_USER, runAsUser } from '../support/system-users.ts';

let env: Record<string, string>;
let data: string;

/** Every file and directory below `dir`, with its mode. */
function tree(dir: string): { path: string; dir: boolean; mode: string }[] {
  const found: { path: string; dir: boolean; mode: string }[] = [];
  const walk = (path: string) => {
    const info = lstatSync(path);
    found.push({ path, dir: info.isDirectory(), mode: (info.mode & 0o7777).toString(8) });
    if (info.isDirectory()) for (const entry of readdirSync(path)) walk(join(path, entry));
  };
  walk(dir);
  return found;
}

/** The entries whose mode is not `dirs` for directories and `files` for files. */
function wrongModes(dir: string, dirs: string, files: string): string[] {
  return tree(dir)
    .filter((e) => e.mode !== (e.dir ? dirs : files))
    .map((e) => `${e.mode} ${e.path}`);
}

beforeAll(async () => {
  env = await bootEnv({ extra: { TELEGRAM_TOKEN: 'tg-modes:secret', CLAUDE_TOKEN: 'sk-modes-secret' } });
  data = env.GIGI_DATA_DIR!;
  const gigi = await resolveRunAs(GITEA_TEST_USER);
  chownSync(data, gigi.uid, gigi.gid);
  const boot = await runCli(['run', '--no-handoff'], env);
  expect(boot.code, boot.stdout + boot.stderr).toBe(0);
}, 300_000);

afterAll(() => rmSync(data, { recursive: true, force: true }));

describe('file modes after a boot as root (embedded store)', () => {
  it('the embedded store and gigi-boot’s own files: directories 0700, files 0600', () => {
    const bootDir = join(data, 'gigi-boot');
    expect(readdirSync(bootDir)).toEqual(
      expect.arrayContaining(['pglite', 'supervisord.conf', 'temporary-gitea.log']),
    );
    expect(wrongModes(bootDir, '700', '600')).toEqual([]);
    expect(statSync(bootDir).uid).toBe(0);
  });

  it('app.ini (SECRET_KEY, INTERNAL_TOKEN): 0600, owned by the run user Gitea runs as', async () => {
    const gigi = await resolveRunAs(GITEA_TEST_USER);
    const info = statSync(join(data, 'gitea', 'custom', 'conf', 'app.ini'));
    expect({ uid: info.uid, gid: info.gid, mode: (info.mode & 0o7777).toString(8) }).toEqual({
      uid: gigi.uid,
      gid: gigi.gid,
      mode: '600',
    });
  });

  it('nobody can read any file gigi-boot wrote; the public volume id shows the check can read', () => {
    const control = runAsUser('nobody', ['cat', join(data, '.gigi-boot-volume-id')]);
    expect(control.status, control.stderr).toBe(0);

    const written = [
      join(data, 'gitea', 'custom', 'conf', 'app.ini'),
      ...tree(join(data, 'gigi-boot'))
        .filter((e) => !e.dir)
        .map((e) => e.path),
    ];
    expect(written.length).toBeGreaterThan(100);
    const readable = written.filter((file) => runAsUser('nobody', ['cat', file]).status === 0);
    expect(readable).toEqual([]);
  });

  it('a store an older gigi-boot left world-readable is made private by the next open', async () => {
    const bootDir = join(data, 'gigi-boot');
    for (const entry of tree(bootDir)) chmodSync(entry.path, entry.dir ? 0o777 : 0o666);
    expect(wrongModes(bootDir, '700', '600')).not.toEqual([]);

    const inspect = await runCli(['inspect'], env);
    expect(inspect.code, inspect.stdout + inspect.stderr).toBe(0);
    // supervisord.conf and the log are rewritten by the next run, not by inspect.
    expect(wrongModes(join(bootDir, 'pglite'), '700', '600')).toEqual([]);
    expect((statSync(bootDir).mode & 0o7777).toString(8)).toBe('700');
  });
});
