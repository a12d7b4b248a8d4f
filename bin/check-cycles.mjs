#!/usr/bin/env node
// Fails when the relative imports of src/ and machines/ form a cycle. Type-only imports count:
// a cycle through a type is still two modules that cannot be read (or moved) one without the
// other — the compose.ts ↔ gitea-steps.ts cycle through StepContext was one. Dynamic import()
// counts too. The imports are read with TypeScript's own pre-processor (no extra dependency).
// Usage: node bin/check-cycles.mjs [root] (default: the repository); exit 1 and each cycle on stderr.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const DIRS = ['src', 'machines'];
const SOURCE = /\.(ts|mts|js|mjs)$/;

/** Every source file below `dir` (no node_modules, no declaration files). */
function listSources(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : listSources(path);
    return SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The files a module imports relatively (static, type-only, re-exports and dynamic import()). */
function relativeImports(file) {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return importedFiles
    .map((ref) => ref.fileName)
    .filter((name) => name.startsWith('./') || name.startsWith('../'))
    .map((name) => resolveImport(dirname(file), name))
    .filter((path) => path !== undefined);
}

function resolveImport(from, name) {
  const base = resolve(from, name);
  // The project imports with extensions (verbatimModuleSyntax + allowImportingTsExtensions);
  // the rest covers `./x.js` for `./x.ts` and a directory's index.
  for (const candidate of [base, base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not this one
    }
  }
  return undefined;
}

/**
 * Why: one depth-first walk reports a cycle at each back edge it meets — at least one in every
 * tangle of modules that import each other — as the path of files, each cycle once.
 */
export function findCycles(root) {
  const files = DIRS.flatMap((dir) => listSources(join(root, dir)));
  const graph = new Map(files.map((file) => [file, relativeImports(file)]));
  const state = new Map(); // file → 'open' while on the stack, 'done' after
  const stack = [];
  const cycles = [];
  const seen = new Set();
  const visit = (file) => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (!graph.has(next)) continue; // outside src/ and machines/
      if (state.get(next) === 'open') {
        const cycle = [...stack.slice(stack.indexOf(next)), next].map((f) => relative(root, f));
        const key = [...cycle.slice(0, -1)].sort().join('\n');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(cycle);
        }
      } else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of [...graph.keys()].sort()) if (!state.has(file)) visit(file);
  return cycles;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(process.argv[2] ?? dirname(dirname(fileURLToPath(import.meta.url))));
  const cycles = findCycles(root);
  for (const cycle of cycles) process.stderr.write(`import cycle: ${cycle.join(' → ')}\n`);
  if (cycles.length > 0) {
    process.stderr.write(
      `${cycles.length} import cycle(s) in ${DIRS.join('/, ')}/: move the shared part into a module both import\n`,
    );
    process.exitCode = 1;
  }
}
