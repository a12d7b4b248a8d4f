#!/usr/bin/env node
// Launcher. Runs the esbuild bundle (dist/, made by `npm run build`) when it is newer than
// every source file, else the TypeScript sources through tsx — so a checkout always runs what
// it has, and the image (which builds dist/ and keeps no sources) starts fast.
//
// The bundle is compiled with a V8 code cache (Node 20 has no compile cache of its own): most
// of a warm start's own CPU went to parsing and compiling it. The cache is made by the first
// start of each command that finds none (or one V8 rejects: another Node, other flags, another
// bundle) and kept beside the bundle; writing it may fail (a read-only image), which costs only
// the speed-up.
//
// CommonJS (bin/package.json): an ES module entry point starts Node's ES module loader and
// builds an ES module facade of each builtin it imports, which cost a warm start more CPU than
// everything in this file does; the bundle is CommonJS too.
const { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { setTimeout } = require('node:timers');
const { dirname, join } = require('node:path');
const vm = require('node:vm');

const root = dirname(__dirname);
const bundle = join(root, 'dist', 'gigi-boot.cjs');
/** How long after start the cache is written when the command is still running (the hand-off). */
const CACHE_AFTER_MS = 3_000;

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function bundleIsFresh() {
  if (!existsSync(bundle)) return false;
  const built = statSync(bundle).mtimeMs;
  return ['src', 'machines'].every((d) => !existsSync(join(root, d)) || newestSource(join(root, d)) <= built);
}

/** src/store/volume.ts VOLUME_ID_FILE (test/cli/launcher.test.ts holds the two equal). */
const VOLUME_ID_FILE = '.gigi-boot-volume-id';

/**
 * Which code cache a start compiles with: one per command, as each runs a different part of the
 * bundle, and two for `run`. A restart of a booted box (its volume has an id) takes the warm
 * path and loads neither XState nor the steps; sharing the first boot's cache, twice its size,
 * cost every restart ~4 ms. The file's presence is a hint that picks a cache, nothing more: the
 * boot itself reads the volume (safely) and decides.
 */
function cacheName(command) {
  if (!/^[a-z]+$/.test(command ?? '')) return 'other';
  if (command !== 'run') return command;
  return existsSync(join(process.env.GIGI_DATA_DIR || '/data', VOLUME_ID_FILE)) ? 'run-restart' : 'run-first';
}

/** The bundle's exports, compiled from its code cache when there is a usable one. */
function loadBundle(command) {
  const cacheFile = `${bundle}.${cacheName(command)}.v8cache`;
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  // ASCII only (bin/build.mjs checks): latin1 makes the one-byte string V8 compiles fastest.
  const source = readFileSync(bundle, 'latin1');
  // The CommonJS wrapper on the first line, so the bundle's line numbers (and source map) hold.
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: bundle,
    cachedData,
  });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, dirname(bundle));
  let saved = false;
  const saveCache = () => {
    if (saved || (cachedData && !script.cachedDataRejected)) return;
    saved = true;
    try {
      const temp = `${cacheFile}.${process.pid}.tmp`;
      writeFileSync(temp, script.createCachedData(), { mode: 0o644 });
      renameSync(temp, cacheFile);
    } catch {
      // Not writable (a read-only image): every start compiles, as without a cache.
    }
  };
  setTimeout(saveCache, CACHE_AFTER_MS).unref();
  return { cli: module.exports, saveCache };
}

async function main(argv) {
  if (bundleIsFresh()) {
    const { cli, saveCache } = loadBundle(argv[0]);
    process.exitCode = await cli.main(argv);
    // Everything this command ran is compiled by now: the richest cache to keep.
    saveCache();
  } else {
    const { register } = await import('tsx/esm/api');
    register();
    const cli = await import('../src/cli/main.ts');
    process.exitCode = await cli.main(argv);
  }
}

void main(process.argv.slice(2));
