// Checks that need the filesystem or the user database but must fail before anything is
// written: the Gitea run user, a GITEA_BIN that user cannot run, a data dir gigi-boot cannot
// write or the run user cannot enter, an app.ini gigi-boot cannot write. Each is a ConfigError
// (exit 2) naming the setting and what is expected. Nothing is written until every check has
// passed: only then is the data dir created.
import { constants } from 'node:fs';
import { access, chmod, lstat, mkdir, stat } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import type { BootConfig } from '../config/types.ts';
import { ConfigError, isBootError } from '../errors.ts';
import { runUserCanExecuteEach } from '../gitea/access-as.ts';
import { deepestExisting, pathExists } from '../io/path-exists.ts';
import { findRunUser, type RunAs } from '../gitea/run-as.ts';
import { appEnvironment } from '../supervisor/hand-off.ts';
import { supervisordCanPass } from '../supervisor/render.ts';
import { refuseEmbeddedForBoundVolume } from './bind-volume.ts';
import { bootPaths } from './paths.ts';
import { accessFingerprint, recordedAccess } from './run-user-access.ts';

async function allowed(path: string, mode: number): Promise<boolean> {
  try {
    await access(path, mode);
    return true;
  } catch {
    return false;
  }
}

function kindOf(info: Awaited<ReturnType<typeof lstat>>): string {
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isSocket()) return 'a socket';
  return 'a device';
}

/** The run user, when this boot will use one (an internal Gitea, or programs dropped to it as root). */
async function runUser(config: BootConfig, problems: string[], hints: string[]): Promise<RunAs | undefined> {
  const isRoot = process.getuid?.() === 0;
  if (config.giteaUrl && !isRoot) return undefined;
  try {
    return await findRunUser(config.giteaRunUser, config.deadlines.commandMs);
  } catch (error) {
    if (!isBootError(error) || error.domain !== 'config') throw error;
    problems.push(...(error as ConfigError).issues);
    if (error.hint) hints.push(error.hint);
    return undefined;
  }
}

/** The run user's `test -x` answers, asked of one child before the checks that read them. */
interface RunUserAnswers {
  runAs: RunAs;
  giteaBin?: Promise<boolean>;
  dataDir: Promise<boolean>;
  /** What the answers rest on (run-user-access.ts), when it could be read. */
  fingerprint?: string;
  /** The answers are an earlier start's, recorded for this fingerprint: no child was asked. */
  recorded: boolean;
}

/** What `run` does with the checks' result (`check` writes nothing, so ignores it). */
export interface PreflightResult {
  /** A child's "yes" to record (run-user-access.ts) for the next start. */
  accessToRecord?: string;
}

async function checkGiteaBin(config: BootConfig, asked: RunUserAnswers | undefined, problems: string[]) {
  const bin = config.giteaBin;
  if (!(await allowed(bin, constants.X_OK))) {
    problems.push(
      `GITEA_BIN: ${bin} does not exist or is not executable; expected the path of the gitea binary (or set GITEA_URL to use an external Gitea)`,
    );
  } else if (!(await stat(bin)).isFile()) {
    problems.push(`GITEA_BIN: ${bin} is not a file; expected the gitea executable`);
  } else if (asked?.giteaBin && !(await asked.giteaBin)) {
    problems.push(
      `GITEA_BIN: ${bin} cannot be executed by the Gitea run user ${asked.runAs.user} (GIGI_BOOT_GITEA_USER); expected a binary that user can execute (check the file's mode and every directory above it)`,
    );
  }
}

async function checkDataDir(
  config: BootConfig,
  found: string,
  asked: RunUserAnswers | undefined,
  problems: string[],
) {
  const dir = config.dataDir;
  const info = await stat(found);
  if (found === dir) {
    if (!info.isDirectory()) {
      problems.push(`GIGI_DATA_DIR: ${dir} is not a directory; expected the volume's directory`);
      return;
    }
    if (!(await allowed(dir, constants.W_OK | constants.X_OK)))
      problems.push(`GIGI_DATA_DIR: ${dir} is not writable by gigi-boot`);
  } else if (!info.isDirectory() || !(await allowed(found, constants.W_OK | constants.X_OK))) {
    problems.push(
      `GIGI_DATA_DIR: cannot create ${dir}: ${found} is ${info.isDirectory() ? 'not writable by gigi-boot' : 'not a directory'}; expected a writable volume`,
    );
    return;
  }
  if (asked && !(await asked.dataDir)) {
    const what = found === dir ? dir : `${found} (above ${dir})`;
    const { user } = asked.runAs;
    problems.push(
      `GIGI_DATA_DIR: ${what} cannot be entered by the Gitea run user ${user} (GIGI_BOOT_GITEA_USER); expected a directory that user can traverse (chmod o+x, or a group of ${user})`,
    );
  }
}

async function checkAppIni(config: BootConfig, problems: string[]) {
  const { appIni } = bootPaths(config);
  const info = await lstat(appIni).catch(() => undefined);
  // A symlink is the work-dir safety rules' to judge (app-ini.ts), not a configuration problem.
  if (info && !info.isFile() && !info.isSymbolicLink()) {
    problems.push(
      `app.ini: ${appIni} is ${kindOf(info)}; expected Gitea's config file (remove it: gigi-boot writes app.ini in GIGI_DATA_DIR/${relative(config.dataDir, appIni)})`,
    );
  } else if (info && !(await allowed(appIni, constants.W_OK))) {
    problems.push(
      `app.ini: ${appIni} exists but is not writable; gigi-boot sets the keys it owns and Gitea writes INTERNAL_TOKEN/JWT_SECRET back — make it writable (chmod u+w) or remove it`,
    );
  } else if (
    !info &&
    (await pathExists(dirname(appIni))) &&
    !(await allowed(dirname(appIni), constants.W_OK))
  ) {
    problems.push(`app.ini: directory ${dirname(appIni)} is not writable; gigi-boot must create ${appIni}`);
  }
}

/**
 * The app gets the deployment's environment through supervisord's environment=, which cannot
 * carry some values: found here, not when the boot's last step renders supervisord.conf.
 */
function checkAppEnvironment(config: BootConfig, env: NodeJS.ProcessEnv, problems: string[]) {
  const passed: Record<string, string | undefined> = {
    ...appEnvironment(env),
    CHROME_CDP_URL: config.chromeCdpUrl,
    BROWSER_MODE: config.browserMode,
    BROWSER_VIEW_URL: config.browserViewUrl,
  };
  for (const [name, value] of Object.entries(passed)) {
    if (value === undefined || value === '' || supervisordCanPass(value)) continue;
    problems.push(
      `${name}: supervisord cannot pass this value to the Gigi app (a newline, both quote kinds, or a quote at either end); expected a value without them (value not shown)`,
    );
  }
}

/** Why: created only after every check passed; the levels it creates can be entered by the run user. */
async function createDataDir(dir: string): Promise<void> {
  try {
    const first = await mkdir(dir, { recursive: true, mode: 0o755 });
    if (first === undefined) return;
    // mkdir's mode is cut by the umask: a umask of 077 would lock the Gitea run user out.
    for (let level = dir; ; level = dirname(level)) {
      await chmod(level, 0o755);
      if (level === first || dirname(level) === level) break;
    }
  } catch (error) {
    throw new ConfigError(
      [`GIGI_DATA_DIR: cannot create ${dir} (${(error as NodeJS.ErrnoException).code ?? 'error'})`],
      { cause: error },
    );
  }
}

/**
 * Why: one `setpriv` child for both questions, started before the checks that read its answers
 * (each is read only where the check gets that far, as when each check asked its own).
 */
function askRunUser(
  config: BootConfig,
  runAs: RunAs,
  dataDirFound: string,
  recorded: string | undefined,
): RunUserAnswers {
  const paths = config.giteaUrl ? [dataDirFound] : [config.giteaBin, dataDirFound];
  const fingerprint = accessFingerprint(runAs, paths);
  // Nothing it rests on changed since a start recorded the child's "yes": no child.
  const same = fingerprint !== undefined && fingerprint === recorded;
  const answers = same
    ? paths.map(() => Promise.resolve(true))
    : runUserCanExecuteEach(runAs, paths, config.deadlines.commandMs);
  const [first, second] = answers;
  return {
    runAs,
    ...(config.giteaUrl ? { dataDir: first! } : { giteaBin: first!, dataDir: second! }),
    ...(fingerprint !== undefined ? { fingerprint } : {}),
    recorded: same,
  };
}

/** The problems one check finds, in a list of its own. */
async function collect(check: (problems: string[]) => Promise<void>): Promise<string[]> {
  const problems: string[] = [];
  await check(problems);
  return problems;
}

/**
 * Every check `run` makes before it writes anything, writing nothing itself: `gigi-boot check`
 * calls exactly this, so what check accepts is what run accepts (by construction). Throws one
 * ConfigError listing every problem found.
 */
export async function checkBeforeWriting(
  config: BootConfig,
  env: NodeJS.ProcessEnv = process.env,
): Promise<PreflightResult> {
  const problems: string[] = [];
  const hints: string[] = [];
  checkAppEnvironment(config, env, problems);
  const recorded = recordedAccess(config.dataDir);
  const runAs = await runUser(config, problems, hints);
  const dataDirFound = await deepestExisting(config.dataDir);
  const asked = runAs?.switchUser ? askRunUser(config, runAs, dataDirFound, await recorded) : undefined;
  // Side by side, their problems listed in this order.
  const found = await Promise.all([
    config.giteaUrl ? [] : collect((into) => checkGiteaBin(config, asked, into)),
    collect((into) => checkDataDir(config, dataDirFound, asked, into)),
    config.giteaUrl ? [] : collect((into) => checkAppIni(config, into)),
  ]);
  problems.push(...found.flat());
  if (problems.length > 0) throw new ConfigError(problems, hints.length > 0 ? { hint: hints.join(' ') } : {});
  // A volume bound to Postgres refuses the embedded store before PGlite creates a database on it.
  await refuseEmbeddedForBoundVolume(config.dataDir, config.databaseUrl);
  // Every answer was yes (a no is a problem above): a child's is worth recording.
  return asked?.fingerprint !== undefined && !asked.recorded ? { accessToRecord: asked.fingerprint } : {};
}

/** Throw one ConfigError listing every problem found; then (and only then) create the data dir. */
export async function preflight(
  config: BootConfig,
  env: NodeJS.ProcessEnv = process.env,
): Promise<PreflightResult> {
  const result = await checkBeforeWriting(config, env);
  await createDataDir(config.dataDir);
  return result;
}
