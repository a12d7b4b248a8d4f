// Troubleshooting is by error class: every class src/errors.ts exports, and every error class a
// module of src/ declares beside it, has its own section in docs/operations.md, so an operator
// holding any gigi-boot error finds what to do about it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as errors from '../../src/errors.ts';
import { REPO_ROOT } from '../support/boot-process.ts';

/** The exported classes: constructors whose prototype chain reaches Error. */
function errorClassNames(): string[] {
  return Object.entries(errors)
    .filter(([, value]) => typeof value === 'function' && value.prototype instanceof Error)
    .map(([name]) => name)
    .sort();
}

/**
 * gigi-boot's error classes declared elsewhere in src/: `export class X extends Y` where Y is
 * BootError or one of its subclasses (an internal signal such as a plain `extends Error` that is
 * turned into a BootError before it leaves its module is not an operator's concern).
 */
function declaredBootErrorClasses(known: readonly string[]): string[] {
  const src = join(REPO_ROOT, 'src');
  const declared = (readdirSync(src, { recursive: true }) as string[])
    .filter((file) => file.endsWith('.ts'))
    .flatMap((file) => [
      ...readFileSync(join(src, file), 'utf8').matchAll(/^export class (\w+) extends (\w+)\b/gm),
    ])
    .map((m) => ({ name: m[1]!, base: m[2]! }));
  const family = new Set(known);
  for (let grew = true; grew;) {
    grew = false;
    for (const { name, base } of declared)
      if (family.has(base) && !family.has(name)) grew = Boolean(family.add(name));
  }
  return [...family];
}

/** The `### Name` headings under `## Troubleshooting by error class`. */
function documentedClasses(): string[] {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'operations.md'), 'utf8');
  const start = doc.indexOf('\n## Troubleshooting by error class\n');
  expect(start, 'docs/operations.md has a "## Troubleshooting by error class" section').toBeGreaterThan(0);
  const end = doc.indexOf('\n## ', start + 1);
  const section = doc.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/^### (\w+)$/gm)].map((m) => m[1]!);
}

describe('docs/operations.md troubleshooting', () => {
  it('has a section for every error class of src/, and none for a class that does not exist', () => {
    const classes = declaredBootErrorClasses(errorClassNames()).sort();
    expect(classes).toContain('ConfigError');
    expect(classes).toContain('SupervisorError');
    const documented = documentedClasses().filter((name) => name.endsWith('Error'));
    expect(documented.sort()).toEqual(classes);
  });
});
