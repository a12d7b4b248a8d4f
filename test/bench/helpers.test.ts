// The bench's pure parts: statistics, settings validation, snapshot padding, the provision
// timings, the table. The
// bench itself (processes, Postgres) is exercised by `npm run bench`, never timed in tests.
import { describe, expect, it } from 'vitest';
import { padSnapshot } from './checkpoint-latency.ts';
import { BenchFailure } from './failure.ts';
import { analyseProvision } from './provision-timings.ts';
import { figure, renderResult, type BenchResult } from './report.ts';
import { readSettings } from './settings.ts';
import { percentile, ratio, summarise } from './stats.ts';

describe('stats', () => {
  it('interpolates percentiles between ranks', () => {
    const sorted = [10, 20, 30, 40, 50];
    expect(percentile(sorted, 50)).toBe(30);
    expect(percentile(sorted, 95)).toBeCloseTo(48);
    expect(percentile([7], 95)).toBe(7);
    expect(() => percentile([], 50)).toThrow(RangeError);
  });

  it('summarises unsorted samples', () => {
    const s = summarise([4, 1, 3, 2]);
    expect(s).toMatchObject({ n: 4, min: 1, median: 2.5, max: 4, mean: 2.5 });
    expect(s.p95).toBeCloseTo(3.85);
  });

  it('gives ratios against a baseline, NaN for an empty baseline', () => {
    expect(ratio(30, 10)).toBe(3);
    expect(ratio(30, 0)).toBeNaN();
    const f = figure([20, 40], summarise([10, 10]), 'nodeStartup');
    expect(f.ratio.median).toBe(3);
    expect(f.ratio.p95).toBeCloseTo(3.9);
  });
});

describe('readSettings', () => {
  it('has defaults, and derives the PGlite count from BENCH_ITERATIONS', () => {
    const s = readSettings({}, '/out.json');
    expect(s).toMatchObject({
      warmIterations: 10,
      pgliteIterations: 3,
      checkpoints: 300,
      giteaDelayMs: 1000,
    });
    expect(readSettings({ BENCH_ITERATIONS: '2' }, '/o').pgliteIterations).toBe(2);
    expect(readSettings({ BENCH_OUTPUT: '/tmp/x.json' }, '/o').outputFile).toBe('/tmp/x.json');
    expect(readSettings({ BENCH_KEEP: '1' }, '/o').keep).toBe(true);
    expect(s).toMatchObject({ docker: true, imageChecks: 30, parallelGiteaDelayMs: 2500, buildSeconds: 3 });
    expect(readSettings({ BENCH_DOCKER: '0' }, '/o').docker).toBe(false);
  });

  it.each([
    ['BENCH_ITERATIONS', '0'],
    ['BENCH_ITERATIONS', 'ten'],
    ['BENCH_CHECKPOINTS', '-5'],
    ['BENCH_GITEA_DELAY_MS', '1.5'],
    ['BENCH_IMAGE_CHECKS', '0'],
    ['BENCH_BUILD_SECONDS', '0'],
    ['BENCH_DOCKER', 'yes'],
  ])('rejects %s=%s naming the variable', (name, value) => {
    try {
      readSettings({ [name]: value }, '/o');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(BenchFailure);
      expect((error as BenchFailure).message).toContain(`${name}="${value}"`);
      expect((error as BenchFailure).exitCode).toBe(2);
    }
  });
});

describe('padSnapshot', () => {
  it('pads a small snapshot to the target size and keeps its content', () => {
    const real = { xstate: { value: 'done', context: { a: 1 } }, configDigest: 'abc' };
    const padded = padSnapshot(real, 3072) as Record<string, unknown>;
    expect(Buffer.byteLength(JSON.stringify(padded))).toBe(3072);
    expect(padded.xstate).toEqual(real.xstate);
    expect(padded.configDigest).toBe('abc');
  });

  it('leaves a snapshot at or above the target as it is', () => {
    const real = { xstate: 'x'.repeat(100) };
    expect(padSnapshot(real, 50)).toBe(real);
    expect(padSnapshot(real, 0)).toBe(real);
  });
});

const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();
const row = (step: string, start: number, end: number) => ({
  step,
  startedAt: at(start),
  finishedAt: at(end),
});

describe('analyseProvision', () => {
  it('spans the Gitea region and the build (all attempts), and compares side by side with one after the other', () => {
    const t = analyseProvision([
      row('detectModes', 0, 50),
      row('writeAppIni', 100, 120),
      row('awaitApi', 150, 400),
      row('buildRunnerWorker', 110, 300), // a first attempt that failed
      row('awaitApi', 900, 1100), // a retry after a back-off sleep
      row('persistConfig', 1100, 1200),
      row('buildRunnerWorker', 800, 1600),
      row('prepareSecrets', 50, 90), // before the provision phase: not in either span
    ]);
    expect(t).toMatchObject({
      giteaRegionMs: 1100,
      buildMs: 1490,
      provisionWallMs: 1500,
      sequentialMs: 2590,
      overlapMs: 1090,
    });
    expect(t.ratio).toBeCloseTo(1500 / 2590);
    expect(t.idealRatio).toBeCloseTo(1490 / 2590);
  });

  it('gives ratio 1 when the two ran one after the other', () => {
    const t = analyseProvision([row('createUsers', 0, 1000), row('buildRunnerWorker', 1000, 3000)]);
    expect(t).toMatchObject({ overlapMs: 0, provisionWallMs: 3000, sequentialMs: 3000, ratio: 1 });
  });

  it('fails, naming what is missing, when a region never ran', () => {
    expect(() => analyseProvision([row('createUsers', 0, 1000)])).toThrow(/no buildRunnerWorker rows/);
    expect(() => analyseProvision([row('buildRunnerWorker', 0, 1000)])).toThrow(/no Gitea-region step rows/);
  });
});

describe('renderResult', () => {
  it('prints every figure with its ratio and the first-boot steps', () => {
    const node = summarise([50, 60]);
    const select1 = summarise([0.5, 0.5]);
    const ping = summarise([0.4, 0.6]);
    const result: BenchResult = {
      generatedAt: '2026-01-01T00:00:00.000Z',
      benchWallMs: 1000,
      machine: { node: 'v20', platform: 'linux x64', cpus: 2, cpuModel: 'cpu', loadAverage: [1, 1, 1] },
      gigiBoot: { commit: '0123456789abcdef', dirty: true, launcher: 'bundle' },
      postgres: { version: '15', fsync: false },
      settings: {
        warmIterations: 2,
        pgliteIterations: 0,
        firstBoots: 1,
        giteaDelayMs: 1000,
        checkpoints: 2,
        snapshotBytes: 3072,
        docker: true,
        imageChecks: 2,
        parallelGiteaDelayMs: 2500,
        buildSeconds: 3,
        slowBuildSeconds: 60,
        restarts: 2,
        boxes: 3,
        keep: false,
      },
      baselines: { nodeStartup: node, select1, dockerPing: ping },
      warmBoot: { postgres: figure([550, 660], node, 'nodeStartup'), pglite: null },
      firstBoot: {
        delayMs: 1000,
        wall: summarise([4000]),
        plain: summarise([3200]),
        ratioToPlain: { median: 1.25, p95: 1.25 },
        ratioToDelay: { median: 4 },
        runs: [
          {
            wallMs: 4000,
            journalWallMs: 3000,
            plainWallMs: 3200,
            ratioToPlain: 1.25,
            ratioToDelay: 4,
            steps: [{ step: 'awaitApi', attempts: 2, durationMs: 1100, outcome: 'ok' }],
          },
        ],
      },
      checkpoint: {
        ...figure([2, 3], select1, 'select1'),
        snapshotBytes: 3072,
        realSnapshotBytes: 1300,
        journalRowsPerCheckpoint: 1,
      },
      checkpointFsync: figure([4, 6], select1, 'select1'),
      fiftyBoxes: {
        boxes: 3,
        maxConnections: 100,
        aloneMs: 1000,
        boots: summarise([1500, 2000, 2500]),
        maxConnectionsPerBoot: 2,
        peakConnections: 6,
        lockWaitSamples: 0,
        lockWaits: [],
        samples: 40,
      },
      handOff: {
        noDocker: { handOffMs: 2000, wallMs: 2100, plan: 'fresh', build: 'skipped' },
        socketMissing: { handOffMs: 2100, wallMs: 32000, plan: 'fresh', build: 'skipped' },
        slowBuild: { handOffMs: 2200, wallMs: 62000, plan: 'fresh', build: 'built' },
        slowBuildSeconds: 60,
        restartAfterDegradedMs: [300, 320],
        warmMs: [250, 270],
        restartAfterDegraded: figure([300, 320], summarise([250, 270]), 'warmStart'),
      },
      runnerImage: {
        upToDateCheck: {
          ...figure([10, 12], ping, 'dockerPing'),
          endpoint: 'unix:///var/run/docker.sock',
          contextFiles: 3,
          contextBytes: 2048,
          buildMs: 900,
        },
        parallelBoot: {
          giteaDelayMs: 2500,
          buildSleepSeconds: 3,
          timings: analyseProvision([row('writeAppIni', 0, 3000), row('buildRunnerWorker', 500, 4000)]),
          build: { imageId: 'sha256:0123456789abcdef', ensureMs: 3400 },
          wallMs: 5000,
          steps: [],
        },
      },
    };
    const text = renderResult(result);
    expect(text).toMatch(/Docker \/_ping round trip \(dockerode\)\s+2\s+0\.50 ms/);
    expect(text).toMatch(
      /Runner image up-to-date check \(3 files, 2\.0 KB hashed\)\s+2\s+11 ms\s+\S+ ms\s+22\.0x/,
    );
    expect(text).toMatch(/side by side: provision wall .*\s4000 ms/);
    expect(text).toMatch(/one after the other: Gitea region \+ build\s+6500 ms/);
    expect(text).toMatch(/buildRunnerWorker \(built 0123456789ab\)\s+3500 ms/);
    expect(text).toContain('Parallel / sequential = 0.62x  (ideal max/sum = 0.54x');
    expect(text).toMatch(/Warm boot, Postgres\s+2\s+605 ms\s+\S+ ms\s+11\.0x/);
    expect(text).toMatch(/Warm boot, PGlite\s+0 .*skipped/);
    expect(text).toMatch(/Checkpoint write \(3\.0 KB snapshot \+ 1 journal row\)\s+2\s+2\.50 ms/);
    expect(text).toMatch(/awaitApi\s+1100 ms \(2 attempts\)/);
    expect(text).toContain('= 4.00x the simulated delay');
    expect(text).toContain('= 1.25x a plain bootstrapper (3200 ms; p95 1.25x)');
    expect(text).toMatch(/\(wall \/ plain bootstrapper\)\s+1\.25x/);
    expect(text).toContain('fsync=off');
    expect(text).toMatch(/Docker absent \(baseline\)\s+2000 ms\s+1\.00x\s+skipped/);
    expect(text).toMatch(/runner-worker build of 60 s\s+2200 ms\s+1\.10x\s+built\s+62000 ms/);
    expect(text).toContain('vs warm start: median 310 ms / 260 ms = 1.19x');
    expect(text).toMatch(/p50\s+2000 ms\s+2\.00x/);
    expect(text).toContain(
      'at most 2 per boot, 6 at once in all; samples with a session waiting on a lock: 0',
    );
    expect(text).toMatch(/Checkpoint write p95: fsync on \S+ ms .*fsync off/);
    expect(text).toContain('gigi-boot 0123456789ab + uncommitted changes');

    const withoutDocker = renderResult({
      ...result,
      baselines: { ...result.baselines, dockerPing: null },
      runnerImage: null,
    });
    expect(withoutDocker).toMatch(/Runner image up-to-date check\s+0 .*skipped \(BENCH_DOCKER=0\)/);
    expect(withoutDocker).not.toContain('/_ping');
    expect(withoutDocker).not.toContain('Parallel / sequential');
  });
});
