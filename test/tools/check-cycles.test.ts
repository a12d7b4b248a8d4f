// bin/check-cycles.mjs (run by `npm run check`): the repository has no import cycle in src/ or
// machines/, and a cycle planted in a scratch tree — through a type-only import, as the one the
// step modules removed was — is found and named, with exit 1.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;
const SCRIPT = join(ROOT, 'bin', 'check-cycles.mjs');

async function scratchTree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'gigi-cycles-'));
  onTestFinished(() => rm(root, { recursive: true, force: true }));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

async function runScript(root: string): Promise<{ code: number; stderr: string }> {
  return promisify(execFile)(process.execPath, [SCRIPT, root]).then(
    ({ stderr }) => ({ code: 0, stderr }),
    (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
  );
}

describe('check-cycles', () => {
  it('finds no import cycle in src/ and machines/', async () => {
    expect(await runScript(ROOT)).toEqual({ code: 0, stderr: '' });
  });

  it('names a planted cycle through a type-only import and exits 1', async () => {
    const root = await scratchTree({
      'src/root.ts':
        "import { leaf } from './steps/leaf.ts';\nexport interface Ctx { n: number }\nexport const x = leaf;\n",
      'src/steps/leaf.ts': "import type { Ctx } from '../root.ts';\nexport const leaf = (c: Ctx) => c.n;\n",
      'src/other.ts': "import { x } from './root.ts';\nexport const y = x;\n",
    });
    const { code, stderr } = await runScript(root);
    expect(code).toBe(1);
    expect(stderr.split('\n')).toEqual([
      'import cycle: src/root.ts → src/steps/leaf.ts → src/root.ts',
      '1 import cycle(s) in src/, machines/: move the shared part into a module both import',
      '',
    ]);
  });

  it('finds a cycle across machines/ and src/ through a dynamic import()', async () => {
    const root = await scratchTree({
      'machines/m.ts': "export const load = () => import('../src/a.ts');\n",
      'src/a.ts': "export * from '../machines/m.ts';\n",
    });
    const { code, stderr } = await runScript(root);
    expect(code).toBe(1);
    expect(stderr).toContain('import cycle: machines/m.ts → src/a.ts → machines/m.ts\n');
  });

  it('passes a tree without a cycle (exit 0, nothing said)', async () => {
    const root = await scratchTree({
      'src/a.ts': "import { b } from './b.ts';\nexport const a = b;\n",
      'src/b.ts': 'export const b = 1;\n',
      'machines/m.ts': "import type { X } from 'xstate';\nexport type Y = X;\n",
    });
    expect(await runScript(root)).toEqual({ code: 0, stderr: '' });
  });
});
