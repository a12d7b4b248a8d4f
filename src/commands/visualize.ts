// `gigi-boot visualize [--out FILE.html|FILE.svg] [--serve] [--port N]`: the boot machine laid out
// by Graphviz with this volume's latest run drawn on it. Without --out or --serve the HTML page
// goes to stdout. Read-only: never takes the boot lock, never writes to the store, never creates
// the data dir or a database (a volume that never booted gets the machine with no run on it).
import { constants } from 'node:fs';
import { access, stat, writeFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { EXIT } from '../cli/exit-codes.ts';
import { registerStoredSecrets } from '../boot/secrets.ts';
import { loadConfig, secretValuesOf, type BootConfig } from '../config/index.ts';
import { ConfigError } from '../errors.ts';
import { nothingRecorded, readVolumeId } from '../inspect/gather.ts';
import { missingDataDirNote, openVolumeForReading } from '../inspect/read-only.ts';
import { processRedactor } from '../log/process-redactor.ts';
import { openStore } from '../store/index.ts';
import type { Store } from '../store/types.ts';
import { renderHtml, renderSvgFile, type View } from '../visualize/html.ts';
import { startVisualizerServer } from '../visualize/server.ts';
import { readView } from '../visualize/view.ts';

export const DEFAULT_PORT = 7357;

type OutputFormat = 'html' | 'svg';

/** Why: a wrong --out or --port is the operator's to fix, with what is expected. */
export function parseVisualizeFlags(flags: Record<string, string | boolean | undefined>): {
  out: { path: string; format: OutputFormat } | null;
  serve: boolean;
  port: number;
} {
  let out: { path: string; format: OutputFormat } | null = null;
  if (typeof flags.out === 'string') {
    const ext = extname(flags.out).toLowerCase();
    const format = ext === '.svg' ? 'svg' : ext === '.html' || ext === '.htm' ? 'html' : null;
    if (!format) {
      throw new ConfigError([`--out ${flags.out}: expected a file name ending in .html or .svg`]);
    }
    out = { path: flags.out, format };
  }
  let port = DEFAULT_PORT;
  if (typeof flags.port === 'string') {
    if (!/^\d+$/.test(flags.port) || Number(flags.port) > 65535) {
      throw new ConfigError([
        `--port ${flags.port}: expected a TCP port number 0-65535 (0 picks a free one)`,
      ]);
    }
    port = Number(flags.port);
  }
  const serve = flags.serve === true;
  if (typeof flags.port === 'string' && !serve) {
    throw new ConfigError([`--port ${flags.port}: only meaningful with --serve`]);
  }
  return { out, serve, port };
}

/** Why: a --out that cannot be written is the operator's to fix (exit 2), found before the store is read. */
export async function checkOutPath(path: string): Promise<void> {
  const dir = dirname(resolve(path));
  const problem = await stat(dir).then(
    async (info) => {
      if (!info.isDirectory()) return `${dir} is not a directory`;
      if (
        await access(dir, constants.W_OK).then(
          () => false,
          () => true,
        )
      )
        return `the directory ${dir} is not writable`;
      const target = await stat(path).catch(() => undefined);
      return target?.isDirectory() ? `${path} is a directory` : undefined;
    },
    (error: NodeJS.ErrnoException) =>
      error.code === 'ENOENT' ? `the directory ${dir} does not exist` : `cannot use ${dir} (${error.code})`,
  );
  if (problem)
    throw new ConfigError([`--out ${path}: ${problem}; expected a file in an existing, writable directory`]);
}

async function open(config: BootConfig): Promise<Store> {
  return openStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    lockWaitMs: config.deadlines.lockWaitMs,
  });
}

/**
 * Read once, with a store opened and closed around it (PGlite allows one process at a time).
 * A volume that never booted, or no data dir at all, draws the machine with no run on it:
 * nothing is created (src/inspect/read-only.ts).
 */
async function readOnce(config: BootConfig): Promise<View> {
  const volume = await openVolumeForReading(config);
  try {
    if (volume.store) await registerStoredSecrets(volume.store, processRedactor);
    return await readView(volume.store ?? nothingRecorded(volume.kind), volume.volumeId, processRedactor);
  } finally {
    await volume.store?.close();
  }
}

export async function execute(flags: Record<string, string | boolean | undefined>): Promise<number> {
  const options = parseVisualizeFlags(flags);
  if (options.out) await checkOutPath(options.out.path);
  const { config } = await loadConfig(process.env);
  processRedactor.add(...secretValuesOf(config));
  if (
    !(await stat(config.dataDir).then(
      (i) => i.isDirectory(),
      () => false,
    ))
  )
    process.stderr.write(`gigi-boot visualize: ${missingDataDirNote(config.dataDir)}\n`);

  if (options.out || !options.serve) {
    const view = await readOnce(config);
    const text = options.out?.format === 'svg' ? renderSvgFile(view) : renderHtml(view);
    if (options.out) {
      await writeFile(options.out.path, text).catch((error: NodeJS.ErrnoException) => {
        throw new ConfigError(
          [
            `--out ${options.out!.path}: cannot write the file (${error.code ?? error.message}); expected a writable path`,
          ],
          { cause: error },
        );
      });
      process.stderr.write(`gigi-boot visualize: wrote ${options.out.path}\n`);
    } else {
      process.stdout.write(text);
    }
  }
  if (!options.serve) return EXIT.ok;
  return serve(config, options.port);
}

/** Serve until SIGINT/SIGTERM. Postgres: one store kept open for LISTEN; PGlite: opened per read. */
async function serve(config: BootConfig, port: number): Promise<number> {
  const shared = config.databaseUrl !== undefined ? await open(config) : null;
  try {
    if (shared) await registerStoredSecrets(shared, processRedactor);
    const server = await startVisualizerServer({
      port,
      read: async () =>
        shared ? readView(shared, await readVolumeId(config.dataDir), processRedactor) : readOnce(config),
      subscribe: shared ? (onChange) => shared.onProgress(() => onChange()) : undefined,
      onError: (error) =>
        process.stderr.write(
          `gigi-boot visualize: could not read the boot (${processRedactor.redact((error as Error).message)}); retrying\n`,
        ),
    });
    process.stdout.write(`gigi-boot visualize: serving ${server.url} (Ctrl-C to stop)\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await server.close();
    return EXIT.ok;
  } finally {
    await shared?.close();
  }
}
