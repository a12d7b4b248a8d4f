// bin/gigi-boot.js reads the bundle as latin1 (a one-byte string, which V8 reads and compiles
// fastest), so the bundle must be ASCII; bin/build.mjs refuses to write one that is not.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../support/boot-process.ts';

describe('the launcher and its bundle', () => {
  it('the bundle the tests run is ASCII', () => {
    const bundle = readFileSync(join(REPO_ROOT, 'dist', 'gigi-boot.cjs'));
    const wide = bundle.findIndex((byte) => byte > 0x7f);
    expect(
      wide === -1 ? null : bundle.subarray(Math.max(0, wide - 60), wide + 20).toString('latin1'),
    ).toBeNull();
  });

  it('a message with non-ASCII text reaches the operator intact through the bundle', async () => {
    // The CLI boundary's hint arrow (U+2192), escaped in the bundle, printed as itself.
    const result = await runCli(['check'], {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      GIGI_DATA_DIR: 'relative',
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('\n  \u2192 Fix the environment variables listed above');
  });
});
