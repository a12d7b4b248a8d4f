// Entry of the Gitea stand-in image's "binary": the project's Gitea simulator bundled into one
// executable file (esbuild), copied by Dockerfile.aio from GITEA_IMAGE's /app/gitea/gitea.
import process from 'node:process';
import { main } from '../gitea-sim/main.ts';

const code = await main(process.argv.slice(2));
if (code !== undefined && code !== null) {
  process.exitCode = code;
  if (code !== 0) process.exit(code);
}
