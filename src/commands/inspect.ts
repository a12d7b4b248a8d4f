// `gigi-boot inspect [--blame] [--history] [--follow] [--json] [--reveal]`: the persisted
// progress of this volume's boot. Exit code: 0 complete/degraded, 1 failed, 3 in progress,
// 5 never booted (src/cli/exit-codes.ts).
import { registerStoredSecrets } from '../boot/secrets.ts';
import { loadConfig, secretValuesOf } from '../config/index.ts';
import { ConfigError } from '../errors.ts';
import { followBoot } from '../inspect/follow.ts';
import {
  exitCodeForStatus,
  gatherHistory,
  gatherReport,
  readVolumeId,
  type InspectReport,
} from '../inspect/gather.ts';
import { renderBlame, renderHistory, renderReport } from '../inspect/render.ts';
import { processRedactor } from '../log/process-redactor.ts';
import { openStore } from '../store/index.ts';

export interface InspectOptions {
  json: boolean;
  reveal: boolean;
  blame?: boolean;
  history?: boolean;
  follow?: boolean;
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
  });
}

/** inspect for a given environment (the demo passes its own). */
export async function executeWithEnv(
  env: Record<string, string | undefined>,
  { json, reveal, blame = false, history = false, follow = false }: InspectOptions,
): Promise<number> {
  const views = [blame, history, follow].filter(Boolean).length;
  if (views > 1) throw new ConfigError(['inspect: choose one of --blame, --history, --follow']);
  if (follow && reveal) throw new ConfigError(['inspect: --follow never reveals secrets; drop --reveal']);
  const { config } = await loadConfig(env);
  if (follow && config.databaseUrl === undefined) {
    throw new ConfigError([
      'inspect --follow needs Postgres (DATABASE_URL): the embedded PGlite store is single-process, so it cannot watch a boot running in another process. Set DATABASE_URL, or run `gigi-boot inspect` again to see the latest checkpoint',
    ]);
  }
  processRedactor.add(...secretValuesOf(config));
  const volumeId = await readVolumeId(config.dataDir);
  const store = await openStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    lockWaitMs: config.deadlines.lockWaitMs,
  });
  const write = (text: string) => process.stdout.write(text);
  // Without --reveal, scrub known secrets from free-text fields (errors) too.
  const redact = <T>(value: T): T => (reveal ? value : processRedactor.redactDeep(value));
  try {
    if (volumeId) await registerStoredSecrets(store, processRedactor);
    if (history) {
      const report = redact(await gatherHistory(store, volumeId));
      write(json ? `${JSON.stringify(report, null, 2)}\n` : renderHistory(report));
      return exitCodeForStatus(report.runs[0]?.status);
    }
    if (follow) {
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
      });
      write(json ? `${JSON.stringify({ event: 'end', report: final })}\n` : `\n${renderReport(final)}`);
      return final.exitCode;
    }
    const report = redact(await gatherReport(store, volumeId, reveal));
    write(json ? `${JSON.stringify(report, null, 2)}\n` : blame ? renderBlame(report) : renderReport(report));
    return report.exitCode;
  } finally {
    await store.close();
  }
}
