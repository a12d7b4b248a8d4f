#!/usr/bin/env node
// Bundles gigi-boot's TypeScript (src/ and machines/) into dist/gigi-boot.cjs with esbuild, so
// the entrypoint starts in a fraction of the time tsx's on-the-fly transpiling takes (a warm
// container restart is dominated by start-up: issue 11 wants it within 3× `node -e 0`).
//
// The packages a warm start loads (xstate, zod, pino, pg, execa) are bundled too:
// resolving and reading the hundreds of small files they ship (execa alone is over 100 modules)
// cost more than running them. So is undici, the Gitea API client's, which only a first boot
// loads: from node_modules it took ~80 ms to require, bundled and from the code cache ~30 ms,
// and the boot loads it while the temporary Gitea starts. Packages only a first boot, `visualize` or `demo` loads, with
// assets or native parts of their own, stay external in node_modules.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));

/** Loaded lazily, never by a warm start; some carry WebAssembly, native addons or worker files. */
const EXTERNAL = [
  '@electric-sql/pglite',
  '@hpcc-js/wasm-graphviz',
  'chokidar',
  'dockerode',
  'tar-stream',
  'tsx',
  // pg's optional native binding and its Cloudflare socket: required only when asked for.
  'pg-native',
  'pg-cloudflare',
];

/**
 * pg asks "am I in a Cloudflare Worker?" when it is first loaded; on Node 20, which has no
 * `navigator`, it answers by constructing a fetch Response, and that loads Node's built-in
 * undici: more CPU than the rest of pg on every start. gigi-boot runs on Node only.
 */
const pgOnNode = {
  name: 'pg-on-node',
  setup(build) {
    build.onLoad({ filter: /[\\/]pg[\\/]lib[\\/]stream\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const probe = 'function isCloudflareRuntime() {';
      if (!source.includes(probe))
        throw new Error(`${args.path} no longer has ${probe}: check pg's runtime probe (bin/build.mjs)`);
      return { contents: source.replace(probe, `${probe}\n  return false;`), loader: 'js' };
    });
  },
};

/**
 * pino loads its transport machinery (thread-stream, and with it worker_threads) on every start;
 * gigi-boot writes its log lines itself (src/log/logger.ts) and never starts a transport, so the
 * bundle gets a thread-stream that says so if anything ever asks for one.
 */
const noPinoTransports = {
  name: 'no-pino-transports',
  setup(build) {
    build.onResolve({ filter: /^thread-stream$/ }, () => ({
      path: 'thread-stream',
      namespace: 'no-pino-transports',
    }));
    build.onLoad({ filter: /.*/, namespace: 'no-pino-transports' }, () => ({
      contents:
        "module.exports = class ThreadStream { constructor() { throw new Error('pino transports are not bundled with gigi-boot (bin/build.mjs)'); } };",
      loader: 'js',
    }));
  },
};

/**
 * The boot machine's fingerprint (src/boot/fingerprint.ts), computed here so that a warm start
 * decides without loading XState: the machine is bundled on its own and its definition hashed
 * exactly as the run-time check does (test/boot/fingerprint.test.ts holds the two equal).
 */
async function machineFingerprint() {
  const dir = await mkdtemp(join(tmpdir(), 'gigi-boot-fingerprint-'));
  try {
    const out = join(dir, 'boot.mjs');
    await build({
      entryPoints: [join(root, 'machines', 'boot.ts')],
      outfile: out,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'warning',
    });
    const { bootMachine } = await import(pathToFileURL(out).href);
    return createHash('sha256').update(JSON.stringify(bootMachine.definition)).digest('hex');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await rm(join(root, 'dist'), { recursive: true, force: true });
await build({
  entryPoints: [join(root, 'src', 'cli', 'main.ts')],
  outfile: join(root, 'dist', 'gigi-boot.cjs'),
  // One CommonJS file, which bin/gigi-boot.js compiles with vm.Script and a V8 code cache
  // (Node 20 has no compile cache for ES modules): parsing and compiling is most of a warm
  // start's own work. Commands are still evaluated only when run: each `import()` of a module
  // of ours becomes a lazy init, of an external package a require() (they are all CommonJS-loadable).
  format: 'cjs',
  supported: { 'dynamic-import': false },
  bundle: true,
  external: EXTERNAL,
  plugins: [pgOnNode, noPinoTransports],
  define: {
    __GIGI_BOOT_FINGERPRINT__: JSON.stringify(await machineFingerprint()),
    'import.meta.url': '__gigiBootModuleUrl',
  },
  banner: { js: "var __gigiBootModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  platform: 'node',
  target: 'node20',
  // Less to parse; names are kept, so a stack trace still reads.
  minifyWhitespace: true,
  minifySyntax: true,
  // ASCII only (escapes, and the bundled packages' license comments in a file of their own): one
  // non-ASCII character makes V8 hold the whole 1.7 MB source as a two-byte string, and the
  // launcher's read of it took 15-30 ms instead of 1 (it reads it as latin1, which is ASCII's
  // superset; checked below).
  charset: 'ascii',
  legalComments: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
});

// What the launcher's latin1 read relies on (see charset above): a character esbuild kept as is
// (a regular expression's, a template literal's) would be read as the wrong one.
const bundled = await readFile(join(root, 'dist', 'gigi-boot.cjs'));
const wide = bundled.findIndex((byte) => byte > 0x7f);
if (wide !== -1) {
  const line = bundled.subarray(0, wide).toString('latin1').split('\n').length;
  throw new Error(
    `dist/gigi-boot.cjs line ${line} has a non-ASCII character: write it as an escape (\\u00b7, &middot;) in its source`,
  );
}
