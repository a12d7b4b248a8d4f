// runUserCanExecuteEach: several `test -x` answers from one setpriv child, each for its own
// path, in order (gigi-boot runs as root in these suites, as in the container).
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runUserCanExecute, runUserCanExecuteEach } from '../../src/gitea/access-as.ts';
import { resolveRunAs } from '../../src/gitea/run-as.ts';
import { GITEA_TEST_USER } from '../support/system-users.ts';

const root = mkdtempSync(join(tmpdir(), 'gigi-access-as-'));
chmodSync(root, 0o755);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('runUserCanExecuteEach', () => {
  it('answers each path as the run user, in order, one child for all', async () => {
    const runAs = await resolveRunAs(GITEA_TEST_USER);
    expect(runAs.switchUser).toBe(true);
    // Names a shell would split or expand: the paths travel as arguments, never as script text.
    const open = join(root, 'open dir $(touch x) "q"');
    const closed = join(root, 'closed');
    const runnable = join(root, 'tool');
    const plain = join(root, 'plain');
    mkdirSync(open, { mode: 0o755 });
    mkdirSync(closed, { mode: 0o700 });
    writeFileSync(runnable, '#!/bin/sh\n', { mode: 0o755 });
    writeFileSync(plain, '', { mode: 0o644 });
    chmodSync(open, 0o755);
    chmodSync(runnable, 0o755);
    const paths = [open, closed, runnable, plain, join(root, 'missing'), join(closed, 'inside')];
    const answers = await Promise.all(runUserCanExecuteEach(runAs, paths, 10_000));
    expect(answers).toEqual([true, false, true, false, false, false]);
    expect(await runUserCanExecute(runAs, open, 10_000)).toBe(true);
    expect(await runUserCanExecute(runAs, closed, 10_000)).toBe(false);
  });
});
