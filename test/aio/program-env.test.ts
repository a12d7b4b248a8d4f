// Each supervised program gets only the environment it needs (issue 9 item 4), proven on real
// processes: gigi-boot's real hand-off starts real supervisord on the config the renderer
// produces for the AIO mode, and /proc/<pid>/environ of supervisord and of every program is read.
// The programs' commands are stand-ins (`sleep`), since what is under test is the environment and
// user supervisord gives each one; the rendered file itself is checked to be root-only (0600).
import { type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { renderHandOff } from '../../src/boot/steps/hand-off.ts';
import { bootPaths } from '../../src/boot/paths.ts';
import { loadConfig } from '../../src/config/index.ts';
import { lazyRunAs } from '../../src/gitea/run-as.ts';
import { appEnvironment } from '../../src/supervisor/hand-off.ts';
import { aioDir, supervisorPaths } from '../../src/supervisor/paths.ts';
import { programsFor } from '../../src/supervisor/programs.ts';
import { renderSupervisordConf } from '../../src/supervisor/render.ts';
import { SIMULATOR_BIN } from '../support/boot-process.ts';
import { GITEA_TEST_USER } from '../support/system-users.ts';
import { exec, spawnHandOff, supervisorStates } from '../support/aio-processes.ts';

const SECRETS = {
  DATABASE_URL: 'postgres://gigi:db-secret-pw-4711@127.0.0.1:1/gigi',
  TELEGRAM_TOKEN: 'telegram-secret-4711',
  CLAUDE_TOKEN: 'claude-secret-4711',
};
const BOOT_ONLY = { ADMIN_PASSWORD: 'admin-secret-4711', GITEA__security__SECRET_KEY: 'gitea-secret-4711' };
const SECRET_VALUES = [
  'db-secret-pw-4711',
  'telegram-secret-4711',
  'claude-secret-4711',
  'admin-secret-4711',
  'gitea-secret-4711',
];

let dataDir: string;
let deployment: Record<string, string>;
let child: ChildProcess;
let conf: string;

function environOf(pid: number): string[] {
  return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
}

const status = () => supervisorStates(conf);

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'gigi-program-env-'));
  chmodSync(dataDir, 0o755);
  deployment = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LANG: 'C.UTF-8',
    HOME: '/root',
    GIGI_DATA_DIR: dataDir,
    GIGI_BOOT_GITEA_USER: GITEA_TEST_USER,
    GITEA_BIN: SIMULATOR_BIN,
    APP_FEATURE_FLAG: 'on',
    ...SECRETS,
    ...BOOT_ONLY,
  };
  const paths = supervisorPaths({ dataDir });
  conf = paths.confFile;
  mkdirSync(join(dataDir, 'gigi-boot'), { recursive: true });
  const programs = programsFor(
    { gitea: 'internal', chrome: 'internal', docker: false },
    {
      dataDir,
      giteaBin: SIMULATOR_BIN,
      giteaConfigPath: join(dataDir, 'gitea', 'custom', 'conf', 'app.ini'),
      giteaWorkDir: '/tmp',
      runUser: GITEA_TEST_USER,
      runUserHome: `/home/${GITEA_TEST_USER}`,
      giteaUrl: 'http://localhost:3300',
      chromeCdpUrl: 'http://localhost:9223',
      browserMode: 'chrome',
      browserViewUrl: '/browser/',
      appDir: '/tmp',
      aioDir: aioDir(),
      novncDir: '/usr/share/novnc',
      fatalFile: paths.fatalFile,
      appEnvironment: appEnvironment(deployment),
    },
  ).map((p) => (p.events ? p : { ...p, command: 'sleep 600', directory: '/tmp' }));
  writeFileSync(
    conf,
    renderSupervisordConf(programs, {
      logDir: paths.logDir,
      socketPath: paths.socketPath,
      pidFile: paths.pidFile,
      runsAsRoot: true,
    }),
    { mode: 0o600 },
  );
  const outFile = join(dataDir, 'container.log');
  // The container's environment, secrets and boot-only variables included, as Docker gives it.
  child = spawnHandOff(deployment, outFile);
}, 60_000);

afterAll(async () => {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the environment of each supervised program', () => {
  it("supervisord holds no secret; the app alone gets the deployment's variables; the rest a minimal env", async () => {
    const names = ['gigi', 'gitea', 'xvfb', 'chromium', 'x11vnc', 'websockify', 'cdp-relay'];
    await expect
      .poll(
        async () => {
          const s = await status();
          return names.every((n) => s[n] === 'RUNNING');
        },
        { timeout: 30_000 },
      )
      .toBe(true);
    const supervisord = Number(readFileSync(supervisorPaths({ dataDir }).pidFile, 'utf8'));
    const environs: Record<string, string[]> = { supervisord: environOf(supervisord) };
    for (const name of names) {
      const { stdout } = await exec('supervisorctl', ['-c', conf, 'pid', name]);
      environs[name] = environOf(Number(stdout.trim()));
    }

    const app = environs.gigi!;
    for (const [name, value] of Object.entries(SECRETS)) expect(app).toContain(`${name}=${value}`);
    expect(app).toContain('APP_FEATURE_FLAG=on');
    expect(app).toContain('GITEA_URL=http://localhost:3300');
    expect(app.some((v) => v.startsWith('ADMIN_PASSWORD=') || v.startsWith('GITEA__'))).toBe(false);

    // Only the base (PATH, locale), what supervisord adds (SUPERVISOR_*, and HOME/USER/… for
    // user=), and the program's own settings.
    const own: Record<string, string[]> = {
      supervisord: [],
      gitea: ['GITEA_WORK_DIR'],
      chromium: ['DISPLAY'],
      xvfb: [],
      x11vnc: [],
      websockify: [],
      'cdp-relay': [],
    };
    for (const [name, allowed] of Object.entries(own)) {
      const text = environs[name]!.join('\n');
      for (const secret of SECRET_VALUES) expect(text, `${name} environ`).not.toContain(secret);
      const keys = environs[name]!.map((v) => v.slice(0, v.indexOf('=')));
      const extra = keys.filter(
        (k) =>
          !['PATH', 'LANG', 'LC_ALL', 'TZ', 'HOME', 'USER', 'LOGNAME', 'SHELL', ...allowed].includes(k) &&
          !k.startsWith('SUPERVISOR_'),
      );
      expect(extra, `${name}: unexpected variables`).toEqual([]);
    }
  });

  it("the rendered supervisord.conf holds the app's secrets, so it is root's alone (0600)", async () => {
    const volume = mkdtempSync(join(tmpdir(), 'gigi-program-env-render-'));
    onTestFinished(() => rmSync(volume, { recursive: true, force: true }));
    const { config } = await loadConfig({
      ...deployment,
      GIGI_DATA_DIR: volume,
      WEBHOOK_URL: 'http://gigi:3000/webhook/gitea',
      GITEA_URL: 'http://gitea.example:3000',
      CHROME_CDP_URL: 'http://127.0.0.1:9',
    });
    const file = await renderHandOff(
      { config, paths: bootPaths(config), runAs: lazyRunAs(config.giteaRunUser) },
      { gitea: 'external', chrome: 'external', docker: false },
      deployment,
    );
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(file).uid).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('telegram-secret-4711');
    expect(text).not.toContain('admin-secret-4711');
    expect(text).not.toContain('gitea-secret-4711');
  });
});
