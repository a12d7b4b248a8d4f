// Rewrites every generated part of the docs from the code: `npx tsx src/docs/regenerate.ts`.
// Tests under test/docs and test/config fail while a checked-in part is not what this writes.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderEnvReference } from '../config/reference.ts';
import { BOOT_MACHINE_SVG, drawBootMachineSvg } from './boot-machine-svg.ts';
import { replaceBlock } from './blocks.ts';
import { renderStepReference } from './steps-reference.ts';

const file = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

function rewriteBlock(path: string, name: string, body: string): void {
  writeFileSync(file(path), replaceBlock(readFileSync(file(path), 'utf8'), name, body));
}

rewriteBlock('docs/configuration.md', 'env', renderEnvReference());
rewriteBlock('docs/architecture.md', 'steps', renderStepReference());
rewriteBlock('machines/README.md', 'steps', renderStepReference());
writeFileSync(BOOT_MACHINE_SVG, drawBootMachineSvg());
