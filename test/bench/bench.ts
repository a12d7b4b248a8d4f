// `npm run bench`: the speed figures of gigi-boot, each as a ratio against a baseline measured
// in the same run (so they mean the same on a laptop and on a loaded CI box), plus the
// absolute numbers. Starts a throwaway Postgres cluster and the Gitea simulator itself, uses
// the real Docker engine for the runner-worker figures, and removes everything it created
// (volumes, databases' cluster, images). No timing is asserted; any boot that fails, or takes another
// path than the figure claims, makes the bench exit non-zero.
// Settings: see SETTINGS_HELP in settings.ts (BENCH_ITERATIONS, ...).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { REPO_ROOT } from '../support/boot-process.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { ensureGiteaUser } from '../support/system-users.ts';
import { cleanupContexts } from '../docker/helpers.ts';
import { measureCheckpoints, readCheckpointSample } from './checkpoint-latency.ts';
import { snapshotCheckout } from './checkout-snapshot.ts';
import { BenchFailure } from './failure.ts';
import { measureFirstBootPairs } from './first-boot.ts';
import { measureFiftyBoxes } from './fifty-boxes.ts';
import { measureHandOffFigures } from './hand-off-time.ts';
import { describePostgres } from './postgres-settings.ts';
import { measureParallelBoot, type ParallelBootResult } from './parallel-boot.ts';
import { figure, renderResult, type BenchResult } from './report.ts';
import { measureImageChecks, requireDockerEngine, type ImageCheckSamples } from './runner-image-check.ts';
import { readSettings, SETTINGS_HELP, type BenchSettings } from './settings.ts';
import { ratio, summarise } from './stats.ts';
import { terminateRunningChildren } from './timed-process.ts';
import { initialiseVolume, measureWarmBoots, type WarmSamples, type WarmVolume } from './warm-boot.ts';
import { Workspace } from './workspace.ts';

const benchStart = performance.now();

function progress(message: string): void {
  const elapsed = ((performance.now() - benchStart) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[bench ${elapsed} s] ${message}\n`);
}

/** Settle all, then rethrow the first failure: no boot is left running behind a rejection. */
async function allOrFirstFailure<T extends readonly unknown[]>(tasks: {
  [K in keyof T]: Promise<T[K]>;
}): Promise<T> {
  const settled = await Promise.allSettled(tasks);
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

async function runBench(settings: BenchSettings, workspace: Workspace): Promise<BenchResult> {
  ensureGiteaUser();
  if (settings.docker) {
    // Checked first: a missing engine should not cost the minutes of the other figures.
    const engine = await requireDockerEngine();
    progress(`Docker engine answers at ${engine}`);
    workspace.defer('remove the Docker images and contexts the bench built', cleanupContexts);
  }
  progress('copying and bundling gigi-boot (bin/build.mjs), as the image does');
  const checkout = snapshotCheckout(workspace);
  progress('starting a throwaway Postgres cluster');
  const serverUrl = await workspace.startCluster();
  const postgres = await describePostgres(serverUrl);

  // Untimed set-up, done side by side: one initialised volume per store backend.
  progress(
    `initialising the warm-boot volumes (Postgres${settings.pgliteIterations > 0 ? ' and PGlite' : ''})`,
  );
  const [pgVolume, pgliteVolume] = await allOrFirstFailure<[WarmVolume, WarmVolume | undefined]>([
    createTestDatabase(serverUrl, 'bench_warm').then((url) =>
      initialiseVolume(workspace, checkout.cli, 'warm boot (Postgres)', url),
    ),
    settings.pgliteIterations > 0
      ? initialiseVolume(workspace, checkout.cli, 'warm boot (PGlite)', undefined)
      : Promise.resolve(undefined),
  ]);

  progress(`timing ${settings.warmIterations} warm boots on Postgres`);
  const pgWarm = await measureWarmBoots(pgVolume, settings.warmIterations, (n) =>
    progress(`  warm boot (Postgres) ${n}/${settings.warmIterations}`),
  );
  let pgliteWarm: WarmSamples | undefined;
  if (pgliteVolume) {
    progress(`timing ${settings.pgliteIterations} warm boots on PGlite`);
    pgliteWarm = await measureWarmBoots(pgliteVolume, settings.pgliteIterations, (n) =>
      progress(`  warm boot (PGlite) ${n}/${settings.pgliteIterations}`),
    );
  }

  const firstBoots = await measureFirstBootPairs(workspace, checkout.cli, serverUrl, settings, progress);

  progress('time to hand-off with Docker absent, its socket missing, a slow build; restarts after degraded');
  const handOff = await measureHandOffFigures(workspace, checkout.cli, serverUrl, settings, progress);

  let imageChecks: ImageCheckSamples | undefined;
  let parallelBoot: ParallelBootResult | undefined;
  if (settings.docker) {
    progress(`runner image: one build, then ${settings.imageChecks} timed up-to-date checks`);
    imageChecks = await measureImageChecks(settings.imageChecks, (n) => {
      if (n % 10 === 0 || n === settings.imageChecks)
        progress(`  up-to-date check ${n}/${settings.imageChecks}`);
    });
    progress(
      `first boot building the runner image (sleep ${settings.buildSeconds} s) beside Gitea (startupDelayMs ${settings.parallelGiteaDelayMs})`,
    );
    parallelBoot = await measureParallelBoot(
      workspace,
      checkout.cli,
      serverUrl,
      settings.parallelGiteaDelayMs,
      settings.buildSeconds,
    );
  }

  progress(`timing ${settings.checkpoints} checkpoint writes`);
  const sample = await readCheckpointSample(
    pgVolume.env.DATABASE_URL!,
    pgVolume.env.GIGI_DATA_DIR!,
    settings.snapshotBytes,
  );
  const checkpoints = await measureCheckpoints(
    await createTestDatabase(serverUrl, 'bench_checkpoint'),
    sample,
    settings.checkpoints,
  );
  // The same writes on a cluster as shipped (fsync on, synchronous_commit on): the WAL flush counts.
  progress(`timing ${settings.checkpoints} checkpoint writes with fsync=on`);
  const durableUrl = await workspace.startCluster({ fsync: true, maxConnections: 100 });
  const durableCheckpoints = await measureCheckpoints(
    await createTestDatabase(durableUrl, 'bench_checkpoint'),
    sample,
    settings.checkpoints,
  );
  progress(`${settings.boxes} boxes booting at once on one Postgres (max_connections 100, fsync on)`);
  const fiftyBoxes = await measureFiftyBoxes(
    workspace,
    checkout.cli,
    await workspace.startCluster({ fsync: true, maxConnections: 100 }),
    { boxes: settings.boxes, maxConnections: 100 },
    progress,
  );

  // One node start-up baseline for both warm-boot figures: all its samples, from both phases.
  const nodeStartup = summarise([...pgWarm.baselineMs, ...(pgliteWarm?.baselineMs ?? [])]);
  const select1 = summarise(checkpoints.selectMs);
  const wall = summarise(firstBoots.map((r) => r.boot.wallMs));
  const plainBoot = summarise(firstBoots.map((r) => r.plainWallMs));
  const dockerPing = imageChecks ? summarise(imageChecks.pingMs) : null;
  const { outputFile: _outputFile, ...recordedSettings } = settings;
  return {
    generatedAt: new Date().toISOString(),
    benchWallMs: performance.now() - benchStart,
    machine: {
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
      loadAverage: loadavg(),
    },
    gigiBoot: { commit: checkout.commit, dirty: checkout.dirty, launcher: checkout.launcher },
    postgres,
    settings: recordedSettings,
    baselines: { nodeStartup, select1, dockerPing },
    warmBoot: {
      postgres: figure(pgWarm.bootMs, nodeStartup, 'nodeStartup'),
      pglite: pgliteWarm ? figure(pgliteWarm.bootMs, nodeStartup, 'nodeStartup') : null,
    },
    firstBoot: {
      delayMs: settings.giteaDelayMs,
      wall,
      plain: plainBoot,
      ratioToPlain: { median: ratio(wall.median, plainBoot.median), p95: ratio(wall.p95, plainBoot.p95) },
      ratioToDelay: { median: ratio(wall.median, settings.giteaDelayMs) },
      runs: firstBoots.map(({ boot, plainWallMs }) => ({
        ...boot,
        plainWallMs,
        ratioToPlain: ratio(boot.wallMs, plainWallMs),
        ratioToDelay: ratio(boot.wallMs, settings.giteaDelayMs),
      })),
    },
    checkpoint: {
      ...figure(checkpoints.checkpointMs, select1, 'select1'),
      snapshotBytes: sample.writtenSnapshotBytes,
      realSnapshotBytes: sample.realSnapshotBytes,
      journalRowsPerCheckpoint: 1,
    },
    fiftyBoxes,
    checkpointFsync: figure(
      durableCheckpoints.checkpointMs,
      summarise(durableCheckpoints.selectMs),
      'select1',
    ),
    handOff: {
      ...handOff,
      restartAfterDegraded: figure(handOff.restartAfterDegradedMs, summarise(handOff.warmMs), 'warmStart'),
    },
    runnerImage:
      imageChecks && dockerPing && parallelBoot
        ? {
            upToDateCheck: {
              ...figure(imageChecks.checkMs, dockerPing, 'dockerPing'),
              endpoint: imageChecks.endpoint,
              contextFiles: imageChecks.contextFiles,
              contextBytes: imageChecks.contextBytes,
              buildMs: imageChecks.buildMs,
            },
            parallelBoot: {
              giteaDelayMs: parallelBoot.giteaDelayMs,
              buildSleepSeconds: parallelBoot.buildSleepSeconds,
              timings: parallelBoot.timings,
              build: parallelBoot.build,
              wallMs: parallelBoot.boot.wallMs,
              steps: parallelBoot.boot.steps,
            },
          }
        : null,
  };
}

async function main(): Promise<number> {
  if (process.argv.includes('--help')) {
    process.stdout.write(`Usage: npm run bench\n${SETTINGS_HELP}\n`);
    return 0;
  }
  const workspace = new Workspace();
  const onSignal = (signal: NodeJS.Signals) => {
    progress(`${signal}: stopping the boots and removing what the bench created`);
    terminateRunningChildren();
    void workspace.close().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const settings = readSettings(process.env, join(REPO_ROOT, 'test-output', 'bench.json'));
    workspace.keepDirs = settings.keep;
    const result = await runBench(settings, workspace);
    process.stdout.write(renderResult(result));
    mkdirSync(dirname(settings.outputFile), { recursive: true });
    writeFileSync(settings.outputFile, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`\nwrote ${relative(process.cwd(), settings.outputFile) || settings.outputFile}\n`);
    return 0;
  } catch (error) {
    if (error instanceof BenchFailure) {
      process.stderr.write(`\nbench FAILED: ${error.message}\n`);
      if (error.exitCode === 2) process.stderr.write(`${SETTINGS_HELP}\n`);
      else if (!workspace.keepDirs)
        process.stderr.write('(data dirs are removed; BENCH_KEEP=1 keeps them)\n');
      return error.exitCode;
    }
    process.stderr.write(`\nbench FAILED (unexpected error):\n${(error as Error).stack ?? String(error)}\n`);
    return 1;
  } finally {
    await workspace.close();
  }
}

process.exitCode = await main();
