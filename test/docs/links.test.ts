// The docs point at each other and at files of the repository: every relative link of README.md,
// CONTRIBUTING.md, docs/*.md and machines/README.md must reach a file that exists and, with a
// #fragment, a heading of that file (GitHub's anchors: lower case, punctuation dropped, spaces as
// hyphens).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/boot-process.ts';

const DOCS = [
  'README.md',
  'CONTRIBUTING.md',
  'machines/README.md',
  ...readdirSync(join(REPO_ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** GitHub's anchor for a heading. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function anchorsIn(path: string): Set<string> {
  const text = readFileSync(path, 'utf8').replace(/^```[^]*?^```/gm, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1]!)));
}

/** The relative links of a Markdown file (code spans and blocks left out). */
function linksIn(text: string): string[] {
  const prose = text.replace(/^```[^]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!)
    .filter((target) => !/^[a-z]+:/.test(target));
}

describe('links in the docs', () => {
  it.each(DOCS)('%s: every relative link reaches a file and heading that exist', (doc) => {
    const from = join(REPO_ROOT, doc);
    const broken: string[] = [];
    for (const link of linksIn(readFileSync(from, 'utf8'))) {
      const [file, fragment] = link.split('#') as [string, string | undefined];
      const target = file === '' ? from : join(dirname(from), file);
      if (!existsSync(target)) broken.push(`${link}: no file ${relative(REPO_ROOT, target)}`);
      else if (fragment !== undefined && !anchorsIn(target).has(fragment))
        broken.push(`${link}: no heading #${fragment} in ${relative(REPO_ROOT, target)}`);
    }
    expect(broken).toEqual([]);
  });
});
