// `gigi-boot demo`: the main job on embedded defaults — a full first boot of a temp data dir
// against the project's Gitea simulator, with the embedded PGlite store, then `inspect`.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT } from '../cli/exit-codes.ts';
import { runWithEnv } from './run.ts';

/** The checkout's root: this module runs from src/commands (tsx) or from dist/ (the bundle). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

const SIMULATOR = join(packageRoot(), 'test', 'gitea-sim', 'bin', 'gitea');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** As root, Gitea must run as someone else: `gigi` if the box has it, else `nobody`. */
function demoGiteaUser(): string {
  if (userInfo().uid !== 0) return userInfo().username;
  try {
    execFileSync('id', ['-u', 'gigi'], { stdio: 'ignore' });
    return 'gigi';
  } catch {
    return 'nobody';
  }
}

export async function execute(flags: Record<string, string | boolean | undefined>): Promise<number> {
  const dataDir = await mkdtemp(join(tmpdir(), 'gigi-boot-demo-'));
  await chmod(dataDir, 0o755);
  const env = {
    PATH: process.env.PATH,
    GIGI_DATA_DIR: dataDir,
    GITEA_BIN: SIMULATOR,
    GITEA_HTTP_PORT: String(await freePort()),
    GIGI_BOOT_GITEA_USER: demoGiteaUser(),
    // The runner-worker image builds FROM a registry image: the demo leaves Docker out (skipped).
    GIGI_BOOT_DOCKER_SOCKET: '/nonexistent/docker.sock',
    GIGI_BOOT_DOCKER_SOCKET_WAIT: '0',
  };
  process.stdout.write(
    `gigi-boot demo: data dir ${dataDir}, Gitea simulator on :${env.GITEA_HTTP_PORT}, embedded PGlite\n\n`,
  );
  try {
    const code = await runWithEnv({ env, noHandoff: true });
    if (code !== EXIT.ok) return code;
    process.stdout.write('\n$ gigi-boot inspect\n');
    const inspect = await import('./inspect.ts');
    return await inspect.executeWithEnv(env, { json: false, reveal: false });
  } finally {
    if (flags.keep !== true) await rm(dataDir, { recursive: true, force: true });
    else process.stdout.write(`\nkept ${dataDir}\n`);
  }
}
