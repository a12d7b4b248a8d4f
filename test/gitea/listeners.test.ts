// Who holds a port, as the temporary Gitea's start checks it: in a container root has no
// CAP_SYS_PTRACE (Docker's default), so it may list the fds of a process of another user but not
// read where they point; the process's own user reads them for it.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { listenersOn, socketInodesOf } from '../../src/gitea/listeners.ts';
import { REPO_ROOT } from '../support/boot-process.ts';
import { freePort } from '../support/postgres.ts';

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

/** A server listening on 127.0.0.1:port as the gigi user (as the supervised Gitea runs). */
async function listenAsGigi(port: number): Promise<number> {
  const child = spawn(
    'setpriv',
    [
      '--reuid=gigi',
      '--regid=gigi',
      '--init-groups',
      '--',
      process.execPath,
      '-e',
      `require('http').createServer().listen(${port}, '127.0.0.1')`,
    ],
    { stdio: 'ignore' },
  );
  stops.push(() => child.kill('SIGKILL'));
  await expect.poll(() => listenersOn(port, '127.0.0.1').length, { timeout: 10_000 }).toBe(1);
  return child.pid!;
}

/** socketInodesOf(pid) in a root process without CAP_SYS_PTRACE, as gigi-boot runs in Docker. */
async function inodesWithoutPtrace(pid: number): Promise<number[]> {
  const module = join(REPO_ROOT, 'src', 'gitea', 'listeners.ts');
  const { stdout } = await execa(
    'setpriv',
    [
      '--bounding-set=-sys_ptrace',
      '--inh-caps=-sys_ptrace',
      '--',
      process.execPath,
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      `const { socketInodesOf } = await import(${JSON.stringify(module)});
       const set = await socketInodesOf(${pid});
       console.log(JSON.stringify(set ? [...set] : null));`,
    ],
    { cwd: REPO_ROOT },
  );
  return JSON.parse(stdout) as number[];
}

describe('socketInodesOf', () => {
  it("names the socket of another user's process when root lacks CAP_SYS_PTRACE (a container)", async () => {
    const port = await freePort();
    const pid = await listenAsGigi(port);
    const [listener] = listenersOn(port, '127.0.0.1');
    // Without the capability a plain readlink is refused: the case this covers is real here.
    await expect(
      execa('setpriv', [
        '--bounding-set=-sys_ptrace',
        '--inh-caps=-sys_ptrace',
        '--',
        'readlink',
        `/proc/${pid}/fd/0`,
      ]),
    ).rejects.toThrow();
    expect(await inodesWithoutPtrace(pid)).toContain(listener!.inode);
    // With it (root on a host), the direct read gives the same answer.
    expect([...((await socketInodesOf(pid)) ?? [])]).toContain(listener!.inode);
  });

  it('does not claim a socket the process does not hold', async () => {
    const port = await freePort();
    const pid = await listenAsGigi(port);
    const other = await freePort();
    await listenAsGigi(other);
    const [foreign] = listenersOn(other, '127.0.0.1');
    expect(await inodesWithoutPtrace(pid)).not.toContain(foreign!.inode);
  });
});
