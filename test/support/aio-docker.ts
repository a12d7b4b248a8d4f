// Helpers of the suites that check AIO containers from outside (test/aio/container.test.ts,
// test/aio/swarm.test.ts, test/aio/upgrade.test.ts): the docker CLI, a container's log and
// inspect fields, and supervisord's view of the programs.
import { execa } from 'execa';

/** The image under test: as test/support/aio-images.sh builds it, or GIGI_AIO_TEST_IMAGE (a branch's tag). */
export const AIO_IMAGE = process.env.GIGI_AIO_TEST_IMAGE ?? 'gigi-aio-test/aio:latest';

/** Every program supervisord runs in the full AIO (Chromium stack included). */
export const ALL_PROGRAMS = [
  'cdp-relay',
  'chromium',
  'fatal-listener',
  'gigi',
  'gitea',
  'websockify',
  'x11vnc',
  'xvfb',
];

/** Why: the suites drive the engine as an operator does, through the docker CLI. */
export const docker = (...args: string[]) => execa('docker', args);

/** Why: what a container printed (stdout and stderr) is where its boot says what it did. */
export async function containerLogs(container: string): Promise<string> {
  const { stdout, stderr } = await docker('logs', container);
  return `${stdout}\n${stderr}`;
}

/** Why: one field of a container, task or network: `docker inspect -f FORMAT target`, trimmed. */
export async function inspectField(target: string, format: string): Promise<string> {
  const { stdout } = await docker('inspect', '-f', format, target);
  return stdout.trim();
}

/** `supervisorctl status` inside the container, typed as an operator would (no -c), as {program: state}. */
export async function programStates(container: string): Promise<Record<string, string>> {
  const result = await execa('docker', ['exec', container, 'supervisorctl', 'status']).catch(
    (error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }),
  );
  return Object.fromEntries(
    result.stdout
      .split('\n')
      .filter((l) => /^\S+\s+[A-Z]+/.test(l))
      .map((l) => l.trim().split(/\s+/).slice(0, 2) as [string, string]),
  );
}
