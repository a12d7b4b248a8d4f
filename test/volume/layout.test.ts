// Which layout a volume has, read from its files on every start (src/boot/paths.ts): the bash
// entrypoint's (adopted in place) only while gigi-boot's own app.ini was never written, and never
// decided by following a link.
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeAdoption } from '../../src/boot/adoption.ts';
import { bootPaths, volumeLayout } from '../../src/boot/paths.ts';

function volume(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'layout-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('volume layout', () => {
  it("a fresh volume is gigi-boot's: app.ini in gitea/custom/conf, sqlite in gitea/data", () => {
    const dir = volume({});
    expect(volumeLayout(dir)).toBe('gigi-boot');
    expect(bootPaths({ dataDir: dir })).toMatchObject({
      appIni: join(dir, 'gitea', 'custom', 'conf', 'app.ini'),
      giteaDatabase: join(dir, 'gitea', 'data', 'gitea.db'),
    });
    expect(describeAdoption(dir, bootPaths({ dataDir: dir }))).toBeUndefined();
  });

  it("the seed's app.ini alone (marker or not) is the bash entrypoint's layout, kept in place", () => {
    const dir = volume({ 'gitea/conf/app.ini': '[server]\n', 'gitea/gitea.db': '' });
    expect(volumeLayout(dir)).toBe('bash-entrypoint');
    const paths = bootPaths({ dataDir: dir });
    expect(paths).toMatchObject({
      appIni: join(dir, 'gitea', 'conf', 'app.ini'),
      giteaDatabase: join(dir, 'gitea', 'gitea.db'),
    });
    expect(describeAdoption(dir, paths)?.outcome).toBe('volume:bash-entrypoint(no-marker)');
    writeFileSync(join(dir, '.aio-init-done'), '');
    expect(describeAdoption(dir, paths)?.outcome).toBe('volume:bash-entrypoint(marker)');
  });

  it("once gigi-boot's own app.ini exists, the volume is gigi-boot's whatever else is there", () => {
    const dir = volume({ 'gitea/conf/app.ini': '', 'gitea/custom/conf/app.ini': '' });
    expect(volumeLayout(dir)).toBe('gigi-boot');
  });

  it('a link counts as present and is never followed (lstat): a dangling one still picks the layout (reading it is for safe-fs to refuse)', () => {
    const dir = volume({});
    mkdirSync(join(dir, 'gitea', 'conf'), { recursive: true });
    symlinkSync('/nonexistent/app.ini', join(dir, 'gitea', 'conf', 'app.ini'));
    expect(volumeLayout(dir)).toBe('bash-entrypoint');
  });
});
