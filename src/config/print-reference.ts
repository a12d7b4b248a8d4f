// Prints the configuration table of docs/configuration.md: `npx tsx src/config/print-reference.ts`;
// with `--write` it replaces the table between the `<!-- env:start -->` and `<!-- env:end -->`
// markers there itself (test/config/reference.test.ts fails while the file is not current).
import { readFileSync, writeFileSync } from 'node:fs';
import { replaceBlock } from '../docs/blocks.ts';
import { renderEnvReference } from './reference.ts';

const DOC = new URL('../../docs/configuration.md', import.meta.url);

if (process.argv.includes('--write')) {
  writeFileSync(DOC, replaceBlock(readFileSync(DOC, 'utf8'), 'env', renderEnvReference()));
} else {
  process.stdout.write(`${renderEnvReference()}\n`);
}
