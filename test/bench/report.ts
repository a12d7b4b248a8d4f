// The bench result: one JSON document (test-output/bench.json) and the same figures as a
// plain-text table. Every figure is a ratio against a baseline measured in the same run,
// with the absolute numbers next to it.
import type { StepTiming } from './first-boot.ts';
import type { FiftyBoxesResult } from './fifty-boxes.ts';
import type { HandOffFigures, HandOffSample } from './hand-off-time.ts';
import type { ParallelTimings } from './provision-timings.ts';
import type { PostgresInfo } from './postgres-settings.ts';
import type { BenchSettings } from './settings.ts';
import { ratio, summarise, type Summary } from './stats.ts';

export interface Figure {
  summary: Summary;
  /** Which baseline the ratios are against. */
  baseline: 'nodeStartup' | 'select1' | 'dockerPing' | 'warmStart';
  /** median/median and p95/p95 of the figure against its baseline. */
  ratio: { median: number; p95: number };
}

export interface FirstBootRun {
  wallMs: number;
  journalWallMs: number;
  /** The plain bootstrapper's process wall time in the same iteration (plain-bootstrapper.ts). */
  plainWallMs: number;
  ratioToPlain: number;
  /** Process wall time divided by the simulated Gitea start-up delay. */
  ratioToDelay: number;
  steps: StepTiming[];
}

export interface RunnerImageFigure extends Figure {
  /** The engine the checks ran against, e.g. unix:///var/run/docker.sock. */
  endpoint: string;
  /** What each check hashes. */
  contextFiles: number;
  contextBytes: number;
  /** The one untimed build before the checks. */
  buildMs: number;
}

export interface ParallelBootFigure {
  giteaDelayMs: number;
  buildSleepSeconds: number;
  timings: ParallelTimings;
  build: { imageId: string; ensureMs: number };
  /** Process wall time of the whole boot. */
  wallMs: number;
  steps: StepTiming[];
}

export interface BenchResult {
  generatedAt: string;
  benchWallMs: number;
  machine: { node: string; platform: string; cpus: number; cpuModel: string; loadAverage: number[] };
  /** Which gigi-boot was measured: the checkout's HEAD (dirty: uncommitted edits were copied too). */
  gigiBoot: { commit: string; dirty: boolean; launcher: 'bundle' };
  postgres: PostgresInfo;
  settings: Omit<BenchSettings, 'outputFile'>;
  baselines: { nodeStartup: Summary; select1: Summary; dockerPing: Summary | null };
  warmBoot: { postgres: Figure; pglite: Figure | null };
  firstBoot: {
    delayMs: number;
    wall: Summary;
    /** The baseline: a plain bootstrapper doing the same Gitea calls without checkpoints. */
    plain: Summary;
    ratioToPlain: { median: number; p95: number };
    ratioToDelay: { median: number };
    runs: FirstBootRun[];
  };
  checkpoint: Figure & {
    /** JSON size of the snapshot each checkpoint wrote (the real one, padded up to BENCH_SNAPSHOT_BYTES). */
    snapshotBytes: number;
    /** JSON size of the snapshot the initialising boot really persisted. */
    realSnapshotBytes: number;
    journalRowsPerCheckpoint: number;
  };
  /** N volumes booting at once on one Postgres. */
  fiftyBoxes: FiftyBoxesResult;
  /** The same checkpoint writes on a cluster with fsync=on (synchronous_commit as shipped: on). */
  checkpointFsync: Figure;
  /** Time to hand-off per Docker case, and restarts after a degraded run against warm starts. */
  handOff: HandOffFigures & { restartAfterDegraded: Figure };
  /** null when BENCH_DOCKER=0. */
  runnerImage: { upToDateCheck: RunnerImageFigure; parallelBoot: ParallelBootFigure } | null;
}

/** Why: the figure and its ratios from raw samples, so no ratio is computed two ways. */
export function figure(samples: number[], baseline: Summary, name: Figure['baseline']): Figure {
  const summary = summarise(samples);
  return {
    summary,
    baseline: name,
    ratio: { median: ratio(summary.median, baseline.median), p95: ratio(summary.p95, baseline.p95) },
  };
}

function ms(value: number): string {
  if (Number.isInteger(value)) return `${value} ms`;
  if (value < 10) return `${value.toFixed(2)} ms`;
  if (value < 100) return `${value.toFixed(1)} ms`;
  return `${Math.round(value)} ms`;
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

function times(value: number): string {
  return Number.isFinite(value) ? `${value < 10 ? value.toFixed(2) : value.toFixed(1)}x` : '-';
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

const BASELINE_NAMES: Record<Figure['baseline'], string> = {
  nodeStartup: 'node -e 0',
  select1: 'SELECT 1',
  dockerPing: 'Docker /_ping',
  warmStart: 'warm start',
};

/** Why: the human view of a BenchResult, printed on stdout. */
export function renderResult(result: BenchResult): string {
  const out: string[] = [];
  const m = result.machine;
  out.push(
    `gigi-boot bench  ${result.generatedAt}  node ${m.node}  ${m.platform}  ${m.cpus} CPUs (${m.cpuModel})`,
    `gigi-boot ${result.gigiBoot.commit.slice(0, 12)}${result.gigiBoot.dirty ? ' + uncommitted changes' : ''}, run from an esbuild bundle (as in the image)`,
    `load average ${m.loadAverage.map((l) => l.toFixed(2)).join(' ')}  Postgres ${result.postgres.version} (throwaway cluster, fsync ${result.postgres.fsync ? 'on' : 'off'})  bench took ${(result.benchWallMs / 1000).toFixed(1)} s`,
    '',
  );

  const b = result.baselines;
  const baselines: Array<[string, Summary]> = [
    ['node -e 0 (process start)', b.nodeStartup],
    ['SELECT 1 round trip (pg.Pool)', b.select1],
  ];
  if (b.dockerPing) baselines.push(['Docker /_ping round trip (dockerode)', b.dockerPing]);
  out.push(
    ...table(
      ['BASELINE (same run)', 'N', 'MEDIAN', 'P95', 'MIN', 'MAX'],
      baselines.map(([name, summary]) => {
        return [
          name,
          String(summary.n),
          ms(summary.median),
          ms(summary.p95),
          ms(summary.min),
          ms(summary.max),
        ];
      }),
    ),
    '',
  );

  const figures: Array<[string, Figure | null]> = [
    ['Warm boot, Postgres', result.warmBoot.postgres],
    ['Warm boot, PGlite', result.warmBoot.pglite],
    [
      `Checkpoint write (${kb(result.checkpoint.snapshotBytes)} snapshot + ${result.checkpoint.journalRowsPerCheckpoint} journal row)`,
      result.checkpoint,
    ],
  ];
  const image = result.runnerImage?.upToDateCheck;
  figures.push([
    image
      ? `Runner image up-to-date check (${image.contextFiles} files, ${kb(image.contextBytes)} hashed)`
      : 'Runner image up-to-date check',
    image ?? null,
  ]);
  out.push(
    ...table(
      ['FIGURE', 'N', 'MEDIAN', 'P95', 'MEDIAN/BASE', 'P95/BASE', 'BASELINE'],
      figures.map(([name, f]) =>
        f
          ? [
              name,
              String(f.summary.n),
              ms(f.summary.median),
              ms(f.summary.p95),
              times(f.ratio.median),
              times(f.ratio.p95),
              BASELINE_NAMES[f.baseline],
            ]
          : [
              name,
              '0',
              '-',
              '-',
              '-',
              '-',
              `skipped (${name.startsWith('Runner') ? 'BENCH_DOCKER' : 'BENCH_PGLITE_ITERATIONS'}=0)`,
            ],
      ),
    ),
    '',
  );

  const fb = result.firstBoot;
  out.push(
    `First boot on the Gitea simulator (startupDelayMs ${fb.delayMs}), Postgres: wall ${ms(fb.wall.median)} median of ${fb.wall.n} = ${times(fb.ratioToPlain.median)} a plain bootstrapper (${ms(fb.plain.median)}; p95 ${times(fb.ratioToPlain.p95)}) making the same Gitea calls without checkpoints, runs interleaved; = ${times(fb.ratioToDelay.median)} the simulated delay`,
  );
  const stepNames = [...new Set(fb.runs.flatMap((r) => r.steps.map((s) => s.step)))];
  const runHeaders = fb.runs.map((_, i) => (fb.runs.length === 1 ? 'DURATION' : `RUN ${i + 1}`));
  const stepRows = stepNames.map((step) => [
    step,
    ...fb.runs.map((r) => {
      const s = r.steps.find((x) => x.step === step);
      return s ? `${ms(s.durationMs)}${s.attempts > 1 ? ` (${s.attempts} attempts)` : ''}` : '-';
    }),
  ]);
  stepRows.push(
    ['(journal: run start to finish)', ...fb.runs.map((r) => ms(r.journalWallMs))],
    ['(process wall time)', ...fb.runs.map((r) => ms(r.wallMs))],
    ['(plain bootstrapper, same iteration)', ...fb.runs.map((r) => ms(r.plainWallMs))],
    ['(wall / plain bootstrapper)', ...fb.runs.map((r) => times(r.ratioToPlain))],
    ['(wall / simulated delay)', ...fb.runs.map((r) => times(r.ratioToDelay))],
  );
  out.push(...table(['STEP', ...runHeaders], stepRows), '');
  out.push(...renderHandOff(result), '', ...renderFiftyBoxes(result.fiftyBoxes), '');
  if (result.runnerImage) out.push(...renderParallelBoot(result.runnerImage.parallelBoot), '');
  const c = result.checkpoint;
  out.push(
    'Ratios: MEDIAN/BASE = figure median / baseline median; P95/BASE = figure p95 / baseline p95.',
    `Checkpoint snapshot: the initialising boot's real one (${kb(c.realSnapshotBytes)})${c.snapshotBytes > c.realSnapshotBytes ? `, padded to ${kb(c.snapshotBytes)} (BENCH_SNAPSHOT_BYTES)` : ''}.`,
  );
  if (image) {
    out.push(
      `Runner image check: ensureRunnerImage on an image built once (${ms(image.buildMs)}) from a FROM-scratch busybox context, against ${image.endpoint}.`,
    );
  }
  if (!result.postgres.fsync) {
    out.push(
      'The main cluster ran with fsync=off (the test cluster): the figures above on it exclude the WAL flush; the fsync-on checkpoint line and the fifty boxes ran on a cluster with fsync=on.',
    );
  }
  return `${out.join('\n')}\n`;
}

function renderParallelBoot(p: ParallelBootFigure): string[] {
  const t = p.timings;
  return [
    `First boot with the runner-worker image built beside Gitea (startupDelayMs ${p.giteaDelayMs}, build RUN busybox sleep ${p.buildSleepSeconds}), real Docker engine:`,
    ...table(
      ['PROVISION PHASE (from the journal)', 'DURATION'],
      [
        ['Gitea region (writeAppIni .. handOff, first start to last finish)', ms(t.giteaRegionMs)],
        [`buildRunnerWorker (built ${p.build.imageId.replace(/^sha256:/, '').slice(0, 12)})`, ms(t.buildMs)],
        ['side by side: provision wall (first start to last finish of both)', ms(t.provisionWallMs)],
        ['one after the other: Gitea region + build', ms(t.sequentialMs)],
        ['overlap (both running)', ms(t.overlapMs)],
        ['(process wall time of the boot)', ms(p.wallMs)],
      ],
    ),
    `Parallel / sequential = ${times(t.ratio)}  (ideal max/sum = ${times(t.idealRatio)}; 1.00x would mean no overlap)`,
  ];
}

function renderHandOff(result: BenchResult): string[] {
  const h = result.handOff;
  const base = h.noDocker.handOffMs;
  const row = (name: string, s: HandOffSample | null): string[] =>
    s
      ? [name, ms(s.handOffMs), times(ratio(s.handOffMs, base)), s.build ?? '-', ms(s.wallMs)]
      : [name, '-', '-', 'skipped (BENCH_DOCKER=0)', '-'];
  const r = h.restartAfterDegraded;
  const fsyncOn = result.checkpointFsync.summary;
  const fsyncOff = result.checkpoint.summary;
  return [
    'Time to hand-off (process start to the handOff checkpoint; supervisord starts right after), first boot on the simulator:',
    ...table(
      ['CASE', 'HAND-OFF', '/NO DOCKER', 'RUNNER BUILD', 'PROCESS WALL'],
      [
        row('Docker absent (baseline)', h.noDocker),
        row('socket configured, never appears (30 s wait)', h.socketMissing),
        row(`runner-worker build of ${h.slowBuildSeconds} s`, h.slowBuild),
      ],
    ),
    `Restart after a degraded run (runner image only, to hand-off) vs warm start: median ${ms(r.summary.median)} / ${ms(summarise(h.warmMs).median)} = ${times(r.ratio.median)}, p95 ${times(r.ratio.p95)} (n ${r.summary.n})`,
    `Checkpoint write p95: fsync on ${ms(fsyncOn.p95)} (median ${ms(fsyncOn.median)}), fsync off ${ms(fsyncOff.p95)} (median ${ms(fsyncOff.median)}); on/off p95 ${times(ratio(fsyncOn.p95, fsyncOff.p95))}`,
  ];
}

function renderFiftyBoxes(f: FiftyBoxesResult): string[] {
  const b = f.boots;
  return [
    `${f.boxes} boxes booting at once on one Postgres (max_connections ${f.maxConnections}), each with its own simulated Gitea: all completed`,
    ...table(
      ['BOOT WALL', 'MS', '/ONE ALONE'],
      [
        ['one box alone (baseline)', ms(f.aloneMs), times(1)],
        ['p50', ms(b.median), times(ratio(b.median, f.aloneMs))],
        ['p95', ms(b.p95), times(ratio(b.p95, f.aloneMs))],
        ['max', ms(b.max), times(ratio(b.max, f.aloneMs))],
      ],
    ),
    `Connections (pg_stat_activity, ${f.samples} samples): at most ${f.maxConnectionsPerBoot} per boot, ${f.peakConnections} at once in all; samples with a session waiting on a lock: ${f.lockWaitSamples}${f.lockWaits.length > 0 ? ` (${f.lockWaits.join('; ')})` : ''}`,
  ];
}
