// The read-only commands' way in (inspect, visualize): a volume that never booted, or a data
// dir that does not exist, is answered from what is there, never by creating it. openStore
// would create GIGI_DATA_DIR/gigi-boot and an embedded database in a mistyped directory; this
// opens a store only when there is a recorded boot to read.
import { stat } from 'node:fs/promises';
import type { BootConfig } from '../config/types.ts';
import { openStore } from '../store/index.ts';
import { pglitePaths } from '../store/pglite.ts';
import type { Store } from '../store/types.ts';
import { readVolumeId } from './gather.ts';

export interface VolumeForReading {
  /** False when GIGI_DATA_DIR does not exist (or is not a directory): nothing was created. */
  dataDirExists: boolean;
  volumeId: string | null;
  /** Null when there is nothing to read: no volume id, or no embedded database on the volume. */
  store: Store | null;
  kind: 'postgres' | 'pglite';
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isDirectory(),
    () => false,
  );
}

/** Why: a read must never write; what is not there is reported as "never booted", not made. */
export async function openVolumeForReading(config: BootConfig): Promise<VolumeForReading> {
  const kind = config.databaseUrl !== undefined ? 'postgres' : 'pglite';
  if (!(await isDirectory(config.dataDir))) {
    return { dataDirExists: false, volumeId: null, store: null, kind };
  }
  const volumeId = await readVolumeId(config.dataDir);
  // An embedded store opens (and would create) <dataDir>/gigi-boot/pglite: only if it exists.
  const hasStore =
    volumeId !== null && (kind === 'postgres' || (await isDirectory(pglitePaths(config.dataDir).database)));
  const store = hasStore
    ? await openStore({
        databaseUrl: config.databaseUrl,
        dataDir: config.dataDir,
        lockWaitMs: config.deadlines.lockWaitMs,
      })
    : null;
  return { dataDirExists: true, volumeId, store, kind };
}

/** The line read-only commands print (stderr) when GIGI_DATA_DIR is not there. */
export function missingDataDirNote(dataDir: string): string {
  return `GIGI_DATA_DIR ${dataDir} does not exist: no boot is recorded there (nothing was created; check the path, or start the container to boot it)`;
}
