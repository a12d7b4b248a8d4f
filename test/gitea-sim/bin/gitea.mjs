#!/usr/bin/env node
// The simulated `gitea` executable: registers tsx (from the repo's node_modules) and runs main.ts.
import process from 'node:process';
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../main.ts');
const code = await main(process.argv.slice(2));
if (code !== undefined && code !== null) {
  process.exitCode = code;
  if (code !== 0) process.exit(code);
}
