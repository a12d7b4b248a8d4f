// The README is what a newcomer reads first: short, and its two first commands are the ones that
// work (the demo on embedded defaults; the tests, which .ci/run runs as README's test command).
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/boot-process.ts';

const README = join(REPO_ROOT, 'README.md');

/** The commands of the README's first code block, one per line, comments stripped. */
function firstCommands(): string[] {
  const readme = readFileSync(README, 'utf8');
  const block = /^```sh\n([\s\S]*?)\n```/m.exec(readme);
  expect(block, 'README.md opens with a ```sh block').not.toBeNull();
  return block![1]!.split('\n').map((line) => line.replace(/#.*$/, '').trim());
}

describe('README.md', () => {
  it('is at most 10 KB', () => {
    expect(statSync(README).size).toBeLessThanOrEqual(10 * 1024);
  });

  it('opens with the demo and the test command, which package.json defines and .ci/run runs', () => {
    expect(firstCommands()).toEqual(['npm ci && npm run demo', 'npm test']);
    const { scripts } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(scripts.demo).toMatch(/gigi-boot\.js demo$/);
    expect(scripts.test).toMatch(/vitest run/);
    const ci = readFileSync(join(REPO_ROOT, '.ci', 'run'), 'utf8')
      .trim()
      .split('\n');
    expect(ci.at(-1), ".ci/run ends by running README's test command").toBe('npm test');
  });
});
