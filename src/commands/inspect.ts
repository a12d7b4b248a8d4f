// `gigi-boot inspect [--json] [--reveal]`: the persisted progress of this volume's boot.
import { EXIT } from '../cli/exit-codes.ts';
import { registerStoredSecrets } from '../boot/secrets.ts';
import { loadConfig, secretValuesOf } from '../config/index.ts';
import { gatherReport, readVolumeId, type InspectReport } from '../inspect/gather.ts';
import { renderReport } from '../inspect/render.ts';
import { processRedactor } from '../log/process-redactor.ts';
import { openStore } from '../store/index.ts';

export function exitCodeFor(report: InspectReport): number {
  switch (report.run?.status) {
    case undefined:
      return EXIT.noBoot;
    case 'completed':
    case 'degraded':
      return EXIT.ok;
    case 'failed':
      return EXIT.failed;
    default:
      return EXIT.inProgress;
  }
}

export async function execute(flags: Record<string, string | boolean | undefined>): Promise<number> {
  return executeWithEnv(process.env, { json: flags.json === true, reveal: flags.reveal === true });
}

/** inspect for a given environment (the demo passes its own). */
export async function executeWithEnv(
  env: Record<string, string | undefined>,
  { json, reveal }: { json: boolean; reveal: boolean },
): Promise<number> {
  const { config } = await loadConfig(env);
  processRedactor.add(...secretValuesOf(config));
  const volumeId = await readVolumeId(config.dataDir);
  const store = await openStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    lockWaitMs: config.deadlines.lockWaitMs,
  });
  try {
    await registerStoredSecrets(store, processRedactor);
    const report = await gatherReport(store, volumeId, reveal);
    // Without --reveal, scrub known secrets from free-text fields (errors) too.
    const safe = reveal ? report : processRedactor.redactDeep(report);
    process.stdout.write(json ? `${JSON.stringify(safe, null, 2)}\n` : renderReport(safe));
    return exitCodeFor(report);
  } finally {
    await store.close();
  }
}
