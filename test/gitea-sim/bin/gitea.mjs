#!/usr/bin/env node
// The simulated `gitea` executable. Runs main.ts from a cached esbuild bundle (keyed by the
// sources' mtimes/sizes) so each start costs little more than node itself; falls back to
// tsx's loader (from the repo's node_modules) when the bundle cannot be built.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const simDir = dirname(dirname(fileURLToPath(import.meta.url)));

function sourceKey() {
  const hash = createHash('sha1');
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'bin') walk(p);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
        const st = statSync(p);
        hash.update(`${p}:${st.mtimeMs}:${st.size};`);
      }
    }
  };
  walk(simDir);
  return hash.digest('hex').slice(0, 16);
}

async function loadMain() {
  try {
    const cacheDir = join(tmpdir(), `gitea-sim-${process.getuid?.() ?? 'u'}`);
    const bundle = join(cacheDir, `main-${sourceKey()}.mjs`);
    if (!existsSync(bundle)) {
      const { buildSync } = await import('esbuild');
      mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
      const tmp = `${bundle}.${process.pid}.tmp`;
      buildSync({
        entryPoints: [join(simDir, 'main.ts')],
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        outfile: tmp,
        logLevel: 'silent',
      });
      renameSync(tmp, bundle);
    }
    return await import(pathToFileURL(bundle).href);
  } catch {
    const { register } = await import('tsx/esm/api');
    register();
    return import('../main.ts');
  }
}

const { main } = await loadMain();
const code = await main(process.argv.slice(2));
if (code !== undefined && code !== null) {
  process.exitCode = code;
  if (code !== 0) process.exit(code);
}
