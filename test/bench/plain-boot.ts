// The first-boot figure's baseline: plain-bootstrapper.ts, bundled once and run as a process
// with the same environment, simulator and start-up delay as the gigi-boot first boot it is
// compared with — and checked to have made the same Gitea calls and written the same config
// keys, so the ratio compares the same work.
import { buildSync } from 'esbuild';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { bootEnv, REPO_ROOT } from '../support/boot-process.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { BenchFailure, tail } from './failure.ts';
import { timeProcess } from './timed-process.ts';
import type { Workspace } from './workspace.ts';

/** What both boots are checked on besides their time. */
export interface BootWork {
  /** The simulator's record of `gitea web`, CLI runs and API requests, in order (gitea.db.calls). */
  calls: string[];
  /** The keys of the app's config table afterwards. */
  configKeys: string[];
}

/** Why: the baseline runs from a bundle, as gigi-boot does, so neither pays for transpiling. */
export function bundlePlainBootstrapper(checkoutRoot: string): string {
  const outfile = join(checkoutRoot, 'dist-bench', 'plain-bootstrapper.mjs');
  buildSync({
    entryPoints: [join(REPO_ROOT, 'test', 'bench', 'plain-bootstrapper.ts')],
    outfile,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  });
  return outfile;
}

/** Why: the simulator's call log and the config table are where the two boots' work shows. */
export async function readBootWork(env: Record<string, string>): Promise<BootWork> {
  const callsFile = join(env.GIGI_DATA_DIR!, 'gitea', 'data', 'gitea.db.calls');
  const calls = existsSync(callsFile) ? readFileSync(callsFile, 'utf8').split('\n').filter(Boolean) : [];
  const client = new pg.Client({ connectionString: env.DATABASE_URL });
  await client.connect();
  try {
    const rows = await client.query<{ key: string }>('SELECT key FROM config ORDER BY key');
    return { calls, configKeys: rows.rows.map((r) => r.key) };
  } finally {
    await client.end();
  }
}

/** gigi-boot checks the temporary Gitea's API before each step; the baseline once. */
const readinessCheck = 'api GET /api/v1/version';

/** Why: a baseline doing less (or other) work than the boot would make the ratio a lie. */
export function assertSameWork(label: string, boot: BootWork, plain: BootWork): void {
  const strip = (calls: string[]) => calls.filter((c) => c !== readinessCheck);
  const bootCalls = strip(boot.calls).join(', ');
  const plainCalls = strip(plain.calls).join(', ');
  if (bootCalls !== plainCalls)
    throw new BenchFailure(
      `${label}: the plain bootstrapper's Gitea calls differ from gigi-boot's (besides GET /version):\n  gigi-boot: ${bootCalls}\n  plain:     ${plainCalls}\nupdate test/bench/plain-bootstrapper.ts to do what the steps do`,
    );
  if (boot.configKeys.join(',') !== plain.configKeys.join(','))
    throw new BenchFailure(
      `${label}: config keys differ: gigi-boot wrote ${boot.configKeys.join(', ')}; the plain bootstrapper ${plain.configKeys.join(', ')}`,
    );
}

/** Why: one run of the baseline on a fresh volume and database, with the boot's environment. */
export async function measurePlainBoot(
  workspace: Workspace,
  script: string,
  serverUrl: string,
  faultsFile: string,
  label: string,
): Promise<{ wallMs: number; work: BootWork }> {
  const databaseUrl = await createTestDatabase(serverUrl, 'bench_plain');
  const env = await bootEnv({ databaseUrl, extra: { GITEA_SIM_FAULTS: faultsFile } });
  workspace.track(env.GIGI_DATA_DIR);
  const result = await timeProcess(process.execPath, [script], env);
  if (result.code !== 0)
    throw new BenchFailure(
      `${label}: the plain bootstrapper failed (exit ${result.code ?? result.signal}, data dir ${env.GIGI_DATA_DIR}):\n${tail(`${result.stdout}\n${result.stderr}`)}`,
    );
  return { wallMs: result.wallMs, work: await readBootWork(env) };
}
