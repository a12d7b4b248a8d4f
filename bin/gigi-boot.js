#!/usr/bin/env node
// Thin launcher: load the TypeScript CLI through tsx's loader, so the image and a
// checkout run the same sources without a separate build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
