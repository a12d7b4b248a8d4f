// The regenerating scripts write between markers: writing back what a doc holds changes nothing
// (so a current doc stays byte-identical), and a doc without its markers is an error, not a no-op.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readBlock, replaceBlock } from '../../src/docs/blocks.ts';
import { REPO_ROOT } from '../support/boot-process.ts';

const GENERATED = [
  ['docs/configuration.md', 'env'],
  ['docs/architecture.md', 'steps'],
  ['machines/README.md', 'steps'],
] as const;

describe('generated blocks', () => {
  it.each(GENERATED)('%s: writing back its %s block leaves the file as it is', (path, name) => {
    const text = readFileSync(join(REPO_ROOT, path), 'utf8');
    expect(replaceBlock(text, name, readBlock(text, name))).toBe(text);
  });

  it('replaces only what is between the markers, and refuses a doc without them', () => {
    const doc = 'intro\n\n<!-- x:start -->\n\nold\n\n<!-- x:end -->\n\nafter\n';
    expect(replaceBlock(doc, 'x', 'new')).toBe(
      'intro\n\n<!-- x:start -->\n\nnew\n\n<!-- x:end -->\n\nafter\n',
    );
    expect(() => readBlock('no markers', 'x')).toThrow(
      'no <!-- x:start --> line followed by a <!-- x:end --> line',
    );
    expect(() => replaceBlock('<!-- x:end -->\n<!-- x:start -->', 'x', 'y')).toThrow(/x:start/);
  });
});
