// One simulator for a whole test file, in a temp dir of its own, with an API client on it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/postgres.ts';
import { ApiClient } from './api-client.ts';
import { startSimulator, type RunningSimulator } from './harness.ts';

/** A simulator in a temp dir of its own, with an API client on it. */
export interface ScratchSimulator {
  dir: string;
  sim: RunningSimulator;
  api: ApiClient;
}

/** Why: most simulator suites run one simulator for the whole file, in a temp dir of their own. */
export async function startScratchSimulator(prefix: string): Promise<ScratchSimulator> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const sim = await startSimulator({ dir, port: await freePort() });
  return { dir, sim, api: new ApiClient(sim.url) };
}

/** Why: the suite's end: the simulator stopped, its dir removed (either may be missing after a failed start). */
export async function stopScratchSimulator(scratch: Partial<ScratchSimulator>): Promise<void> {
  await scratch.sim?.stop();
  if (scratch.dir) rmSync(scratch.dir, { recursive: true, force: true });
}
