// `node --import tsx test/bench/first-boot-only.ts`: only the first-boot figure of `npm run bench`
// (gigi-boot's first boot against the plain bootstrapper, interleaved), for working on the first
// boot without the minutes the other figures take. Same settings: BENCH_FIRST_BOOTS,
// BENCH_GITEA_DELAY_MS. Run it under the bench lock like the bench.
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/boot-process.ts';
import { ensureGiteaUser } from '../support/system-users.ts';
import { snapshotCheckout } from './checkout-snapshot.ts';
import { BenchFailure } from './failure.ts';
import { measureFirstBootPairs } from './first-boot.ts';
import { readSettings } from './settings.ts';
import { ratio, summarise } from './stats.ts';
import { terminateRunningChildren } from './timed-process.ts';
import { Workspace } from './workspace.ts';

const started = performance.now();
const progress = (message: string) =>
  process.stderr.write(
    `[first boot ${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}\n`,
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
  const pairs = await measureFirstBootPairs(
    workspace,
    checkout.cli,
    serverUrl,
    { iterations: settings.firstBoots, delayMs: settings.giteaDelayMs },
    progress,
  );
  const boot = summarise(pairs.map((p) => p.boot.wallMs));
  const plain = summarise(pairs.map((p) => p.plainWallMs));
  for (const [i, p] of pairs.entries())
    process.stdout.write(
      `run ${i + 1}: gigi-boot ${Math.round(p.boot.wallMs)} ms, plain ${Math.round(p.plainWallMs)} ms = ${ratio(p.boot.wallMs, p.plainWallMs).toFixed(2)}x; steps ${p.boot.steps.map((s) => `${s.step} ${s.durationMs}`).join(', ')}\n`,
    );
  process.stdout.write(
    `first boot (startupDelayMs ${settings.giteaDelayMs}, n ${boot.n}): median ${Math.round(boot.median)} ms / plain ${Math.round(plain.median)} ms = ${ratio(boot.median, plain.median).toFixed(2)}x (p95 ${ratio(boot.p95, plain.p95).toFixed(2)}x; commit ${checkout.commit.slice(0, 12)}${checkout.dirty ? ' + changes' : ''})\n`,
  );
} catch (error) {
  process.stderr.write(
    `first-boot bench FAILED: ${error instanceof BenchFailure ? error.message : String((error as Error).stack ?? error)}\n`,
  );
  process.exitCode = 1;
} finally {
  await workspace.close();
}
