// Fifty boxes, one Postgres: N volumes (default 50) boot at once against one cluster with
// Postgres's default max_connections (100), each with its own database (a database belongs to
// one volume: the app's config table is per box) and its own simulated Gitea.
// All must complete. pg_stat_activity is sampled throughout: the most connections any one boot
// held at once (by the pid in its application_name; at most 2: its pool and its lock), and any
// session waiting on a lock. Boot times against one boot alone on the same database.
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { bootEnv } from '../support/boot-process.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { BenchFailure, tail } from './failure.ts';
import { summarise, type Summary } from './stats.ts';
import { timeProcess } from './timed-process.ts';
import type { Workspace } from './workspace.ts';

export interface FiftyBoxesResult {
  boxes: number;
  maxConnections: number;
  /** One boot alone on the same database, first (it also migrates the schema). */
  aloneMs: number;
  boots: Summary;
  /** The most connections one boot held at any sample. */
  maxConnectionsPerBoot: number;
  /** The most gigi-boot connections at once, all boots together. */
  peakConnections: number;
  /** Samples in which some session waited on a lock (wait_event_type Lock), and how many were taken. */
  lockWaitSamples: number;
  /** What they waited on (wait_event: advisory, relation, transactionid …) and the query. */
  lockWaits: string[];
  samples: number;
}

interface Sampler {
  stop(): Promise<{ perBoot: number; peak: number; lockWaits: number; what: string[]; samples: number }>;
}

/** Why: every 25 ms, who is connected (grouped by the pid gigi-boot puts in application_name) and who waits on a lock. */
async function sampleActivity(databaseUrl: string): Promise<Sampler> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'bench sampler' });
  await client.connect();
  let perBoot = 0;
  let peak = 0;
  let lockWaits = 0;
  const what = new Set<string>();
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const { rows } = await client.query<{
        application_name: string;
        wait_event_type: string | null;
        wait_event: string | null;
        query: string;
      }>(
        `SELECT application_name, wait_event_type, wait_event, left(query, 60) AS query FROM pg_stat_activity
          WHERE application_name LIKE 'gigi-boot%'`,
      );
      const byPid = new Map<string, number>();
      for (const row of rows) {
        const pid = /pid=(\d+)/.exec(row.application_name)?.[1] ?? row.application_name;
        byPid.set(pid, (byPid.get(pid) ?? 0) + 1);
      }
      perBoot = Math.max(perBoot, ...byPid.values(), 0);
      peak = Math.max(peak, rows.length);
      const waiting = rows.filter((r) => r.wait_event_type === 'Lock');
      if (waiting.length > 0) lockWaits++;
      for (const r of waiting) what.add(`${r.wait_event}: ${r.query.replace(/\s+/g, ' ')}`);
      samples++;
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      await client.end();
      return { perBoot, peak, lockWaits, what: [...what], samples };
    },
  };
}

async function boot(cli: string, env: Record<string, string>, label: string): Promise<number> {
  const result = await timeProcess(process.execPath, [cli, 'run', '--no-handoff'], env);
  if (result.code !== 0 || !result.stdout.includes('"event":"boot.completed"')) {
    throw new BenchFailure(
      `${label}: did not complete (${result.signal ?? `exit ${result.code}`}, data dir ${env.GIGI_DATA_DIR}). Last output:\n${tail(`${result.stdout}\n${result.stderr}`)}`,
    );
  }
  return result.wallMs;
}

/** Why: the fifty-box figure, on a cluster of its own (max_connections as the caller started it). */
export async function measureFiftyBoxes(
  workspace: Workspace,
  cli: string,
  serverUrl: string,
  { boxes, maxConnections }: { boxes: number; maxConnections: number },
  progress: (message: string) => void,
): Promise<FiftyBoxesResult> {
  const volume = async () => {
    const env = await bootEnv({ databaseUrl: await createTestDatabase(serverUrl, 'bench_box') });
    workspace.track(env.GIGI_DATA_DIR);
    return env;
  };
  const aloneMs = await boot(cli, await volume(), 'one box alone');
  const envs = await Promise.all(Array.from({ length: boxes }, volume));
  progress(`  ${boxes} boxes booting at once`);
  const sampler = await sampleActivity(serverUrl);
  const started = performance.now();
  const settled = await Promise.allSettled(envs.map((env, i) => boot(cli, env, `box ${i + 1} of ${boxes}`)));
  const activity = await sampler.stop();
  progress(`  all ${boxes} done in ${Math.round(performance.now() - started)} ms`);
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  return {
    boxes,
    maxConnections,
    aloneMs,
    boots: summarise(settled.map((s) => (s as PromiseFulfilledResult<number>).value)),
    maxConnectionsPerBoot: activity.perBoot,
    peakConnections: activity.peak,
    lockWaitSamples: activity.lockWaits,
    lockWaits: activity.what,
    samples: activity.samples,
  };
}
