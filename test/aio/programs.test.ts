// The rendered supervisord.conf of each deployment mode: exactly the programs that mode runs,
// with the env the app needs and the users/log files the image expects. Pure and fast.
import { describe, expect, it } from 'vitest';
import type { Modes } from '../../machines/boot.ts';
import { programsFor, type ProgramSettings } from '../../src/supervisor/programs.ts';
import { renderSupervisordConf } from '../../src/supervisor/render.ts';
import { parseIni } from '../support/aio-ini.ts';

const settings: ProgramSettings = {
  dataDir: '/data',
  giteaBin: '/usr/local/bin/gitea',
  giteaConfigPath: '/data/gitea/custom/conf/app.ini',
  giteaWorkDir: '/data/gitea',
  runUser: 'gigi',
  runUserHome: '/home/gigi',
  giteaUrl: 'http://localhost:3300',
  chromeCdpUrl: 'http://localhost:9223',
  browserMode: 'cdp',
  browserViewUrl: 'http://localhost:6080/vnc.html',
  appDir: '/app',
  aioDir: '/opt/gigi-boot/aio',
  novncDir: '/usr/share/novnc',
  fatalFile: '/data/gigi-boot/fatal-programs',
  appEnvironment: {
    DATABASE_URL: 'postgres://gigi:db-pw@db/gigi',
    TELEGRAM_TOKEN: 'tg-token',
    CLAUDE_TOKEN: 'claude-token',
    GITEA_URL: 'http://deployment-value',
  },
};

const supervisord = {
  logDir: '/var/log/gigi',
  socketPath: '/data/gigi-boot/supervisor.sock',
  pidFile: '/data/gigi-boot/supervisord.pid',
  runsAsRoot: true,
};

function render(modes: Modes, overrides: Partial<ProgramSettings> = {}) {
  return parseIni(renderSupervisordConf(programsFor(modes, { ...settings, ...overrides }), supervisord));
}

function programNames(ini: ReturnType<typeof parseIni>): string[] {
  return Object.keys(ini)
    .filter((s) => s.startsWith('program:'))
    .map((s) => s.slice('program:'.length))
    .sort();
}

const CHROME_STACK = ['cdp-relay', 'chromium', 'websockify', 'x11vnc', 'xvfb'];

describe('deployment modes', () => {
  it('AIO (nothing external): Gitea, the Chrome stack and the app', () => {
    const ini = render({ gitea: 'internal', chrome: 'internal', docker: true });
    expect(programNames(ini)).toEqual(['gigi', 'gitea', ...CHROME_STACK].sort());
    expect(ini['eventlistener:fatal-listener']?.events).toBe('PROCESS_STATE_FATAL');
  });

  it('No Chrome (CHROME_CDP_URL set): Gitea and the app, no Chrome stack', () => {
    const ini = render(
      { gitea: 'internal', chrome: 'external', docker: false },
      { chromeCdpUrl: 'ws://chrome.example:9222/devtools/browser/x', browserMode: '', browserViewUrl: '' },
    );
    expect(programNames(ini)).toEqual(['gigi', 'gitea']);
    expect(ini['program:gigi']?.environment).toContain(
      'CHROME_CDP_URL="ws://chrome.example:9222/devtools/browser/x"',
    );
    expect(ini['program:gigi']?.environment).not.toContain('BROWSER_VIEW_URL');
  });

  it('App only (GITEA_URL and CHROME_CDP_URL set): just the app, pointed at both', () => {
    const ini = render(
      { gitea: 'external', chrome: 'external', docker: false },
      { giteaUrl: 'https://git.example.com', chromeCdpUrl: 'http://chrome:9222' },
    );
    expect(programNames(ini)).toEqual(['gigi']);
    const env = ini['program:gigi']?.environment ?? '';
    expect(env).toContain('GITEA_URL="https://git.example.com"');
    expect(env).toContain('CHROME_CDP_URL="http://chrome:9222"');
  });
});

describe('the programs', () => {
  const ini = render({ gitea: 'internal', chrome: 'internal', docker: false });

  it('runs gitea, chromium and the app as the gigi user with its HOME', () => {
    for (const name of ['gitea', 'chromium', 'gigi']) {
      expect(ini[`program:${name}`]?.user).toBe('gigi');
      expect(ini[`program:${name}`]?.environment).toContain('HOME="/home/gigi"');
    }
    expect(ini['program:gitea']?.command).toBe(
      '/usr/local/bin/gitea web --config /data/gitea/custom/conf/app.ini',
    );
    expect(ini['program:gitea']?.directory).toBe('/data/gitea');
  });

  it('starts the app as the seed does, with the env it needs', () => {
    const app = ini['program:gigi']!;
    expect(app.command).toBe('node --import tsx src/index.ts');
    expect(app.directory).toBe('/app');
    for (const pair of [
      'GITEA_URL="http://localhost:3300"',
      'CHROME_CDP_URL="http://localhost:9223"',
      'BROWSER_MODE="cdp"',
      'BROWSER_VIEW_URL="http://localhost:6080/vnc.html"',
    ])
      expect(app.environment).toContain(pair);
  });

  it("gives the deployment's variables (the app's secrets) to the app alone; its own settings win", () => {
    const app = ini['program:gigi']!.environment!;
    for (const pair of [
      'DATABASE_URL="postgres://gigi:db-pw@db/gigi"',
      'TELEGRAM_TOKEN="tg-token"',
      'CLAUDE_TOKEN="claude-token"',
    ])
      expect(app).toContain(pair);
    expect(app).toContain('GITEA_URL="http://localhost:3300"');
    expect(app).not.toContain('deployment-value');
    for (const [section, values] of Object.entries(ini)) {
      if (section === 'program:gigi') continue;
      const text = JSON.stringify(values);
      for (const secret of ['db-pw', 'tg-token', 'claude-token']) expect(text, section).not.toContain(secret);
    }
  });

  it('the Chrome stack: Xvfb display, CDP on loopback, noVNC on 6080, the nginx relay', () => {
    expect(ini['program:chromium']?.environment).toContain('DISPLAY=":99"');
    expect(ini['program:chromium']?.command).toContain('--remote-debugging-address=127.0.0.1');
    expect(ini['program:chromium']?.command).toContain('--user-data-dir=/data/chrome-profile');
    expect(ini['program:websockify']?.command).toBe('websockify --web /usr/share/novnc 6080 localhost:5900');
    expect(ini['program:cdp-relay']?.command).toContain('nginx -c /opt/gigi-boot/aio/cdp-proxy.conf');
  });

  it("the seed's screen and browser window: Xvfb at 1920x1080x24, Chromium maximised, dark, screen-sized", () => {
    expect(ini['program:xvfb']?.command).toBe('Xvfb :99 -screen 0 1920x1080x24 -nolisten tcp');
    const flags = (ini['program:chromium']?.command ?? '').split(' ');
    expect(flags).toEqual(
      expect.arrayContaining([
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--no-first-run',
        '--start-maximized',
        '--force-dark-mode',
        '--window-size=1920,1080',
        '--window-position=0,0',
        '--remote-debugging-port=9222',
      ]),
    );
    // Left out on purpose: a page in this browser could drive it through CDP.
    expect(flags.some((f) => f.startsWith('--remote-allow-origins'))).toBe(false);
  });

  it('starts in priority order: Gitea and Xvfb before Chromium before the relays before the app', () => {
    const prio = (name: string) => Number(ini[`program:${name}`]?.priority);
    expect(prio('gitea')).toBeLessThan(prio('gigi'));
    expect(prio('xvfb')).toBeLessThan(prio('chromium'));
    expect(prio('chromium')).toBeLessThan(prio('cdp-relay'));
    expect(prio('cdp-relay')).toBeLessThan(prio('gigi'));
  });

  it('logs the app and the fatal listener to the container log (docker logs), the rest under /var/log/gigi', () => {
    expect(ini.supervisord?.logfile).toBe('/var/log/gigi/supervisord.log');
    for (const name of ['gitea', 'xvfb', 'chromium', 'x11vnc', 'websockify', 'cdp-relay'])
      expect(ini[`program:${name}`]?.stdout_logfile).toBe(`/var/log/gigi/${name}.log`);
    // As the seed's template: stdout, no rotation (supervisord cannot rotate a pipe), stderr with it.
    expect(ini['program:gigi']).toMatchObject({
      stdout_logfile: '/dev/stdout',
      stdout_logfile_maxbytes: '0',
      redirect_stderr: 'true',
    });
    expect(ini['eventlistener:fatal-listener']?.stderr_logfile).toBe('/dev/stderr');
    expect(ini['eventlistener:fatal-listener']?.environment).toBe(
      'GIGI_FATAL_FILE="/data/gigi-boot/fatal-programs"',
    );
  });

  it('switches no user when supervisord cannot (not root)', () => {
    const plain = parseIni(
      renderSupervisordConf(
        programsFor(
          { gitea: 'internal', chrome: 'internal', docker: false },
          { ...settings, runUser: undefined },
        ),
        {
          ...supervisord,
          runsAsRoot: false,
        },
      ),
    );
    expect(plain.supervisord?.user).toBeUndefined();
    for (const [section, values] of Object.entries(plain))
      if (section.startsWith('program:')) expect(values?.user, section).toBeUndefined();
  });
});

describe('quoting', () => {
  it('a value with quotes, commas, backslashes and percent signs stays one env value', () => {
    const ini = render(
      { gitea: 'external', chrome: 'external', docker: false },
      { giteaUrl: 'http://h/a,b="c"\\d%e', browserMode: "it's" },
    );
    // supervisord's parser has no escapes: the other quote kind wraps it; % is doubled.
    expect(ini['program:gigi']?.environment).toContain(`GITEA_URL='http://h/a,b="c"\\d%%e'`);
    expect(ini['program:gigi']?.environment).toContain(`BROWSER_MODE="it's"`);
  });

  it('refuses what supervisord cannot carry, naming the setting', () => {
    for (const browserMode of [`both ' and "`, '"quoted"', "x'"])
      expect(() => render({ gitea: 'external', chrome: 'external', docker: false }, { browserMode })).toThrow(
        /BROWSER_MODE: supervisord cannot pass this value/,
      );
  });

  it('refuses a newline, which would start a new key', () => {
    expect(() =>
      render({ gitea: 'external', chrome: 'external', docker: false }, { browserMode: 'a\nuser=root' }),
    ).toThrow(/BROWSER_MODE: supervisord cannot pass this value/);
  });
});
