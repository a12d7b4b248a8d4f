// `gigi-boot inspect [--blame|--critical-path] [--history] [--follow [--timeout D]] [--json]
// [--reveal]`: the persisted progress of this volume's boot. Exit code: 0 complete/degraded,
// 1 failed, 3 in progress, 5 never booted, 6 --follow timed out (src/cli/exit-codes.ts).
// Read-only: never creates the data dir or a database (src/inspect/read-only.ts).
import { stat } from 'node:fs/promises';
import { registerStoredSecrets } from '../boot/secrets.ts';
import { EXIT } from '../cli/exit-codes.ts';
import { MAX_TIMER_MS, parseDuration } from '../config/duration.ts';
import { loadConfig, secretValuesOf, type BootConfig } from '../config/index.ts';
import { ConfigError } from '../errors.ts';
import { followBoot, type FollowLine } from '../inspect/follow.ts';
import {
  exitCodeForStatus,
  gatherHistory,
  gatherReport,
  nothingRecorded,
  readVolumeId,
  type InspectReport,
} from '../inspect/gather.ts';
import { missingDataDirNote, openVolumeForReading } from '../inspect/read-only.ts';
import { formatMs, renderBlame, renderHistory, renderReport } from '../inspect/render.ts';
import { processRedactor } from '../log/process-redactor.ts';
import { openStore } from '../store/index.ts';

export interface InspectOptions {
  json: boolean;
  reveal: boolean;
  blame?: boolean;
  history?: boolean;
  follow?: boolean;
  /** --critical-path: the blame view, which shows the chain that set the wall time. */
  criticalPath?: boolean;
  /** --follow --timeout: give up waiting after this long (exit EXIT.followTimeout). */
  timeoutMs?: number;
}

/** Why: a bad --timeout is the operator's to fix, with what is expected (exit 2). */
function parseTimeout(value: string | boolean | undefined): number | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0 || ms > MAX_TIMER_MS)
    throw new ConfigError([
      `inspect --timeout ${value}: expected a duration above zero, such as 90s, 10m or 1h (a bare number is milliseconds)`,
    ]);
  return ms;
}

/** The exit code for a report (kept for callers of the first version). */
export function exitCodeFor(report: InspectReport): number {
  return report.exitCode;
}

export async function execute(flags: Record<string, string | boolean | undefined>): Promise<number> {
  return executeWithEnv(process.env, {
    json: flags.json === true,
    reveal: flags.reveal === true,
    blame: flags.blame === true,
    history: flags.history === true,
    follow: flags.follow === true,
    criticalPath: flags['critical-path'] === true,
    timeoutMs: parseTimeout(flags.timeout),
  });
}

/** inspect for a given environment (the demo passes its own). */
export async function executeWithEnv(
  env: Record<string, string | undefined>,
  {
    json,
    reveal,
    blame = false,
    history = false,
    follow = false,
    criticalPath = false,
    timeoutMs,
  }: InspectOptions,
): Promise<number> {
  const views = [blame || criticalPath, history, follow].filter(Boolean).length;
  if (views > 1)
    throw new ConfigError(['inspect: choose one of --blame (or --critical-path), --history, --follow']);
  if (timeoutMs !== undefined && !follow)
    throw new ConfigError(['inspect: --timeout DURATION bounds --follow; add --follow or drop --timeout']);
  if (follow && reveal) throw new ConfigError(['inspect: --follow never reveals secrets; drop --reveal']);
  const { config } = await loadConfig(env);
  if (follow && config.databaseUrl === undefined) {
    throw new ConfigError([
      'inspect --follow needs Postgres (DATABASE_URL): the embedded PGlite store is single-process, so it cannot watch a boot running in another process. Set DATABASE_URL, or run `gigi-boot inspect` again to see the latest checkpoint',
    ]);
  }
  processRedactor.add(...secretValuesOf(config));
  const write = (text: string) => process.stdout.write(text);
  // Without --reveal, scrub known secrets from free-text fields (errors) too.
  const redact = <T>(value: T): T => (reveal ? value : processRedactor.redactDeep(value));
  if (follow) return followWithEnv(config, { json, write, redact, timeoutMs });
  // Read-only: a missing data dir or a volume that never booted is reported, never created.
  const volume = await openVolumeForReading(config);
  if (!volume.dataDirExists)
    process.stderr.write(`gigi-boot inspect: ${missingDataDirNote(config.dataDir)}\n`);
  const store = volume.store ?? nothingRecorded(volume.kind);
  const volumeId = volume.volumeId;
  try {
    if (volume.store) await registerStoredSecrets(store, processRedactor);
    if (history) {
      const report = redact(await gatherHistory(store, volumeId));
      write(json ? `${JSON.stringify(report, null, 2)}\n` : renderHistory(report));
      return exitCodeForStatus(report.runs[0]?.status);
    }
    const report = redact(await gatherReport(store, volumeId, reveal));
    write(
      json
        ? `${JSON.stringify(report, null, 2)}\n`
        : blame || criticalPath
          ? renderBlame(report)
          : renderReport(report),
    );
    return report.exitCode;
  } finally {
    await volume.store?.close();
  }
}

/** --follow: Postgres only; the store is opened as before (it writes nothing on the volume). */
async function followWithEnv(
  config: BootConfig,
  {
    json,
    write,
    redact,
    timeoutMs,
  }: {
    json: boolean;
    write: (text: string) => void;
    redact: <T>(value: T) => T;
    timeoutMs: number | undefined;
  },
): Promise<number> {
  const volumeId = await readVolumeId(config.dataDir);
  // Waiting is right for a volume about to boot, but a mistyped path would wait forever: say so.
  if (
    !(await stat(config.dataDir).then(
      (i) => i.isDirectory(),
      () => false,
    ))
  )
    process.stderr.write(
      `gigi-boot inspect: GIGI_DATA_DIR ${config.dataDir} does not exist (yet): waiting for a boot to create it; check the path (--timeout bounds the wait)\n`,
    );
  const store = await openStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    lockWaitMs: config.deadlines.lockWaitMs,
  });
  const timeout = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
  try {
    if (volumeId) await registerStoredSecrets(store, processRedactor);
    const final = await followBoot({
      store,
      volumeId: async () => volumeId ?? (await readVolumeId(config.dataDir)),
      gather: async (id) => {
        // The boot generates its secrets while it runs: learn them before printing anything.
        if (id) await registerStoredSecrets(store, processRedactor);
        return redact(await gatherReport(store, id, false));
      },
      json,
      write,
      signal: timeout,
    });
    if (timeout?.aborted && (final.run === null || final.run.status === 'running')) {
      write(
        json
          ? `${JSON.stringify({ event: 'timeout', timeoutMs: timeoutMs!, report: final } satisfies FollowLine)}\n`
          : `\n${renderReport(final)}gigi-boot inspect: --timeout ${formatMs(timeoutMs!)} reached; the boot is still ${final.run ? 'running' : 'not started'}\n`,
      );
      return EXIT.followTimeout;
    }
    write(
      json
        ? `${JSON.stringify({ event: 'end', report: final } satisfies FollowLine)}\n`
        : `\n${renderReport(final)}`,
    );
    return final.exitCode;
  } finally {
    await store.close();
  }
}
