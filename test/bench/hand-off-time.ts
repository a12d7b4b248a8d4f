// Time to hand-off: from the start of `gigi-boot run` to the moment supervisord may start (the
// handOff step's journal row is committed; the CLI starts supervisord right after it). Docker
// must not move it: the same first boot with Docker absent (the baseline), with a configured
// socket that never appears (the socket wait runs in the background), and with a slow image
// build. And a restart of a box whose only gap is the runner image against a warm start.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FaultsConfig } from '../gitea-sim/faults.ts';
import { endpoint, makeContext } from '../docker/helpers.ts';
import { bootEnv } from '../support/boot-process.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { BenchFailure, tail } from './failure.ts';
import { inspectJson } from './gigi-boot-runs.ts';
import { timeProcess } from './timed-process.ts';
import type { Workspace } from './workspace.ts';

const DOCKER_SOCKET = '/var/run/docker.sock';

export type HandOffCase = 'no-docker' | 'socket-missing' | 'slow-build';

export interface HandOffSample {
  /** Process start to the handOff step's commit. */
  handOffMs: number;
  /** Process start to exit (with --no-handoff the process waits for the build). */
  wallMs: number;
  plan: string;
  /** The runner step's outcome as journaled ('skipped', 'built', …; 'error' when it failed). */
  build: string | null;
}

export interface HandOffVolume {
  env: Record<string, string>;
  hideDocker: boolean;
}

function faultsFile(workspace: Workspace, delayMs: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'gigi-boot-bench-faults-'));
  workspace.track(dir);
  chmodSync(dir, 0o755);
  const file = join(dir, 'faults.json');
  writeFileSync(file, JSON.stringify({ startupDelayMs: delayMs } satisfies FaultsConfig), { mode: 0o644 });
  return file;
}

/** The environment of one case: where Docker is, or is not. */
function caseEnv(which: HandOffCase, buildSeconds: number): Record<string, string> {
  if (which === 'no-docker') return {};
  if (which === 'socket-missing')
    // A DinD sidecar that never comes up: the default 30 s wait, off the critical path.
    return { GIGI_BOOT_DOCKER_SOCKET: '/nonexistent/dind/docker.sock', GIGI_BOOT_DOCKER_SOCKET_WAIT: '30s' };
  const context = makeContext([`RUN ["/bin/busybox", "sleep", "${buildSeconds}"]`]);
  const docker: Record<string, string> =
    endpoint.kind === 'unix'
      ? { GIGI_BOOT_DOCKER_SOCKET: endpoint.socketPath }
      : { GIGI_BOOT_DOCKER_SOCKET: '', DOCKER_HOST: `tcp://${endpoint.host}:${endpoint.port}` };
  return { ...docker, GIGI_BOOT_RUNNER_CONTEXT: context.dir, GIGI_BOOT_RUNNER_IMAGE: context.image };
}

/** Why: a fresh volume and database for one case. */
export async function handOffVolume(
  workspace: Workspace,
  serverUrl: string,
  which: HandOffCase,
  { delayMs, buildSeconds }: { delayMs: number; buildSeconds: number },
): Promise<HandOffVolume> {
  const databaseUrl = await createTestDatabase(serverUrl, 'bench_handoff');
  const env = await bootEnv({
    databaseUrl,
    extra: { GITEA_SIM_FAULTS: faultsFile(workspace, delayMs), ...caseEnv(which, buildSeconds) },
  });
  if (which === 'no-docker') {
    delete env.GIGI_BOOT_DOCKER_SOCKET;
    delete env.GIGI_BOOT_DOCKER_SOCKET_WAIT;
  }
  workspace.track(env.GIGI_DATA_DIR);
  return { env, hideDocker: which === 'no-docker' };
}

/** Docker absent: the boot runs in a mount namespace where the default socket is /dev/null. */
function command(cli: string, hideDocker: boolean): [string, string[]] {
  const node = [process.execPath, cli, 'run', '--no-handoff'];
  if (!hideDocker) return [node[0]!, node.slice(1)];
  return [
    'unshare',
    [
      '--mount',
      '--propagation',
      'private',
      '--',
      'sh',
      '-c',
      `mount --bind /dev/null ${DOCKER_SOCKET} && exec "$@"`,
      'sh',
      ...node,
    ],
  ];
}

function planOf(stdout: string): string {
  return /"event":"boot\.plan","plan":"(\w+)"/.exec(stdout)?.[1] ?? '?';
}

/** Why: one boot, timed to its hand-off from its own journal; fails the bench unless it took `plan`. */
export async function timeHandOff(
  cli: string,
  volume: HandOffVolume,
  label: string,
  plan: string,
  extraEnv: Record<string, string> = {},
): Promise<HandOffSample> {
  const env = { ...volume.env, ...extraEnv };
  const [file, args] = command(cli, volume.hideDocker);
  const startedAt = Date.now();
  const result = await timeProcess(file, args, env);
  if (result.code !== 0 || planOf(result.stdout) !== plan) {
    throw new BenchFailure(
      `${label}: expected exit 0 on the ${plan} path, got ${result.signal ?? `exit ${result.code}`} on the ${planOf(result.stdout)} path (data dir ${env.GIGI_DATA_DIR}). Last output:\n${tail(`${result.stdout}\n${result.stderr}`)}`,
    );
  }
  if (plan === 'warm') return { handOffMs: result.wallMs, wallMs: result.wallMs, plan, build: null };
  const report = await inspectJson(cli, env, label);
  const rows = report.journal; // the latest run's
  const handOff = rows.find((r) => r.step === 'handOff' && r.outcome === 'ok');
  if (!handOff?.finishedAt)
    throw new BenchFailure(`${label}: the run's journal has no finished handOff step`);
  const build = rows.filter((r) => r.step === 'buildRunnerWorker').at(-1);
  return {
    handOffMs: new Date(handOff.finishedAt).getTime() - startedAt,
    wallMs: result.wallMs,
    plan,
    build: build
      ? build.outcome === 'ok'
        ? typeof build.detail?.outcome === 'string'
          ? build.detail.outcome
          : 'ok'
        : build.outcome
      : null,
  };
}

export interface HandOffFigures {
  /** Docker absent: the baseline of the other two. */
  noDocker: HandOffSample;
  socketMissing: HandOffSample;
  /** null when BENCH_DOCKER=0. */
  slowBuild: HandOffSample | null;
  slowBuildSeconds: number;
  /** Restarts of the socket-missing box (runner image due again) to hand-off, and warm starts of it. */
  restartAfterDegradedMs: number[];
  warmMs: number[];
}

/** Why: every time-to-hand-off figure and its baseline from one run of the bench. */
export async function measureHandOffFigures(
  workspace: Workspace,
  cli: string,
  serverUrl: string,
  settings: { giteaDelayMs: number; slowBuildSeconds: number; restarts: number; docker: boolean },
  progress: (message: string) => void,
): Promise<HandOffFigures> {
  const options = { delayMs: settings.giteaDelayMs, buildSeconds: settings.slowBuildSeconds };
  const first = async (which: HandOffCase, label: string) => {
    progress(`  time to hand-off: ${label}`);
    const volume = await handOffVolume(workspace, serverUrl, which, options);
    return { volume, sample: await timeHandOff(cli, volume, `first boot, ${label}`, 'fresh') };
  };
  const noDocker = (await first('no-docker', 'Docker absent')).sample;
  const missing = await first('socket-missing', 'socket configured, never appears (30 s wait)');
  const slowBuild = settings.docker
    ? (await first('slow-build', `a ${settings.slowBuildSeconds} s runner-worker build`)).sample
    : null;
  // The socket-missing box ended with its runner image not built: a restart re-does only that.
  progress(`  ${settings.restarts} restarts after the degraded runner build, each beside a warm start`);
  const restartAfterDegradedMs: number[] = [];
  const warmMs: number[] = [];
  const noWait = { GIGI_BOOT_DOCKER_SOCKET_WAIT: '0' };
  for (let i = 0; i < settings.restarts; i++) {
    warmMs.push((await timeHandOff(cli, missing.volume, 'warm start', 'warm', noWait)).handOffMs);
    const restart = await timeHandOff(cli, missing.volume, 'restart after degraded', 'runner', {
      ...noWait,
      GIGI_BOOT_RUNNER_RETRY: '0s',
    });
    restartAfterDegradedMs.push(restart.handOffMs);
  }
  return {
    noDocker,
    socketMissing: missing.sample,
    slowBuild,
    slowBuildSeconds: settings.slowBuildSeconds,
    restartAfterDegradedMs,
    warmMs,
  };
}
