#!/usr/bin/env node
// Bundles gigi-boot's TypeScript (src/ and machines/) into dist/gigi-boot.mjs with esbuild, so
// the entrypoint starts in a fraction of the time tsx's on-the-fly transpiling takes (a warm
// container restart is dominated by start-up). Dependencies stay external in node_modules.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));

await rm(join(root, 'dist'), { recursive: true, force: true });
await build({
  entryPoints: { 'gigi-boot': join(root, 'src', 'cli', 'main.ts') },
  outdir: join(root, 'dist'),
  outExtension: { '.js': '.mjs' },
  // Each command is a chunk of its own, loaded on demand: `inspect` or `--help` does not pay for
  // dockerode, Graphviz or the Gitea client at start-up.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  packages: 'external',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
});
