// (fault `startupDelayMs` in the GITEA_SIM_FAULTS file), on Postgres: wall time, its ratio to
// a plain bootstrapper doing the same work (plain-boot.ts) and to the delay, and the per-step
// durations the journal recorded.
import type { BenchSettings } from './settings.ts';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { InspectReport } from '../../src/inspect/gather.ts';
import type { FaultsConfig } from '../gitea-sim/faults.ts';
import { bootEnv } from '../support/boot-process.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { BenchFailure } from './failure.ts';
import { inspectJson, timeBoot } from './gigi-boot-runs.ts';
import {
  assertSameWork,
  bundlePlainBootstrapper,
  measurePlainBoot,
  readBootWork,
  type BootWork,
} from './plain-boot.ts';
import type { Workspace } from './workspace.ts';
// Figure 2: a first boot against the Gitea simulator with a fixed simulated start-up delay

/** The steps that wait for the temporary Gitea; together they must cover the simulated delay. */
const GITEA_START_STEPS = new Set(['startGitea', 'awaitApi']);

export interface StepTiming {
  step: string;
  attempts: number;
  durationMs: number;
  outcome: string;
}

export type JournalRow = InspectReport['journal'][number];

export interface FirstBootResult {
  /** Process wall time of `gigi-boot run --no-handoff`. */
  wallMs: number;
  /** Run start to finish as the journal recorded it (excludes process start-up and store open). */
  journalWallMs: number;
  steps: StepTiming[];
}

/** Why: the faults file is read by the simulator, which runs as the unprivileged Gitea user. */
export function writeFaultsFile(workspace: Workspace, delayMs: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'gigi-boot-bench-faults-'));
  workspace.track(dir);
  chmodSync(dir, 0o755);
  const file = join(dir, 'faults.json');
  const faults: FaultsConfig = { startupDelayMs: delayMs };
  writeFileSync(file, JSON.stringify(faults), { mode: 0o644 });
  return file;
}

export interface FirstBootOptions {
  /** Names the boot in failures. */
  label: string;
  /** More environment for the boot (e.g. the runner-worker settings). */
  extraEnv?: Record<string, string>;
}

/** The measured boot, and its journal (every attempt, with start and finish) as inspect shows it. */
export interface FirstBootMeasurement {
  result: FirstBootResult;
  journal: JournalRow[];
  /** The Gitea calls the simulator saw and the config keys written (compared with the baseline's). */
  work: BootWork;
}

/** Why: one first boot on a fresh volume and database, checked to have completed and waited the delay. */
export async function measureFirstBoot(
  workspace: Workspace,
  cli: string,
  serverUrl: string,
  delayMs: number,
  { label, extraEnv = {} }: FirstBootOptions,
): Promise<FirstBootMeasurement> {
  const databaseUrl = await createTestDatabase(serverUrl, 'bench_first');
  const env = await bootEnv({
    databaseUrl,
    extra: { GITEA_SIM_FAULTS: writeFaultsFile(workspace, delayMs), ...extraEnv },
  });
  workspace.track(env.GIGI_DATA_DIR);
  const boot = await timeBoot(cli, env, label, 'fresh');
  const report = await inspectJson(cli, env, label);
  if (report.run?.status !== 'completed' || report.run.runId !== boot.runId) {
    throw new BenchFailure(
      `${label}: inspect shows run ${report.run?.runId ?? '(none)'} ${report.run?.status ?? ''}, expected run ${boot.runId} completed`,
    );
  }
  const steps = report.steps.map(({ step, attempts, durationMs, outcome }) => ({
    step,
    attempts,
    durationMs,
    outcome,
  }));
  const waited = steps.filter((s) => GITEA_START_STEPS.has(s.step)).reduce((sum, s) => sum + s.durationMs, 0);
  if (waited < delayMs) {
    throw new BenchFailure(
      `${label}: the steps ${[...GITEA_START_STEPS].join(' + ')} took ${waited} ms in all, less than the simulated ${delayMs} ms delay: the GITEA_SIM_FAULTS startupDelayMs did not reach the simulator (or the step names changed), so this figure is not what it claims`,
    );
  }
  return {
    result: { wallMs: boot.wallMs, journalWallMs: report.run.wallMs, steps },
    journal: report.journal,
    work: await readBootWork(env),
  };
}

export interface FirstBootPair {
  boot: FirstBootResult;
  /** Process wall time of the plain bootstrapper run beside it (same delay, same calls). */
  plainWallMs: number;
}

/**
 * Why: the first-boot figure is a ratio against the plain bootstrapper measured in the same
 * run: one of each per iteration, on fresh volumes, the one that goes first alternating, so
 * a drift in the machine's load touches both.
 */
export async function measureFirstBootPairs(
  workspace: Workspace,
  cli: string,
  serverUrl: string,
  { firstBoots: iterations, giteaDelayMs: delayMs }: Pick<BenchSettings, 'firstBoots' | 'giteaDelayMs'>,
  progress: (message: string) => void,
): Promise<FirstBootPair[]> {
  const plainScript = bundlePlainBootstrapper(dirname(dirname(cli)));
  const pairs: FirstBootPair[] = [];
  for (let i = 1; i <= iterations; i++) {
    progress(`first boot ${i}/${iterations} and the plain bootstrapper (startupDelayMs ${delayMs})`);
    const label = `first boot ${i} (simulator, ${delayMs} ms start-up delay)`;
    const plain = () =>
      measurePlainBoot(workspace, plainScript, serverUrl, writeFaultsFile(workspace, delayMs), label);
    const boot = () => measureFirstBoot(workspace, cli, serverUrl, delayMs, { label });
    const [p, b] =
      i % 2 === 1
        ? [await plain(), await boot()]
        : await boot().then(async (first) => [await plain(), first] as const);
    assertSameWork(label, b.work, p.work);
    pairs.push({ boot: b.result, plainWallMs: p.wallMs });
  }
  return pairs;
}
