// GIGI_IMAGE, the lean Gigi app image Dockerfile.aio copies /app from, has no default (no real
// name is published to default to): compose and a bare `docker build` both refuse to go on
// without it, each saying which variable is missing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
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

/** The gigi service's environment as `docker-compose config` renders it (`KEY: value` lines). */
function gigiEnvironment(rendered: string): Record<string, string> {
  const block = /\n {2}gigi:\n[\s\S]*?\n {4}environment:\n((?: {6}\S.*\n)+)/.exec(rendered)?.[1] ?? '';
  const env: Record<string, string> = {};
  for (const line of block.trimEnd().split('\n')) {
    const match = /^ {6}([A-Z_]+): (.*)$/.exec(line);
    if (match) env[match[1]!] = match[2] === "''" ? '' : match[2]!;
  }
  return env;
}

describe('app-only mode (GITEA_URL) from the compose file', () => {
  it("passes ADMIN_PASSWORD and WEBHOOK_URL through, and gigi-boot's config accepts what it renders", async () => {
    const appOnly = {
      ...envWithoutImage,
      GIGI_IMAGE: 'registry.example/gigi:1.2.3',
      GITEA_URL: 'https://git.example.com',
      ADMIN_PASSWORD: 'an-operator-admin-Passw0rd',
      WEBHOOK_URL: 'http://gigi:3000/webhook/gitea',
    };
    const result = await composeConfig(appOnly);
    expect(result.exitCode, result.stderr).toBe(0);
    const env = gigiEnvironment(result.stdout);
    expect(env).toMatchObject({
      GITEA_URL: appOnly.GITEA_URL,
      ADMIN_PASSWORD: appOnly.ADMIN_PASSWORD,
      WEBHOOK_URL: appOnly.WEBHOOK_URL,
    });
    const { config } = await loadConfig({ ...env, GIGI_DATA_DIR: tmpdir() });
    expect(config).toMatchObject({ giteaUrl: appOnly.GITEA_URL, webhookUrl: appOnly.WEBHOOK_URL });

    // Without WEBHOOK_URL the rendered environment is refused, naming it.
    const { WEBHOOK_URL: _w, ...withoutWebhook } = appOnly;
    const rendered = gigiEnvironment((await composeConfig(withoutWebhook)).stdout);
    await expect(loadConfig({ ...rendered, GIGI_DATA_DIR: tmpdir() })).rejects.toMatchObject({
      issues: [expect.stringMatching(/^WEBHOOK_URL: must be the Gigi app's address/)],
    });
  });
});
