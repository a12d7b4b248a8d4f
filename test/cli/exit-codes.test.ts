// The exit codes are an interface (entrypoint, scripts, CI): README's table and the code agree.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { REPO_ROOT } from '../support/boot-process.ts';

describe('exit codes', () => {
  it('README documents exactly the codes the CLI uses', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const table = readme.slice(
      readme.indexOf('<!-- exit-codes:start -->'),
      readme.indexOf('<!-- exit-codes:end -->'),
    );
    const documented = [...table.matchAll(/^\| (\d+) +\|/gm)].map((m) => Number(m[1])).sort((a, b) => a - b);
    expect(documented).toEqual([...new Set(Object.values(EXIT))].sort((a, b) => a - b));
  });
});
