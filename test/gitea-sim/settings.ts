// How Gitea 1.24 finds and loads app.ini (modules/setting): work/custom/config paths, the
// root and RUN_USER checks, ROOT_URL normalisation, and the INTERNAL_TOKEN write-back.
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parseGoBool } from './cli/args.ts';
import { iniGet, iniSet, parseIni, serializeIni, type IniFile } from './ini.ts';
import { fatal, log } from './log.ts';
import { newInternalToken } from './secrets.ts';

export interface GlobalOptions {
  config?: string;
  workPath?: string;
  customPath?: string;
}

export interface Settings {
  ini: IniFile;
  configPath: string;
  configExists: boolean;
  workPath: string;
  workPathFromConfig: string | undefined;
  customPath: string;
  installLock: boolean;
  rootUrl: string; // normalised, ends with exactly one '/'
  domain: string;
  httpAddr: string;
  httpPort: string;
  appDataPath: string;
  appName: string;
  dbType: string;
  dbPath: string;
  sqliteTimeoutMs: number;
  runUser: string;
}

export const WHERE_SETTING = 'setting/setting.go:170:loadRunModeFrom()';

/** Where the CLI/web looks for app.ini and the work path (modules/setting/path.go). */
export function resolvePaths(opts: GlobalOptions): {
  workPath: string;
  customPath: string;
  configPath: string;
} {
  let workPath: string;
  if (opts.workPath !== undefined) {
    if (!isAbsolute(opts.workPath))
      fatal('setting/path.go:100:InitWorkPathAndCfgProvider()', '--work-path must be absolute path');
    workPath = opts.workPath;
  } else if (process.env.GITEA_WORK_DIR) {
    if (!isAbsolute(process.env.GITEA_WORK_DIR))
      fatal(
        'setting/path.go:95:InitWorkPathAndCfgProvider()',
        'GITEA_WORK_DIR (work path) must be absolute path',
      );
    workPath = process.env.GITEA_WORK_DIR;
  } else {
    workPath = dirname(process.argv[1] ?? process.cwd());
  }
  const customPath = opts.customPath
    ? resolve(workPath, opts.customPath)
    : process.env.GITEA_CUSTOM
      ? resolve(workPath, process.env.GITEA_CUSTOM)
      : join(workPath, 'custom');
  const configPath = opts.config ? resolve(process.cwd(), opts.config) : join(customPath, 'conf', 'app.ini');
  return { workPath, customPath, configPath };
}

function readIni(path: string): { ini: IniFile; exists: boolean } {
  if (!existsSync(path)) return { ini: parseIni(''), exists: false };
  try {
    return { ini: parseIni(readFileSync(path, 'utf8')), exists: true };
  } catch (error) {
    fatal(
      'setting/config_provider.go:200:NewConfigProviderFromFile()',
      `Failed to load config file "${path}": ${String(error)}`,
    );
  }
}

/** Re-read, set one key, rewrite the whole file in place, tighten to 0600 (config_provider.go Save). */
export function saveConfigKey(configPath: string, section: string, key: string, value: string): void {
  const { ini } = readIni(configPath);
  iniSet(ini, section, key, value);
  writeFileSync(configPath, serializeIni(ini), { flag: 'w' });
  try {
    const mode = statSync(configPath).mode & 0o777;
    if ((mode & 0o177) !== 0) chmodSync(configPath, 0o600);
  } catch (error) {
    log('W', 'setting/config_provider.go:330:Save()', `Failed to chmod ${configPath}: ${String(error)}`);
  }
}

/** ROOT_URL as Gitea normalises it: default ports dropped, exactly one trailing '/'. */
export function normaliseRootUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (error) {
    fatal('setting/server.go:260:loadServerFrom()', `Invalid ROOT_URL "${raw}": ${String(error)}`);
  }
  const path = url.pathname.replace(/\/+$/, '');
  return `${url.protocol}//${url.host}${path}/`;
}

function bool(ini: IniFile, section: string, key: string, dflt = false): boolean {
  const v = iniGet(ini, section, key);
  return v === undefined || v === '' ? dflt : (parseGoBool(v) ?? dflt);
}

/** Load common settings exactly in Gitea's order; fatal (stdout, exit 1) like log.Fatal. */
export function loadSettings(opts: GlobalOptions): Settings {
  const paths = resolvePaths(opts);
  const { ini, exists } = readIni(paths.configPath);
  const workPathFromConfig = iniGet(ini, '', 'WORK_PATH') || undefined;
  const workPath = workPathFromConfig ?? paths.workPath;

  const installLock = bool(ini, 'security', 'INSTALL_LOCK');
  const currentUser = userInfo().username;
  const runUser = iniGet(ini, '', 'RUN_USER') || currentUser;
  const unsafeRoot =
    bool(ini, '', 'I_AM_BEING_UNSAFE_RUNNING_AS_ROOT') ||
    parseGoBool(process.env.GITEA_I_AM_BEING_UNSAFE_RUNNING_AS_ROOT ?? '') === true;
  const startSsh = bool(ini, 'server', 'START_SSH_SERVER');
  if (installLock && !startSsh && runUser !== currentUser) {
    fatal(WHERE_SETTING, `Expect user '${runUser}' but current user is: ${currentUser}`);
  }
  if (process.getuid?.() === 0) {
    if (!unsafeRoot)
      fatal(
        WHERE_SETTING,
        'Gitea is not supposed to be run as root. Sorry. If you need to use privileged TCP ports please instead use setcap and the `cap_net_bind_service` permission',
      );
    log(
      'C',
      WHERE_SETTING,
      'You are running Gitea using the root user, and have purposely chosen to skip built-in protections around this. You have been warned against this.',
    );
  }

  const protocol = iniGet(ini, 'server', 'PROTOCOL') || 'http';
  let domain = iniGet(ini, 'server', 'DOMAIN') || 'localhost';
  const httpAddr = iniGet(ini, 'server', 'HTTP_ADDR') || '0.0.0.0';
  const httpPort = iniGet(ini, 'server', 'HTTP_PORT') || '3000';
  const rootUrl = normaliseRootUrl(
    iniGet(ini, 'server', 'ROOT_URL') || `${protocol}://${domain}:${httpPort}/`,
  );
  const host = new URL(rootUrl).hostname;
  if (!/^[\d.]+$/.test(host) && !host.startsWith('[')) domain = host;

  if (!process.env.HOME)
    fatal('setting/ssh.go:150:loadSSHFrom()', 'Failed to get home directory: cannot get home directory');

  const appDataRaw = iniGet(ini, 'server', 'APP_DATA_PATH') || 'data';
  const appDataPath = resolve(workPath, appDataRaw);
  const dbPathRaw = iniGet(ini, 'database', 'PATH') || join(appDataPath, 'gitea.db');
  const settings: Settings = {
    ini,
    configPath: paths.configPath,
    configExists: exists,
    workPath,
    workPathFromConfig,
    customPath: paths.customPath,
    installLock,
    rootUrl,
    domain,
    httpAddr,
    httpPort,
    appDataPath,
    appName: iniGet(ini, '', 'APP_NAME') || 'Gitea: Git with a cup of tea',
    dbType: iniGet(ini, 'database', 'DB_TYPE') ?? '',
    dbPath: resolve(workPath, dbPathRaw),
    sqliteTimeoutMs: Number.parseInt(iniGet(ini, 'database', 'SQLITE_TIMEOUT') || '500', 10) || 500,
    runUser,
  };

  if (installLock) {
    const token = iniGet(ini, 'security', 'INTERNAL_TOKEN') ?? '';
    const tokenUri = iniGet(ini, 'security', 'INTERNAL_TOKEN_URI') ?? '';
    if (token !== '' && tokenUri !== '')
      fatal(
        'setting/security.go:60:loadSecret()',
        'Cannot specify both INTERNAL_TOKEN_URI and INTERNAL_TOKEN',
      );
    if (token === '' && tokenUri === '') {
      try {
        saveConfigKey(paths.configPath, 'security', 'INTERNAL_TOKEN', newInternalToken());
      } catch (error) {
        fatal(
          'setting/security.go:95:generateSaveInternalToken()',
          `Error saving internal token: ${String(error)}`,
        );
      }
    }
  }
  return settings;
}

/** Typed read of other keys, for modules that need one setting. */
export function settingBool(s: Settings, section: string, key: string, dflt: boolean): boolean {
  return bool(s.ini, section, key, dflt);
}

export function settingString(s: Settings, section: string, key: string, dflt: string): string {
  return iniGet(s.ini, section, key) || dflt;
}
