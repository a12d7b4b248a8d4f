// Figure 1: warm boot — `gigi-boot run --no-handoff` on a volume that is already initialised,
// timed N times, interleaved with the `node -e 0` baseline so both see the same machine load.
import { bootEnv } from '../support/boot-process.ts';
import { timeBoot } from './gigi-boot-runs.ts';
import { timeNodeBaseline } from './timed-process.ts';
import type { Workspace } from './workspace.ts';

export interface WarmVolume {
  label: string;
  /** The gigi-boot launcher every boot of this volume runs. */
  cli: string;
  env: Record<string, string>;
  /** Wall time of the (untimed for the figure) first boot that initialised it. */
  initialiseMs: number;
}

/** Why: the warm path needs a completed first boot; this makes one (Postgres when databaseUrl is set). */
export async function initialiseVolume(
  workspace: Workspace,
  cli: string,
  label: string,
  databaseUrl: string | undefined,
): Promise<WarmVolume> {
  const env = await bootEnv(databaseUrl ? { databaseUrl } : {});
  workspace.track(env.GIGI_DATA_DIR);
  const first = await timeBoot(cli, env, `${label}: initialising first boot`, 'fresh');
  return { label, cli, env, initialiseMs: first.wallMs };
}

export interface WarmSamples {
  bootMs: number[];
  baselineMs: number[];
}

/** Why: N warm boots with a baseline before each; one untimed warm-up of each to fill caches. */
export async function measureWarmBoots(
  volume: WarmVolume,
  iterations: number,
  onProgress: (done: number) => void = () => undefined,
): Promise<WarmSamples> {
  await timeNodeBaseline(volume.env);
  await timeBoot(volume.cli, volume.env, `${volume.label}: warm-up boot`, 'warm');
  const samples: WarmSamples = { bootMs: [], baselineMs: [] };
  for (let i = 0; i < iterations; i++) {
    samples.baselineMs.push((await timeNodeBaseline(volume.env)).wallMs);
    samples.bootMs.push(
      (await timeBoot(volume.cli, volume.env, `${volume.label}: warm boot ${i + 1}`, 'warm')).wallMs,
    );
    onProgress(i + 1);
  }
  return samples;
}
