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
  /** The deployment's variables for the app (appEnvironment()): its secrets reach no other program. */
  appEnvironment: Record<string, string>;
}

export const CDP_RELAY_PORT = 9223;
export const CHROME_DEBUG_PORT = 9222;
export const NOVNC_PORT = 6080;
export const VNC_PORT = 5900;
export const DISPLAY = ':99';

/** Xvfb's screen, as the seed's supervisord template has it: the browser the agent drives and noVNC shows. */
export const SCREEN = { width: 1920, height: 1080, depth: 24 };

// Why: the seed keeps the browser's profile (logged-in sessions) at /data/chrome-profile; a volume
// it booted must keep its sessions after the upgrade.
export function chromeProfileDir(dataDir: string): string {
  return `${dataDir}/chrome-profile`;
}

// Why: the seed's entrypoint made /data/workspace (the agent's working tree) on every start; the
// image has it only in a new named volume, so a bind mount or an older volume may lack it.
export function workspaceDir(dataDir: string): string {
  return `${dataDir}/workspace`;
}

/**
 * Chromium's flags in the container: the seed's (a maximised, dark, screen-sized window on Xvfb),
 * with CDP on loopback only. The seed's `--remote-allow-origins=*` is left out on purpose: the
 * CDP relay blanks the Origin of the clients it serves, and without the flag a page open in this
 * browser cannot take it over through ws://127.0.0.1:9222.
 */
export function chromiumCommand(userDataDir: string): string {
  return [
    'chromium',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--no-first-run',
    '--start-maximized',
    '--force-dark-mode',
    `--window-size=${SCREEN.width},${SCREEN.height}`,
    '--window-position=0,0',
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
      command: `${s.giteaBin} web --config ${s.giteaConfigPath}`,
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
        command: `Xvfb ${DISPLAY} -screen 0 ${SCREEN.width}x${SCREEN.height}x${SCREEN.depth} -nolisten tcp`,
        environment: {},
        priority: 20,
      },
      {
        name: 'chromium',
        command: chromiumCommand(chromeProfileDir(s.dataDir)),
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
      ...s.appEnvironment,
      ...home,
      GITEA_URL: s.giteaUrl,
      CHROME_CDP_URL: s.chromeCdpUrl,
      BROWSER_MODE: s.browserMode,
      BROWSER_VIEW_URL: s.browserViewUrl,
    },
    priority: 50,
    // The seed's choice: the app's log is the container's (`docker logs`), not a file.
    logToConsole: true,
  });
  return programs;
}
