// Running the real `gigi-boot` CLI for the bench, and checking each run did what the figure
// claims (exit 0, the expected plan) before its time is used.
import type { InspectReport } from '../../src/inspect/gather.ts';
import { BenchFailure, tail } from './failure.ts';
import { timeProcess, type TimedResult } from './timed-process.ts';

export type Plan = 'fresh' | 'resume' | 'warm';

export interface BootRun {
  wallMs: number;
  plan: Plan;
  runId: string;
}

interface LogLine {
  event?: string;
  plan?: Plan;
  runId?: string;
  reason?: string;
}

/** The first `event` of a run's JSON log (stdout is not a TTY, so it is JSON lines). */
function logEvent(stdout: string, event: string): LogLine | undefined {
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const parsed = JSON.parse(line) as LogLine;
      if (parsed.event === event) return parsed;
    } catch {
      /* not a log line */
    }
  }
  return undefined;
}

function describeExit(result: TimedResult): string {
  return result.signal ? `signal ${result.signal}` : `exit code ${result.code}`;
}

/** Why: time one `gigi-boot run --no-handoff` and fail the bench unless it completed with `expected`. */
export async function timeBoot(
  cli: string,
  env: Record<string, string>,
  label: string,
  expected: Plan,
): Promise<BootRun> {
  const result = await timeProcess(process.execPath, [cli, 'run', '--no-handoff'], env);
  const completed = logEvent(result.stdout, 'boot.completed');
  if (result.code !== 0 || !completed?.plan || !completed.runId) {
    throw new BenchFailure(
      `${label}: \`gigi-boot run --no-handoff\` failed (${describeExit(result)}, data dir ${env.GIGI_DATA_DIR}). Last output:\n` +
        tail(`${result.stdout}\n${result.stderr}`),
    );
  }
  if (completed.plan !== expected) {
    throw new BenchFailure(
      `${label}: expected the ${expected} path but the boot took the ${completed.plan} path (${logEvent(result.stdout, 'boot.plan')?.reason ?? 'no reason logged'}; data dir ${env.GIGI_DATA_DIR}); the figure would measure the wrong thing`,
    );
  }
  return { wallMs: result.wallMs, plan: completed.plan, runId: completed.runId };
}

/** Why: per-step durations come from the journal, read the way an operator would (`inspect --json`). */
export async function inspectJson(
  cli: string,
  env: Record<string, string>,
  label: string,
): Promise<InspectReport> {
  const result = await timeProcess(process.execPath, [cli, 'inspect', '--json'], env);
  if (result.code !== 0) {
    throw new BenchFailure(
      `${label}: \`gigi-boot inspect --json\` failed (${describeExit(result)}, data dir ${env.GIGI_DATA_DIR}). Last output:\n` +
        tail(`${result.stdout}\n${result.stderr}`),
    );
  }
  try {
    return JSON.parse(result.stdout) as InspectReport;
  } catch (error) {
    throw new BenchFailure(`${label}: \`gigi-boot inspect --json\` did not print JSON`, { cause: error });
  }
}
