// Which supervisord programs the container runs, decided from the modes the boot detected.
// Pure: the rendered config is a function of the modes and a few settings, so each deployment
// mode has a test of exactly what it starts.
import type { Modes } from '../../machines/boot.ts';

export interface Program {
  name: string;
  command: string;
  user?: string;
  directory?: string;
  environment: Record<string, string>;
  /** Lower starts first. */
  priority: number;
  stopwaitsecs?: number;
}

export interface ProgramSettings {
  dataDir: string;
  giteaBin: string;
  giteaConfigPath: string;
  giteaWorkDir: string;
  giteaHttpPort: number;
  giteaUser: string;
  giteaUserHome: string;
  /** GITEA_URL the app gets: the internal Gitea's loopback URL, or the external one. */
  giteaUrl: string;
  /** CHROME_CDP_URL the app gets: the internal CDP relay, or the external one. */
  chromeCdpUrl: string;
  browserMode: string;
  browserViewUrl: string;
  appDir: string;
  appUser: string;
  logDir: string;
}

export const CDP_RELAY_PORT = 9223;
export const CHROME_DEBUG_PORT = 9222;
export const NOVNC_PORT = 6080;

/** The programs of one deployment mode, in start order. */
export function programsFor(modes: Modes, s: ProgramSettings): Program[] {
  const programs: Program[] = [];
  if (modes.gitea === 'internal') {
    programs.push({
      name: 'gitea',
      command: `${s.giteaBin} web --config ${s.giteaConfigPath}`,
      user: s.giteaUser,
      directory: s.giteaWorkDir,
      environment: { HOME: s.giteaUserHome, USER: s.giteaUser, GITEA_WORK_DIR: s.giteaWorkDir },
      priority: 10,
      stopwaitsecs: 8,
    });
  }
  if (modes.chrome === 'internal') {
    programs.push(
      {
        name: 'xvfb',
        command: 'Xvfb :99 -screen 0 1280x800x24 -nolisten tcp',
        environment: {},
        priority: 20,
      },
      {
        name: 'chromium',
        command: `chromium --no-sandbox --disable-gpu --no-first-run --disable-background-networking --disable-component-update --disable-sync --remote-debugging-address=127.0.0.1 --remote-debugging-port=${CHROME_DEBUG_PORT} --user-data-dir=${s.dataDir}/chromium about:blank`,
        environment: { DISPLAY: ':99' },
        priority: 30,
      },
      {
        name: 'x11vnc',
        command: 'x11vnc -display :99 -forever -shared -nopw -localhost -rfbport 5900',
        environment: {},
        priority: 40,
      },
      {
        name: 'websockify',
        command: `websockify --web /usr/share/novnc ${NOVNC_PORT} localhost:5900`,
        environment: {},
        priority: 40,
      },
      {
        name: 'cdp-relay',
        command: 'nginx -c /etc/gigi/cdp-proxy.conf -g "daemon off;"',
        environment: {},
        priority: 40,
      },
    );
  }
  programs.push({
    name: 'gigi',
    command: 'node --import tsx src/index.ts',
    user: s.appUser,
    directory: s.appDir,
    environment: {
      GITEA_URL: s.giteaUrl,
      CHROME_CDP_URL: s.chromeCdpUrl,
      BROWSER_MODE: s.browserMode,
      BROWSER_VIEW_URL: s.browserViewUrl,
    },
    priority: 50,
  });
  return programs;
}
