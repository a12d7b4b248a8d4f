// Figure 3: checkpoint write latency — Store.saveCheckpoint on Postgres with a real persisted
// snapshot and one journal row, interleaved with a `SELECT 1` round trip on a pool configured
// like the store's (the baseline), so the ratio is the cost of the checkpoint itself.
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { readVolumeId } from '../../src/inspect/gather.ts';
import { openStore, type JournalEntry, type RunRecord } from '../../src/store/index.ts';
import { BenchFailure } from './failure.ts';

const WARM_UP = 10;

export interface CheckpointSample {
  /** The run whose persisted state value (and snapshot) are written again and again. */
  run: RunRecord;
  /** What each checkpoint writes as the snapshot: the run's own, padded up to the target size. */
  snapshot: unknown;
  /** One of its journal rows, used as the template of the row each checkpoint appends. */
  journalRow: JournalEntry;
  /** JSON size of the snapshot the boot really persisted. */
  realSnapshotBytes: number;
  /** JSON size of the snapshot each checkpoint writes. */
  writtenSnapshotBytes: number;
}

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}

/**
 * Why: a snapshot grows with the context (failures, degraded reasons, retry state), so the
 * figure is taken at a target size; the padding is random hex, which Postgres cannot compress,
 * so it errs on the slow side. Smaller targets leave the real snapshot as it is.
 */
export function padSnapshot(snapshot: unknown, targetBytes: number): unknown {
  const missing = targetBytes - jsonBytes(snapshot);
  if (missing <= 0 || typeof snapshot !== 'object' || snapshot === null) return snapshot;
  const padded = { ...(snapshot as Record<string, unknown>), benchPadding: '' };
  const room = Math.max(0, targetBytes - jsonBytes(padded));
  padded.benchPadding = randomBytes(Math.ceil(room / 2))
    .toString('hex')
    .slice(0, room);
  return padded;
}

/** Why: a realistic payload is a real one — the snapshot a completed boot of this volume persisted. */
export async function readCheckpointSample(
  databaseUrl: string,
  dataDir: string,
  targetBytes: number,
): Promise<CheckpointSample> {
  const volumeId = await readVolumeId(dataDir);
  if (!volumeId) throw new BenchFailure(`no volume id in ${dataDir}: the volume was never booted`);
  const store = await openStore({ databaseUrl, dataDir });
  try {
    const run = await store.latestRun(volumeId);
    const journalRow = run ? (await store.journal(run.runId))[0] : undefined;
    if (!run || !journalRow) {
      throw new BenchFailure(
        `volume ${volumeId} has no completed run with journal rows to copy a payload from`,
      );
    }
    const snapshot = padSnapshot(run.snapshot, targetBytes);
    return {
      run,
      snapshot,
      journalRow,
      realSnapshotBytes: jsonBytes(run.snapshot),
      writtenSnapshotBytes: jsonBytes(snapshot),
    };
  } finally {
    await store.close();
  }
}

export interface CheckpointSamples {
  checkpointMs: number[];
  selectMs: number[];
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/** Why: N saveCheckpoint calls on a fresh run, each preceded by a SELECT 1 baseline. */
export async function measureCheckpoints(
  databaseUrl: string,
  sample: CheckpointSample,
  count: number,
): Promise<CheckpointSamples> {
  const store = await openStore({ databaseUrl, dataDir: '/nonexistent-unused-by-postgres' });
  // The same shape as the store's own pool (src/store/postgres.ts): max 4, one round trip per query.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4, application_name: 'gigi-boot bench' });
  pool.on('error', () => undefined);
  try {
    await store.migrate();
    const { machineId, machineVersion, fingerprint } = sample.run;
    const run = await store.startRun({ volumeId: randomUUID(), machineId, machineVersion, fingerprint });
    const checkpoint = (attempt: number) => {
      const finishedAt = new Date();
      return store.saveCheckpoint({
        runId: run.runId,
        status: 'running',
        stateValue: sample.run.stateValue,
        snapshot: sample.snapshot,
        journal: [
          {
            ...sample.journalRow,
            runId: run.runId,
            attempt,
            startedAt: new Date(finishedAt.getTime() - sample.journalRow.durationMs),
            finishedAt,
          },
        ],
      });
    };
    for (let i = 0; i < WARM_UP; i++) {
      await pool.query('SELECT 1');
      await checkpoint(i + 1);
    }
    const samples: CheckpointSamples = { checkpointMs: [], selectMs: [] };
    for (let i = 0; i < count; i++) {
      samples.selectMs.push(await timed(() => pool.query('SELECT 1')));
      samples.checkpointMs.push(await timed(() => checkpoint(WARM_UP + i + 1)));
    }
    const written = await store.journal(run.runId);
    if (written.length !== WARM_UP + count) {
      throw new BenchFailure(
        `checkpoint bench: expected ${WARM_UP + count} journal rows after as many checkpoints, found ${written.length}`,
      );
    }
    return samples;
  } finally {
    await pool.end();
    await store.close();
  }
}
