// The bench runs gigi-boot from a private copy of the checkout, bundled the way the image is
// (`bin/build.mjs` → dist/gigi-boot.cjs): what it measures is then fixed for the whole run
// (editing machines/ mid-run would change the fingerprint and turn warm boots into fresh ones)
// and is the production start-up path rather than tsx's on-the-fly transpiling; like the image,
// the copy keeps no sources once bundled.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/boot-process.ts';
import { BenchFailure } from './failure.ts';
import type { Workspace } from './workspace.ts';

/** What the CLI needs at run time; node_modules is linked, not copied. */
const COPIED = ['bin', 'src', 'machines', 'package.json', 'tsconfig.json'];

export interface CheckoutSnapshot {
  /** The copied bin/gigi-boot.js. */
  cli: string;
  /** HEAD of the checkout, and whether the copied paths had uncommitted changes. */
  commit: string;
  dirty: boolean;
  /** How the copy's launcher starts the CLI: the esbuild bundle (as in the image). */
  launcher: 'bundle';
}

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return undefined;
  }
}

function newestSourceMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMtime(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Why: copy, bundle and check the CLI once, so every timed boot runs the same code the same way. */
export function snapshotCheckout(workspace: Workspace): CheckoutSnapshot {
  const root = mkdtempSync(join(tmpdir(), 'gigi-boot-bench-src-'));
  workspace.track(root);
  chmodSync(root, 0o755);
  for (const path of COPIED) cpSync(join(REPO_ROOT, path), join(root, path), { recursive: true });
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');

  const build = join(root, 'bin', 'build.mjs');
  try {
    execFileSync(process.execPath, [build], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new BenchFailure(`bundling gigi-boot with ${build} failed: ${stderr || String(error)}`);
  }
  // bin/gigi-boot.js runs the bundle only when it is newer than every source: make sure it will.
  const bundle = join(root, 'dist', 'gigi-boot.cjs');
  const sources = Math.max(newestSourceMtime(join(root, 'src')), newestSourceMtime(join(root, 'machines')));
  if (!existsSync(bundle) || statSync(bundle).mtimeMs < sources) {
    throw new BenchFailure(
      `${bundle} was not built, or is older than its sources: the CLI would run through tsx`,
    );
  }
  // As the image does (Dockerfile.aio): the sources are gone once bundled, so the launcher runs
  // the bundle without first comparing it with every source file (a checkout's start pays that).
  for (const dir of ['src', 'machines']) rmSync(join(root, dir), { recursive: true, force: true });

  const status = git(['status', '--porcelain', '--', ...COPIED]);
  return {
    cli: join(root, 'bin', 'gigi-boot.js'),
    commit: git(['rev-parse', 'HEAD'])?.trim() ?? 'unknown',
    dirty: status === undefined || status.trim() !== '',
    launcher: 'bundle',
  };
}
