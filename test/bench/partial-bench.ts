// What the scripts that run one part of `npm run bench` share (warm-only.ts, first-boot-only.ts):
// the settings, the gitea user, a bundled copy of the checkout and a throwaway Postgres cluster,
// progress lines on stderr, and cleaning all of it up on the way out (Ctrl-C included).
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/boot-process.ts';
import { ensureGiteaUser } from '../support/system-users.ts';
import { snapshotCheckout } from './checkout-snapshot.ts';
import { BenchFailure } from './failure.ts';
import { readSettings, type BenchSettings } from './settings.ts';
import { terminateRunningChildren } from './timed-process.ts';
import { Workspace } from './workspace.ts';

export interface PartialBench {
  settings: BenchSettings;
  workspace: Workspace;
  checkout: ReturnType<typeof snapshotCheckout>;
  /** The throwaway cluster's server URL. */
  serverUrl: string;
  progress: (message: string) => void;
  /** "commit <sha>[ + changes]", for the figure lines. */
  commitNote: string;
}

/** Why: one place for the set-up and clean-up every partial bench needs; a failure is exit 1. */
export async function runPartialBench(
  name: string,
  body: (bench: PartialBench) => Promise<void>,
): Promise<void> {
  const started = performance.now();
  const progress = (message: string) =>
    process.stderr.write(
      `[${name} ${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}\n`,
    );
  const workspace = new Workspace();
  process.once('SIGINT', () => {
    terminateRunningChildren();
    void workspace.close().finally(() => process.exit(130));
  });
  try {
    const settings = readSettings(process.env, join(REPO_ROOT, 'test-output', 'bench.json'));
    ensureGiteaUser();
    const checkout = snapshotCheckout(workspace);
    const serverUrl = await workspace.startCluster();
    const commitNote = `commit ${checkout.commit.slice(0, 12)}${checkout.dirty ? ' + changes' : ''}`;
    await body({ settings, workspace, checkout, serverUrl, progress, commitNote });
  } catch (error) {
    process.stderr.write(
      `${name} bench FAILED: ${error instanceof BenchFailure ? error.message : String((error as Error).stack ?? error)}\n`,
    );
    process.exitCode = 1;
  } finally {
    await workspace.close();
  }
}
