// Troubleshooting is by error class: every class src/errors.ts exports has its own section in
// docs/operations.md, so an operator holding any gigi-boot error finds what to do about it.
import { readFileSync } from 'node:fs';
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
  it('has a section for every error class src/errors.ts exports, and none for a class that does not exist', () => {
    const classes = errorClassNames();
    expect(classes).toContain('ConfigError');
    const documented = documentedClasses().filter((name) => name.endsWith('Error'));
    expect(documented.sort()).toEqual(classes);
  });
});
