// GIGI_IMAGE, the lean Gigi app image Dockerfile.aio copies /app from, has no default (no real
// name is published to default to): compose and a bare `docker build` both refuse to go on
// without it, each saying which variable is missing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/boot-process.ts';

const COMPOSE_FILE = join(REPO_ROOT, 'docker-compose.aio.yml');
const { GIGI_IMAGE: _unset, ...envWithoutImage } = process.env;

function composeConfig(env: NodeJS.ProcessEnv) {
  return execa('docker-compose', ['-f', COMPOSE_FILE, 'config'], {
    cwd: REPO_ROOT,
    env: { ...env, POSTGRES_PASSWORD: 'image-args-test' },
    extendEnv: false,
    reject: false,
  });
}

describe('GIGI_IMAGE is a required build arg', () => {
  it('compose refuses to start without it, naming it', async () => {
    const result = await composeConfig(envWithoutImage);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('set GIGI_IMAGE to the lean Gigi app image');
  });

  it('compose passes it to the build', async () => {
    const result = await composeConfig({ ...envWithoutImage, GIGI_IMAGE: 'registry.example/gigi:1.2.3' });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/args:\n\s+GIGI_IMAGE: registry\.example\/gigi:1\.2\.3\n/);
  });

  it('docker build of Dockerfile.aio without it stops at once, naming it', async () => {
    // An empty context: the build must fail on the FROM, before anything is downloaded or copied.
    const context = mkdtempSync(join(tmpdir(), 'gigi-aio-args-'));
    try {
      const result = await execa(
        'docker',
        ['build', '-q', '-f', join(REPO_ROOT, 'Dockerfile.aio'), context],
        { reject: false, timeout: 60_000 },
      );
      expect(result.exitCode).not.toBe(0);
      expect(result.stderr).toContain('base name (${GIGI_IMAGE}) should not be blank');
    } finally {
      rmSync(context, { recursive: true, force: true });
    }
  });
});
