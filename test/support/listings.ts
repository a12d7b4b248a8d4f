// Listings a test compares before and after, or with what the docs promise: a directory's tree,
// a JSON value's field paths, and the field paths a docs/operations.md table documents.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from './boot-process.ts';

/** Why: "nothing was written" is every path under `dir`, relative and sorted, unchanged. */
export function listTree(dir: string): string[] {
  if (!existsSync(dir)) return ['(absent)'];
  if (!statSync(dir).isDirectory()) return [`(file of ${statSync(dir).size} bytes)`];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      out.push(relative(dir, join(d, entry.name)));
      if (entry.isDirectory()) walk(join(d, entry.name));
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * Why: a JSON output's shape, to compare with its documented fields. Every field path: `a.b`,
 * arrays of objects as `a[]` with `a[].b` inside; below an `opaque` path (a free-form map) nothing.
 */
export function fieldPaths(
  value: unknown,
  opaque: ReadonlySet<string> = new Set(),
  prefix = '',
  out = new Set<string>(),
): Set<string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return out;
  for (const [key, child] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (opaque.has(path)) {
      out.add(path);
    } else if (Array.isArray(child) && child.some((c) => typeof c === 'object' && c !== null)) {
      out.add(`${path}[]`);
      for (const element of child) fieldPaths(element, opaque, `${path}[]`, out);
    } else {
      out.add(path);
      fieldPaths(child, opaque, path, out);
    }
  }
  return out;
}

/** Why: the docs' field tables are the contract; the field paths between `<!-- marker:start/end -->`, sorted. */
export function documentedFields(marker: string): string[] {
  const docs = readFileSync(join(REPO_ROOT, 'docs', 'operations.md'), 'utf8');
  const start = docs.indexOf(`<!-- ${marker}:start -->`);
  const end = docs.indexOf(`<!-- ${marker}:end -->`);
  if (start < 0 || end <= start) throw new Error(`docs/operations.md has no ${marker} section`);
  return [...docs.slice(start, end).matchAll(/^\| `([^`]+)` +\|/gm)].map((m) => m[1]!).sort();
}
