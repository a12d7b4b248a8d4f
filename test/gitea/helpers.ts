// A Gitea for the integration tests, brought up with gigi-boot's own modules (app.ini, work dir,
// temporary process, waitForApi) — the simulator by default, a real Gitea when GITEA_BIN is set
// (the harness picks the binary), so the suite runs unchanged against both.
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { ensureAppIni } from '../../src/gitea/app-ini.ts';
import { waitForApi } from '../../src/gitea/api.ts';
import { startTemporaryGitea, stopTemporaryGitea, temporaryGiteaLiveness } from '../../src/gitea/process.ts';
import { resolveRunAs, type RunAs } from '../../src/gitea/run-as.ts';
import { ensureWorkDir } from '../../src/gitea/work-dir.ts';
import { freePort } from '../support/postgres.ts';
import { GITEA_TEST_USER } from '../support/system-users.ts';
import { giteaBin } from '../gitea-sim/harness.ts';
import type { FaultsConfig } from '../gitea-sim/faults.ts';

export const RUN_USER = userInfo().uid === 0 ? GITEA_TEST_USER : userInfo().username;

export interface TestGitea {
  root: string;
  workDir: string;
  configPath: string;
  pidFile: string;
  logFile: string;
  port: number;
  baseUrl: string;
  bin: string;
  runAs: RunAs;
  faultsPath: string;
  setFaults(faults: FaultsConfig): void;
  stop(): Promise<void>;
}

/** A temp root with a faults file the simulator re-reads on every request (ignored by a real Gitea). */
export function prepareFaults(root: string, runAs: RunAs): string {
  // The simulator (running as the Gitea user) keeps fault counters next to this file.
  const dir = join(root, 'faults');
  mkdirSync(dir, { mode: 0o755 });
  if (runAs.switchUser) chownSync(dir, runAs.uid, runAs.gid);
  const faultsPath = join(dir, 'faults.json');
  writeFileSync(faultsPath, '{}');
  chmodSync(faultsPath, 0o644);
  process.env.GITEA_SIM_FAULTS = faultsPath;
  return faultsPath;
}

/** Why: the same sequence boot runs (work dir → app.ini → start → await API), on a free port. */
export async function startTestGitea(): Promise<TestGitea> {
  const root = mkdtempSync(join(tmpdir(), 'gigi-gitea-'));
  chmodSync(root, 0o755);
  const workDir = join(root, 'gitea');
  const runAs = await resolveRunAs(RUN_USER);
  const faultsPath = prepareFaults(root, runAs);
  await ensureWorkDir({ workDir, runAs, subdirs: ['custom/conf'] });
  const configPath = join(workDir, 'custom', 'conf', 'app.ini');
  const port = await freePort();
  await ensureAppIni({
    path: configPath,
    httpPort: port,
    httpAddr: '127.0.0.1',
    dataDir: workDir,
    runUser: RUN_USER,
    rootUrl: `http://127.0.0.1:${port}/`,
    secretKeyGenerator: () => 'integration-test-secret-key',
  });
  const pidFile = join(root, 'temporary-gitea.pid');
  const logFile = join(root, 'gitea.log');
  const bin = giteaBin();
  await startTemporaryGitea({ bin, configPath, workDir, runAs, pidFile, logFile, port });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitForApi({ baseUrl, timeoutMs: 60_000, checkAlive: temporaryGiteaLiveness(pidFile, logFile) });
  return {
    root,
    workDir,
    configPath,
    pidFile,
    logFile,
    port,
    baseUrl,
    bin,
    runAs,
    faultsPath,
    setFaults(faults) {
      writeFileSync(faultsPath, JSON.stringify(faults));
      chmodSync(faultsPath, 0o644);
    },
    async stop() {
      await stopTemporaryGitea({ pidFile, configPath, graceMs: 5_000 });
      rmSync(root, { recursive: true, force: true });
    },
  };
}
