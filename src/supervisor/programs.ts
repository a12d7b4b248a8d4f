// Which supervisord programs the container runs, decided from the modes the boot detected.
// Pure: the rendered config is a function of the modes and a few settings, so each deployment
// mode has a test of exactly what it starts.
import type { Modes } from '../../machines/boot.ts';

export interface Program {
  name: string;
  command: string;
  /** OS user supervisord switches to (only when it runs as root). */
  user?: string;
  directory?: string;
  environment: Record<string, string>;
  /** Lower starts first. */
  priority: number;
  stopwaitsecs?: number;
  /** Failed starts before supervisord gives up (FATAL); default 5. */
  startretries?: number;
  /** An [eventlistener:…] for these supervisor events instead of a [program:…]. */
  events?: string[];
  /** Log to the container's stdout/stderr (docker logs) instead of a file under the log dir. */
  logToConsole?: boolean;
}

export interface ProgramSettings {
  dataDir: string;
  giteaBin: string;
  giteaConfigPath: string;
  giteaWorkDir: string;
  /** OS user of gitea, chromium and the app; undefined when supervisord cannot switch users. */
  runUser: string | undefined;
  runUserHome: string;
  /** GITEA_URL the app gets: the internal Gitea's loopback URL, or the external one. */
  giteaUrl: string;
  /** CHROME_CDP_URL the app gets: the internal CDP relay, or the external one. */
  chromeCdpUrl: string;
  browserMode: string;
  browserViewUrl: string;
  appDir: string;
  /** Where the image installs aio/ (cdp-proxy.conf, fatal-listener.py). */
  aioDir: string;
  novncDir: string;
  /** Where the fatal listener records a program that went FATAL (the health check reads it). */
  fatalFile: string;
}

export const CDP_RELAY_PORT = 9223;
export const CHROME_DEBUG_PORT = 9222;
export const NOVNC_PORT = 6080;
export const VNC_PORT = 5900;
export const DISPLAY = ':99';

/** Chromium's flags in the container: a headed browser on Xvfb, CDP on loopback only. */
export function chromiumCommand(userDataDir: string): string {
  return [
    'chromium',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--remote-debugging-address=127.0.0.1',
    `--remote-debugging-port=${CHROME_DEBUG_PORT}`,
    `--user-data-dir=${userDataDir}`,
    'about:blank',
  ].join(' ');
}

/** The programs of one deployment mode, in start order. */
export function programsFor(modes: Modes, s: ProgramSettings): Program[] {
  const asUser = s.runUser === undefined ? {} : { user: s.runUser };
  const home: Record<string, string> =
    s.runUser === undefined ? {} : { HOME: s.runUserHome, USER: s.runUser };
  const programs: Program[] = [
    {
      // Makes a program that gave up (FATAL) visible: a line in docker logs, a marker file the
      // health check fails on.
      name: 'fatal-listener',
      command: `python3 ${s.aioDir}/fatal-listener.py`,
      environment: { GIGI_FATAL_FILE: s.fatalFile },
      priority: 1,
      events: ['PROCESS_STATE_FATAL'],
      logToConsole: true,
    },
  ];
  if (modes.gitea === 'internal') {
    programs.push({
      name: 'gitea',
      // env -u: the app's database URL is in supervisord's environment; Gitea has no use for it.
      command: `env -u DATABASE_URL ${s.giteaBin} web --config ${s.giteaConfigPath}`,
      ...asUser,
      directory: s.giteaWorkDir,
      environment: { ...home, GITEA_WORK_DIR: s.giteaWorkDir },
      priority: 10,
      stopwaitsecs: 8,
    });
  }
  if (modes.chrome === 'internal') {
    programs.push(
      {
        name: 'xvfb',
        command: `Xvfb ${DISPLAY} -screen 0 1280x800x24 -nolisten tcp`,
        environment: {},
        priority: 20,
      },
      {
        name: 'chromium',
        command: `env -u DATABASE_URL ${chromiumCommand(`${s.dataDir}/chromium`)}`,
        ...asUser,
        environment: { ...home, DISPLAY },
        priority: 30,
      },
      {
        name: 'x11vnc',
        command: `x11vnc -display ${DISPLAY} -forever -shared -nopw -localhost -rfbport ${VNC_PORT}`,
        environment: {},
        priority: 40,
      },
      {
        name: 'websockify',
        command: `websockify --web ${s.novncDir} ${NOVNC_PORT} localhost:${VNC_PORT}`,
        environment: {},
        priority: 40,
      },
      {
        name: 'cdp-relay',
        command: `nginx -c ${s.aioDir}/cdp-proxy.conf -g "daemon off; pid /run/gigi-cdp-relay.pid;"`,
        environment: {},
        priority: 40,
      },
    );
  }
  programs.push({
    name: 'gigi',
    command: 'node --import tsx src/index.ts',
    ...asUser,
    directory: s.appDir,
    environment: {
      ...home,
      GITEA_URL: s.giteaUrl,
      CHROME_CDP_URL: s.chromeCdpUrl,
      BROWSER_MODE: s.browserMode,
      BROWSER_VIEW_URL: s.browserViewUrl,
    },
    priority: 50,
  });
  return programs;
}
