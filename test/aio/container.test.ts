// The AIO image for real: Dockerfile.aio built from local stand-ins of its build args
// (test/support/aio-images.sh, cached between runs), started with docker-compose.aio.yml (and an
// override for the stand-ins), then checked from outside the container: the boot completes,
// supervisord runs every program, the app sees the config, noVNC answers, a CDP client opens a
// page through the relay; a restart is a warm boot; `docker kill` mid-boot resumes; `docker stop`
// is clean and quick (and the restart renders supervisord.conf again); the No Chrome and App
// only modes start only what they should.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGiteaUser, startSimulator, type RunningSimulator } from '../gitea-sim/harness.ts';
import {
  AIO_IMAGE,
  ALL_PROGRAMS,
  containerLogs,
  docker,
  inspectField,
  programStates,
} from '../support/aio-docker.ts';
import { waitFor } from '../support/wait.ts';
import { REPO_ROOT } from '../support/boot-process.ts';
import { stopProcessGroup, waitForHttp } from '../support/aio-processes.ts';
import { testServerUrl } from '../support/env.ts';
import { createTestDatabase, freePort } from '../support/postgres.ts';
import { HEADLESS_CHROMIUM_FLAGS } from '../support/chromium.ts';

// GIGI_AIO_TEST_IMAGE: as test/support/aio-images.sh, another tag for a branch's image.
const IMAGE = AIO_IMAGE;
const PROJECT = 'gigiaiotest';
const CONF = '/data/gigi-boot/supervisord.conf';

let work: string;
const composeEnv = {
  ...process.env,
  POSTGRES_PASSWORD: 'aio-test-postgres-password',
  GIGI_IMAGE: 'gigi-aio-test/app:latest',
  GIGI_AIO_IMAGE: IMAGE,
};

function compose(...args: string[]) {
  return execa(
    'docker-compose',
    [
      '-p',
      PROJECT,
      '-f',
      join(REPO_ROOT, 'docker-compose.aio.yml'),
      '-f',
      join(work, 'override.yml'),
      ...args,
    ],
    { cwd: REPO_ROOT, env: composeEnv },
  );
}

async function containerOf(service: string): Promise<string> {
  const { stdout } = await compose('ps', '-q', service);
  if (!stdout.trim()) throw new Error(`compose service ${service} has no container`);
  return stdout.trim();
}

const logsOf = containerLogs;

/** The container's address on its (first) network. */
async function addressOf(container: string): Promise<string> {
  return (await inspectField(container, '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}')).split(
    ' ',
  )[0]!;
}

async function allRunning(container: string, expected: string[]): Promise<Record<string, string>> {
  return waitFor(
    `programs ${expected.join(', ')} RUNNING`,
    async () => {
      const states = await programStates(container);
      const names = Object.keys(states).sort();
      return JSON.stringify(names) === JSON.stringify([...expected].sort()) &&
        Object.values(states).every((s) => s === 'RUNNING')
        ? states
        : undefined;
    },
    { timeout: 120_000, interval: 1_000, diagnostics: () => logsOf(container) },
  );
}

interface Health {
  config: { keys?: string[]; giteaUrl?: string; error?: string };
  env: Record<string, string | undefined>;
  user: string;
  gitea: { status?: number; error?: string };
  chrome: { status?: number; body?: { Browser?: string }; error?: string };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'gigi-aio-container-'));
  await execa('bash', [join(REPO_ROOT, 'test', 'support', 'aio-images.sh')], { stdio: 'inherit' });
  writeFileSync(
    join(work, 'override.yml'),
    [
      'services:',
      '  gigi:',
      '    environment:',
      '      # The stand-in boots need no runner-worker image (its base cannot be pulled here).',
      '      GIGI_BOOT_DOCKER_SOCKET: /nonexistent/docker.sock',
      "      GIGI_BOOT_DOCKER_SOCKET_WAIT: '0'",
      '  postgres:',
      '    image: gigi-aio-test/postgres:latest',
      '',
    ].join('\n'),
  );
  await compose('down', '-v', '--remove-orphans').catch(() => undefined);
}, 1_800_000);

afterAll(async () => {
  if (process.env.GIGI_AIO_KEEP !== '1')
    await compose('down', '-v', '--remove-orphans').catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
}, 120_000);

describe('docker-compose.aio.yml with the AIO image', () => {
  let gigi: string;

  it('first boot completes and hands off: every program RUNNING, the app sees the config', async () => {
    await compose('up', '-d', '--no-build');
    gigi = await containerOf('gigi');
    const health = await waitFor(
      'the app /health with the config table',
      async () => {
        const body = (await (
          await fetch('http://127.0.0.1:3100/health', { signal: AbortSignal.timeout(20_000) })
        ).json()) as Health;
        return body.config.keys && body.chrome.status === 200 && body.gitea.status === 200 ? body : undefined;
      },
      { timeout: 300_000, interval: 1_000, diagnostics: () => logsOf(gigi) },
    );
    expect(health.config.keys).toEqual(
      expect.arrayContaining(['admin_user', 'gitea_token', 'gitea_url', 'webhook_secret']),
    );
    expect(health.config.giteaUrl).toBe('http://localhost:3300');
    expect(health.env).toMatchObject({
      GITEA_URL: 'http://localhost:3300',
      CHROME_CDP_URL: 'http://localhost:9223',
      // The bash entrypoint's defaults with the internal Chrome.
      BROWSER_MODE: 'chrome',
      BROWSER_VIEW_URL: '/browser/',
      HOME: '/home/gigi',
      ADMIN_PASSWORD: 'absent',
    });
    expect(health.user).toBe('gigi');
    expect(health.chrome.body?.Browser).toMatch(/Chrome/);
    await allRunning(gigi, ALL_PROGRAMS);
    const logs = await logsOf(gigi);
    expect(logs).toContain('handing off to supervisord');
    expect(logs).not.toContain('aio-test-postgres-password');
    // The app's Gitea templates are linked into Gitea's custom path.
    const { stdout: link } = await docker('exec', gigi, 'readlink', '/data/gitea/custom/templates');
    expect(link).toBe('/app/gitea/custom/templates');
    // The image's health check agrees.
    await docker('exec', gigi, '/opt/gigi-boot/aio/healthcheck.sh');
  });

  it("the image as the seed's plan has it: curl, the Claude Code CLI, /data/workspace, app logs in docker logs", async () => {
    // The prod stack's health check, as it is written there.
    await docker('exec', gigi, 'curl', '-f', 'http://localhost:3000/health');
    const { stdout: claude } = await docker('exec', '-u', 'gigi', gigi, 'claude', '--version');
    expect(claude).toMatch(/\d+\.\d+\.\d+ \(Claude Code\)/);
    const { stdout: dirs } = await docker(
      'exec',
      gigi,
      'stat',
      '-c',
      '%n %U %F',
      '/data/workspace',
      '/data/chrome-profile',
    );
    expect(dirs.split('\n')).toEqual([
      '/data/workspace gigi directory',
      '/data/chrome-profile gigi directory',
    ]);
    // The app's own lines are the container's log, not a file under /var/log/gigi.
    expect(await logsOf(gigi)).toMatch(/gigi-aio-test-app listening on :3000 as gigi/);
    await expect(docker('exec', gigi, 'test', '-e', '/var/log/gigi/gigi.log')).rejects.toThrow();
  });

  it('`supervisorctl status` works as typed and shows every program RUNNING', async () => {
    const { stdout, exitCode } = await docker('exec', gigi, 'supervisorctl', 'status');
    expect(exitCode).toBe(0);
    const rows = stdout.split('\n').map((l) => l.trim().split(/\s+/).slice(0, 2));
    expect(rows.map(([name]) => name).sort()).toEqual([...ALL_PROGRAMS].sort());
    expect(rows.every(([, state]) => state === 'RUNNING')).toBe(true);
  });

  it("Chromium keeps its profile at /data/chrome-profile and fills the seed's 1920x1080 Xvfb screen", async () => {
    const { stdout: cmd } = await docker('exec', gigi, 'pgrep', '-a', '-o', '-x', 'chromium');
    expect(cmd).toContain('--user-data-dir=/data/chrome-profile');
    await waitFor(
      'Chromium to write its profile',
      async () =>
        (await docker('exec', gigi, 'test', '-d', '/data/chrome-profile/Default').then(() => true)) ||
        undefined,
      { timeout: 30_000, interval: 1_000 },
    );
    const { stdout: xvfb } = await docker('exec', gigi, 'pgrep', '-a', '-x', 'Xvfb');
    expect(xvfb).toContain('-screen 0 1920x1080x24');
    const browser = await chromium.connectOverCDP(`http://${await addressOf(gigi)}:9223`, {
      timeout: 30_000,
    });
    try {
      const context = browser.contexts()[0] ?? (await browser.newContext());
      const page = await context.newPage();
      expect(await page.evaluate('[screen.width, screen.height, screen.colorDepth]')).toEqual([
        1920, 1080, 24,
      ]);
      await page.close();
    } finally {
      await browser.close();
    }
  });

  it('noVNC answers on :6080', async () => {
    const res = await waitForHttp('http://127.0.0.1:6080/vnc.html', 30_000);
    expect(await res.text()).toContain('noVNC');
  });

  it("a CDP client opens a page in the container's Chromium through the relay on :9223", async () => {
    const address = await addressOf(gigi);
    const browser = await chromium.connectOverCDP(`http://${address}:9223`, { timeout: 30_000 });
    try {
      const context = browser.contexts()[0] ?? (await browser.newContext());
      const page = await context.newPage();
      await page.setContent('<title>inside the aio</title><p id="x">hello</p>');
      expect(await page.title()).toBe('inside the aio');
      expect(await page.textContent('#x')).toBe('hello');
      await page.close();
    } finally {
      await browser.close();
    }
  });

  describe("behind the prod Caddyfile (Debian's caddy on the compose network)", () => {
    let caddy: string;
    let network: string;
    let client: string;
    /**
     * curl, in a client container on the compose network (as the runner and the other services
     * are), through Caddy at prod.gigi.local (its network alias; self-signed certificate).
     */
    const inNetwork = (...args: string[]) => docker('exec', client, 'curl', ...args);
    const viaCaddy = async (path: string, scheme: 'https' | 'http' = 'https', extra: string[] = []) => {
      const { stdout } = await inNetwork(
        '-sk',
        '--max-time',
        '20',
        ...extra,
        '-w',
        '\n%{http_code}',
        `${scheme}://prod.gigi.local${path}`,
      ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
      const cut = stdout.lastIndexOf('\n');
      return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) };
    };

    beforeAll(async () => {
      // Caddy: the host's Debian caddy on the stand-in base (no image can be pulled here).
      const ctx = join(work, 'caddy');
      await execa('mkdir', ['-p', join(ctx, 'certs')]);
      await execa('cp', ['/usr/bin/caddy', join(ctx, 'caddy')]);
      writeFileSync(
        join(ctx, 'Dockerfile'),
        'FROM gigi-aio-test/bookworm:latest\nCOPY caddy /usr/bin/caddy\nENTRYPOINT ["/usr/bin/caddy"]\n',
      );
      await docker('build', '-q', '-t', 'gigi-aio-test/caddy:latest', ctx);
      await execa('openssl', [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=prod.gigi.local',
        '-addext',
        'subjectAltName=DNS:prod.gigi.local',
        '-keyout',
        join(ctx, 'certs', 'prod.gigi.local.key'),
        '-out',
        join(ctx, 'certs', 'prod.gigi.local.crt'),
      ]);
      chmodSync(join(ctx, 'certs', 'prod.gigi.local.key'), 0o644);
      network = await inspectField(gigi, '{{range $name, $_ := .NetworkSettings.Networks}}{{$name}}{{end}}');
      const { stdout: id } = await docker(
        'run',
        '-d',
        '--network',
        network,
        '--network-alias',
        'prod.gigi.local',
        '-v',
        `${join(REPO_ROOT, 'test', 'aio', 'fixtures', 'Caddyfile.prod')}:/etc/caddy/Caddyfile:ro`,
        '-v',
        `${join(ctx, 'certs')}:/certs:ro`,
        'gigi-aio-test/caddy:latest',
        'run',
        '--config',
        '/etc/caddy/Caddyfile',
        '--adapter',
        'caddyfile',
      );
      caddy = id.trim();
      const { stdout: clientId } = await docker(
        'run',
        '-d',
        '--network',
        network,
        '--entrypoint',
        'sleep',
        IMAGE,
        'infinity',
      );
      client = clientId.trim();
      await waitFor(
        'Caddy to answer /health',
        async () => {
          const { status, body } = await viaCaddy('/health');
          if (status !== 200) throw new Error(`HTTP ${status} ${body.slice(0, 200)}`);
          return true;
        },
        { timeout: 60_000, interval: 1_000, diagnostics: () => logsOf(caddy) },
      );
    }, 120_000);

    afterAll(async () => {
      for (const id of [caddy, client]) if (id) await docker('rm', '-f', id).catch(() => undefined);
    });

    it("/health is the app's (the prod health check's route)", async () => {
      const { status, body } = await viaCaddy('/health');
      expect(status).toBe(200);
      expect((JSON.parse(body) as Health).config.keys).toEqual(expect.arrayContaining(['gitea_token']));
    });

    it('/browser/ is noVNC, and its WebSocket reaches the VNC server', async () => {
      const page = await viaCaddy('/browser/vnc.html');
      expect(page.status).toBe(200);
      expect(page.body).toContain('noVNC');
      // What vnc.html does next: a WebSocket to /browser/websockify, which the VNC server
      // greets (RFB protocol version) in the first frame.
      const upgrade = await viaCaddy('/browser/websockify', 'https', [
        '--http1.1',
        '-i',
        '-N',
        '--max-time',
        '5',
        '-H',
        'Connection: Upgrade',
        '-H',
        'Upgrade: websocket',
        '-H',
        'Sec-WebSocket-Version: 13',
        '-H',
        `Sec-WebSocket-Key: ${Buffer.from('gigi-aio-test-ws').toString('base64')}`,
        '-H',
        'Sec-WebSocket-Protocol: binary',
      ]);
      expect(upgrade.body).toMatch(/^HTTP\/1\.1 101 /);
      const greeting = upgrade.body.slice(upgrade.body.indexOf('\r\n\r\n') + 4);
      expect(greeting).toMatch(/RFB 003\.00\d\n/);
    });

    it("the act_runner's view: from another container on the compose network, Gitea's API on gigi:3300 answers", async () => {
      const { stdout } = await inNetwork('-fsS', '--max-time', '20', 'http://gigi:3300/api/v1/version');
      expect(JSON.parse(stdout)).toEqual({ version: expect.any(String) as string });
    });

    it('/v2/ goes to the internal Gitea (the registry the runner pulls from)', async () => {
      // As Gitea itself answers /v2/ on gigi:3300, seen from the compose network.
      const direct = await inNetwork(
        '-s',
        '--max-time',
        '20',
        '-w',
        '\n%{http_code}',
        'http://gigi:3300/v2/',
      );
      const cut = direct.stdout.lastIndexOf('\n');
      const viaProxy = await viaCaddy('/v2/');
      expect(viaProxy.status).not.toBe(502);
      expect(viaProxy).toEqual({
        status: Number(direct.stdout.slice(cut + 1)),
        body: direct.stdout.slice(0, cut),
      });
    });

    it('port 80 redirects to https', async () => {
      const { status } = await viaCaddy('/health', 'http');
      expect(status).toBe(301);
    });
  });

  it('docker stop is clean and quick; a restart is a warm boot that hands off again', async () => {
    const t0 = Date.now();
    await docker('stop', '-t', '10', gigi);
    const elapsed = Date.now() - t0;
    const { stdout: code } = await docker('inspect', '-f', '{{.State.ExitCode}}', gigi);
    expect(code.trim()).toBe('0');
    expect(elapsed).toBeLessThan(10_000);

    // A supervisord.conf edited on the volume (or left by an older image) does not survive a
    // start: the warm boot renders it again, so `stale` is not started and every program is.
    const stale = join(work, 'stale-supervisord.conf');
    writeFileSync(stale, '[supervisord]\nnodaemon=true\n[program:stale]\ncommand=/bin/sleep infinity\n');
    await docker('cp', stale, `${gigi}:${CONF}`);

    const before = (await logsOf(gigi)).length;
    await docker('start', gigi);
    await allRunning(gigi, ALL_PROGRAMS);
    const restartLogs = (await logsOf(gigi)).slice(before);
    expect(restartLogs).toContain('already initialised');
    expect(restartLogs).toContain(`rendered ${CONF} from the current configuration`);
    expect(restartLogs).toContain('handing off to supervisord');
    await waitForHttp('http://127.0.0.1:3100/health', 60_000);
  });
});

describe('docker run of the AIO image alone (embedded PGlite)', () => {
  const started: string[] = [];
  afterAll(async () => {
    for (const id of started) await docker('rm', '-f', '-v', id).catch(() => undefined);
  });

  /** `docker run -d` of the image with no engine for the runner build; removed after the suite. */
  async function runWithoutEngine(...args: string[]): Promise<string> {
    const { stdout } = await docker(
      'run',
      '-d',
      ...args,
      '-e',
      'GIGI_BOOT_DOCKER_SOCKET=/nonexistent/docker.sock',
      '-e',
      'GIGI_BOOT_DOCKER_SOCKET_WAIT=0',
      IMAGE,
    );
    started.push(stdout.trim());
    return stdout.trim();
  }

  it('No Chrome mode (CHROME_CDP_URL set): only Gitea and the app', async () => {
    const id = await runWithoutEngine('-e', 'CHROME_CDP_URL=http://chrome.example:9222');
    const states = await allRunning(id, ['fatal-listener', 'gigi', 'gitea']);
    expect(states).not.toHaveProperty('chromium');
  });

  it('docker kill mid-boot: the next start resumes and completes', async () => {
    const faults = join(work, 'faults');
    rmSync(faults, { recursive: true, force: true });
    await execa('mkdir', ['-p', faults]);
    chmodSync(faults, 0o777);
    // The temporary Gitea takes 20 s to answer: the boot is caught waiting for its API.
    writeFileSync(join(faults, 'faults.json'), JSON.stringify({ startupDelayMs: 20_000 }));
    const id = await runWithoutEngine(
      '-v',
      `${faults}:/faults`,
      '-e',
      'GITEA_SIM_FAULTS=/faults/faults.json',
    );
    await waitFor(
      'the boot to start Gitea',
      async () => (/startGitea|awaitApi/.test(await logsOf(id)) ? true : undefined),
      { timeout: 120_000, interval: 1_000 },
    );
    await docker('kill', id);
    const before = (await logsOf(id)).length;
    writeFileSync(join(faults, 'faults.json'), JSON.stringify({ startupDelayMs: 0 }));
    await docker('start', id);
    await allRunning(id, ALL_PROGRAMS);
    const logs = (await logsOf(id)).slice(before);
    expect(logs).toMatch(/resum/i);
    expect(logs).toContain('handing off to supervisord');
  });
});

describe('App only (GITEA_URL and CHROME_CDP_URL set): the Gitea and Chromium of the host', () => {
  let dir: string;
  let gitea: RunningSimulator | undefined;
  let browser: ChildProcess | undefined;
  let container: string | undefined;

  afterAll(async () => {
    if (container) await docker('rm', '-f', '-v', container).catch(() => undefined);
    if (browser) await stopProcessGroup(browser, 5_000);
    await gitea?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** An account in the operator's Gitea, made with its own CLI; returns the generated password. */
  const giteaUser = (args: string[]) => createGiteaUser(gitea!.configPath, args);

  it('only the app runs; the boot sets up the external Gitea and the app sees the config', async () => {
    dir = mkdtempSync(join(tmpdir(), 'gigi-aio-app-only-'));
    chmodSync(dir, 0o755); // the simulator runs as the unprivileged Gitea user
    gitea = await startSimulator({ dir: join(dir, 'gitea'), port: await freePort() });
    const adminPassword = await giteaUser([
      '--username',
      'ops-admin',
      '--email',
      'ops@example.com',
      '--admin',
    ]);
    await giteaUser(['--username', 'gigi', '--email', 'gigi@example.com']);

    const cdpPort = await freePort();
    const out = openSync(join(dir, 'chromium.log'), 'a');
    browser = spawn(
      'chromium',
      [
        ...HEADLESS_CHROMIUM_FLAGS,
        `--remote-debugging-port=${cdpPort}`,
        `--user-data-dir=${join(dir, 'profile')}`,
      ],
      { stdio: ['ignore', out, out], detached: true },
    );
    closeSync(out);
    const cdpUrl = `http://127.0.0.1:${cdpPort}`;
    await waitForHttp(`${cdpUrl}/json/version`, 30_000, () =>
      readFileSync(join(dir, 'chromium.log'), 'utf8'),
    );

    // The host's network: the container reaches the host's Gitea, Chromium and Postgres on
    // loopback, and the app listens on a free port of the host.
    const appPort = await freePort();
    const databaseUrl = await createTestDatabase(testServerUrl(), 'aioapp');
    const { stdout } = await docker(
      'run',
      '-d',
      '--network',
      'host',
      '-e',
      `DATABASE_URL=${databaseUrl}`,
      '-e',
      `GITEA_URL=${gitea.url}`,
      '-e',
      'ADMIN_USER=ops-admin',
      '-e',
      `ADMIN_PASSWORD=${adminPassword}`,
      '-e',
      `CHROME_CDP_URL=${cdpUrl}`,
      '-e',
      `PORT=${appPort}`,
      '-e',
      `GIGI_HEALTH_PORT=${appPort}`,
      '-e',
      'GIGI_BOOT_DOCKER_SOCKET=/nonexistent/docker.sock',
      '-e',
      'GIGI_BOOT_DOCKER_SOCKET_WAIT=0',
      IMAGE,
    );
    container = stdout.trim();
    const id = container;

    const health = await waitFor(
      'the app /health with the config table',
      async () => {
        const body = (await (
          await fetch(`http://127.0.0.1:${appPort}/health`, { signal: AbortSignal.timeout(20_000) })
        ).json()) as Health;
        return body.config.keys && body.gitea.status === 200 && body.chrome.status === 200 ? body : undefined;
      },
      { timeout: 180_000, interval: 1_000, diagnostics: () => logsOf(id) },
    );
    expect(health.config.keys).toEqual(expect.arrayContaining(['admin_user', 'gitea_token', 'gitea_url']));
    expect(health.config.keys).not.toContain('admin_password'); // the operator's, not ours to store
    expect(health.config.giteaUrl).toBe(gitea.url);
    expect(health.env).toMatchObject({
      GITEA_URL: gitea.url,
      CHROME_CDP_URL: `${cdpUrl}/`, // as gigi-boot normalises it
      ADMIN_PASSWORD: 'absent',
    });
    expect(health.chrome.body?.Browser).toMatch(/Chrome/);

    const states = await allRunning(id, ['fatal-listener', 'gigi']);
    expect(Object.keys(states).sort()).toEqual(['fatal-listener', 'gigi']);
    const logs = await logsOf(id);
    expect(logs).toContain('Gitea external, Chrome external');
    expect(logs).toMatch(/"step":"checkExternalGitea"/);
    expect(logs).not.toMatch(/"step":"(writeAppIni|startGitea|stopGitea)"/);
    expect(logs).toContain('boot completed');
    expect(logs).toContain('handing off to supervisord');
    expect(logs).not.toContain(adminPassword);
    // The image's health check agrees (supervisorctl + the app on GIGI_HEALTH_PORT).
    await docker('exec', id, '/opt/gigi-boot/aio/healthcheck.sh');
  }, 300_000);
});
