// docs/boot-machine.svg is what `gigi-boot visualize --out FILE.svg` draws for a volume that never
// booted: the machine alone, laid out by Graphviz. Both the regenerating script and the test that
// keeps the checked-in file current call the real CLI through here, so the picture in the docs is
// the one operators get.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BOOT_MACHINE_SVG = join(REPO_ROOT, 'docs', 'boot-machine.svg');

/** Why: the docs' machine drawing must come from the command that draws it, not by hand. */
export function drawBootMachineSvg(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gigi-boot-svg-'));
  try {
    const out = join(dir, 'boot-machine.svg');
    // A data dir that does not exist: visualize reads nothing and creates nothing there.
    execFileSync(process.execPath, [join(REPO_ROOT, 'bin', 'gigi-boot.js'), 'visualize', '--out', out], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', GIGI_DATA_DIR: join(dir, 'no-volume') },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    return readFileSync(out, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
