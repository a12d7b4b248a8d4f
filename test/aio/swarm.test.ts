// The prod Swarm stack (the seed's aio-plan.md, Task 8; test/aio/fixtures/swarm-stack.yml) on a
// real `docker stack deploy` of the AIO image built from stand-ins (test/support/aio-images.sh),
// with the Gitea simulator as the in-image Gitea and Postgres as a second service. What Swarm
// adds over compose: start-first updates overlap two boots of one data path (the boot lock makes
// one wait), a killed task is restarted by Swarm and resumes, a failing update rolls back.
//
// This machine's override (the only one): no IPVS in the kernel, so no VIP — endpoint_mode
// dnsrr; the runner-worker image is not built (its base cannot be pulled here). Task 8 publishes
// no port (Caddy reaches gigi:3000 on the overlay network), so neither does the test: it checks
// the task through its health check, `docker exec` and the bind-mounted data path.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DbState } from '../gitea-sim/state-store.ts';
import {
  AIO_IMAGE,
  ALL_PROGRAMS,
  containerLogs,
  docker,
  inspectField,
  programStates,
} from '../support/aio-docker.ts';
import { waitFor } from '../support/wait.ts';
import { REPO_ROOT } from '../support/boot-process.ts';

const IMAGE = AIO_IMAGE;
const STACK_FILE = join(REPO_ROOT, 'test', 'aio', 'fixtures', 'swarm-stack.yml');
/** The boot steps that touch Gitea: a warm boot runs none of them. */
const GITEA_STEPS =
  /"step":"(writeAppIni|startGitea|awaitApi|createUsers|createTokens|createOrg|addOwner|registerWebhook|stopGitea)"/;

let work: string;
let createdSwarm = false;
const stacks = new Set<string>();

/** One deployment of the stack: its own storage (the "cluster storage" path) and override. */
class Stack {
  readonly storage: string;
  readonly faults: string;
  constructor(readonly name: string) {
    this.storage = join(work, name);
    this.faults = join(this.storage, 'faults');
    for (const dir of ['data', 'workspace', 'postgres', 'faults'])
      mkdirSync(join(this.storage, dir), { recursive: true });
    chmodSync(this.faults, 0o777); // read by the simulator, which runs as the unprivileged user
    this.setFaults({});
    writeFileSync(
      join(this.storage, 'override.yml'),
      [
        '# This machine: no IPVS (no VIP, so DNS round robin); no runner-worker image build.',
        'services:',
        '  gigi:',
        '    environment:',
        '      GIGI_BOOT_DOCKER_SOCKET: /nonexistent/docker.sock',
        "      GIGI_BOOT_DOCKER_SOCKET_WAIT: '0'",
        '      GITEA_SIM_FAULTS: /faults/faults.json',
        '    volumes:',
        `      - ${this.faults}:/faults`,
        '    deploy:',
        '      endpoint_mode: dnsrr',
        '  postgres:',
        '    deploy:',
        '      endpoint_mode: dnsrr',
        '',
      ].join('\n'),
    );
  }

  get service(): string {
    return `${this.name}_gigi`;
  }

  setFaults(faults: object): void {
    writeFileSync(join(this.faults, 'faults.json'), JSON.stringify(faults));
    chmodSync(join(this.faults, 'faults.json'), 0o644);
  }

  async deploy(): Promise<void> {
    stacks.add(this.name);
    await execa(
      'docker',
      ['stack', 'deploy', '-c', STACK_FILE, '-c', join(this.storage, 'override.yml'), this.name],
      {
        env: {
          ...process.env,
          GIGI_AIO_IMAGE: IMAGE,
          GIGI_POSTGRES_IMAGE: 'gigi-aio-test/postgres:latest',
          GIGI_PROD_DB_PASSWORD: 'swarm-test-postgres-password',
          GIGI_STACK_STORAGE: this.storage,
        },
      },
    );
  }

  /** The service's tasks, newest first, with their container and why they ended. */
  async tasks(): Promise<
    Array<{ id: string; state: string; desired: string; error: string; container: string }>
  > {
    const { stdout: ids } = await docker('service', 'ps', '-q', '--no-trunc', this.service);
    const out = [];
    for (const id of ids.split('\n').filter(Boolean)) {
      const [state, desired, error, container, created] = (
        await inspectField(
          id,
          '{{.Status.State}}|{{.DesiredState}}|{{.Status.Err}}|{{.Status.ContainerStatus.ContainerID}}|{{.CreatedAt}}',
        )
      ).split('|');
      out.push({
        id,
        state: state!,
        desired: desired!,
        error: error!,
        container: container!,
        created: created!,
      });
    }
    return out.sort((a, b) => b.created.localeCompare(a.created));
  }

  /** The container of the task Swarm wants running (the newest one). */
  async runningContainer(): Promise<string> {
    const task = (await this.tasks()).find((t) => t.desired === 'running' && t.container);
    if (!task) throw new Error(`${this.service} has no task with a container yet`);
    return task.container;
  }

  async logs(): Promise<string> {
    const { stdout, stderr } = await docker('service', 'logs', '--raw', this.service).catch(
      (e: { stdout?: string; stderr?: string }) => ({ stdout: e.stdout ?? '', stderr: e.stderr ?? '' }),
    );
    return `${stdout}\n${stderr}`;
  }

  /** What the simulator keeps in its database file, on the bind-mounted data path. */
  giteaState(): DbState {
    return JSON.parse(
      readFileSync(join(this.storage, 'data', 'gitea', 'data', 'gitea.db'), 'utf8'),
    ) as DbState;
  }

  /** What was asked of the simulator (process starts and API requests), oldest first. */
  giteaCalls(): string[] {
    const path = join(this.storage, 'data', 'gitea', 'data', 'gitea.db.calls');
    return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
  }

  /** The ids `docker <listing> -q` gives for this stack's objects (its containers, its networks). */
  private async stackObjects(...listing: string[]): Promise<string[]> {
    const { stdout } = await docker(
      ...listing,
      '-q',
      '--filter',
      `label=com.docker.stack.namespace=${this.name}`,
    );
    return stdout.trim() ? stdout.trim().split('\n') : [];
  }

  async remove(): Promise<void> {
    await docker('stack', 'rm', this.name).catch(() => undefined);
    // `stack rm` returns before the containers are gone; the storage is theirs until then.
    await waitFor(
      `the containers of stack ${this.name} to go`,
      async () => {
        const containers = await this.stackObjects('ps', '-a');
        if (containers.length === 0) return true;
        await docker('rm', '-f', ...containers).catch(() => undefined);
        return undefined;
      },
      { timeout: 60_000, interval: 1_000 },
    );
    await waitFor(
      `the network of stack ${this.name} to go`,
      async () => ((await this.stackObjects('network', 'ls')).length === 0 ? true : undefined),
      { timeout: 30_000, interval: 1_000 },
    );
    stacks.delete(this.name);
  }
}

const health = (container: string) =>
  inspectField(container, '{{if .State.Health}}{{.State.Health.Status}}{{end}}');

/** The stack's running task, once its first boot has started Gitea (caught there, mid-boot). */
const bootAtGitea = (stack: Stack) =>
  waitFor(
    'the first boot to start Gitea',
    async () => {
      const container = await stack.runningContainer();
      return /"step":"(startGitea|awaitApi)"/.test(await containerLogs(container)) ? container : undefined;
    },
    { timeout: 180_000, interval: 1_000, diagnostics: () => stack.logs() },
  );

/** Swarm's update (or rollback) of the stack's service has reached `state`. */
const updateReaches = (stack: Stack, state: string, timeout: number) =>
  waitFor(`the service update to reach ${state}`, async () => (await updateState(stack.service)) === state, {
    timeout,
    interval: 1_000,
    diagnostics: () => stack.logs(),
  });

/** The service's running task is healthy (Task 8's curl health check) with every program RUNNING. */
async function healthyTask(stack: Stack, timeoutMs = 240_000): Promise<string> {
  const container = await waitFor(
    `${stack.service}: a running task whose health check passes`,
    async () => {
      const task = (await stack.tasks()).find((t) => t.desired === 'running' && t.state === 'running');
      return task && (await health(task.container)) === 'healthy' ? task.container : undefined;
    },
    { timeout: timeoutMs, interval: 1_000, diagnostics: () => stack.logs() },
  );
  const states = await programStates(container);
  expect(Object.keys(states).sort()).toEqual([...ALL_PROGRAMS].sort());
  expect(Object.values(states).every((s) => s === 'RUNNING')).toBe(true);
  return container;
}

async function updateState(service: string): Promise<string> {
  const { stdout } = await docker(
    'service',
    'inspect',
    '-f',
    '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}',
    service,
  );
  return stdout.trim();
}

/** When the container's first passing health check ended, and when the container stopped. */
async function firstHealthyAt(container: string): Promise<number> {
  const log = JSON.parse(await inspectField(container, '{{json .State.Health.Log}}')) as Array<{
    End: string;
    ExitCode: number;
  }>;
  const ok = log.find((entry) => entry.ExitCode === 0);
  if (!ok) throw new Error(`${container} never passed its health check`);
  return Date.parse(ok.End);
}

async function stopped(container: string): Promise<{ at: number; exitCode: number }> {
  const [at, exitCode, running] = (
    await inspectField(container, '{{.State.FinishedAt}}|{{.State.ExitCode}}|{{.State.Running}}')
  ).split('|');
  if (running === 'true') throw new Error(`${container} is still running`);
  return { at: Date.parse(at!), exitCode: Number(exitCode) };
}

const mutatingCalls = (calls: string[]) =>
  calls.filter((c) => /^api (POST|PUT|PATCH|DELETE) /.test(c) || c.startsWith('cli '));

beforeAll(async () => {
  await execa('bash', [join(REPO_ROOT, 'test', 'support', 'aio-images.sh')], { stdio: 'inherit' });
  const { stdout: state } = await docker(
    'info',
    '-f',
    '{{.Swarm.LocalNodeState}}|{{.Swarm.ControlAvailable}}',
  );
  const [local, manager] = state.trim().split('|');
  if (local === 'inactive') {
    await docker('swarm', 'init', '--advertise-addr', '127.0.0.1');
    createdSwarm = true;
  } else if (local !== 'active' || manager !== 'true') {
    throw new Error(
      `this engine is in a swarm (${local}) but not a manager: the stack cannot be deployed here`,
    );
  }
  // The "cluster storage": a path of the host, bind-mounted by the tasks (root-owned, 0700).
  work = mkdtempSync('/var/tmp/gigi-aio-swarm-');
}, 1_800_000);

afterAll(async () => {
  if (process.env.GIGI_AIO_KEEP !== '1') {
    for (const name of [...stacks]) await new Stack(name).remove().catch(() => undefined);
    if (createdSwarm) await docker('swarm', 'leave', '--force').catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
}, 180_000);

describe('the prod Swarm stack (Task 8) with the AIO image', () => {
  let warm: Stack;
  let warmContainer: string;

  it('deploys with the prod shape: the task becomes healthy, every program RUNNING, Postgres a service', async () => {
    warm = new Stack('gigiswarm');
    await warm.deploy();
    warmContainer = await healthyTask(warm);
    const { stdout: spec } = await docker(
      'service',
      'inspect',
      '-f',
      '{{.Spec.UpdateConfig.Order}} {{.Spec.UpdateConfig.FailureAction}} {{.Spec.TaskTemplate.RestartPolicy.Condition}} {{.Spec.TaskTemplate.RestartPolicy.MaxAttempts}} {{.Spec.Mode.Replicated.Replicas}}',
      warm.service,
    );
    expect(spec.trim()).toBe('start-first rollback on-failure 3 1');
    const { stdout: mounts } = await docker(
      'inspect',
      '-f',
      '{{range .Mounts}}{{.Type}}:{{.Source}}:{{.Destination}} {{end}}',
      warmContainer,
    );
    expect(mounts).toContain(`bind:${join(warm.storage, 'data')}:/data`);
    // The boot's journal is in the Postgres service; the app sees the config it wrote there.
    const { stdout: pgTask } = await docker(
      'ps',
      '-q',
      '--filter',
      `label=com.docker.swarm.service.name=${warm.name}_postgres`,
    );
    const { stdout: keys } = await docker(
      'exec',
      pgTask.trim(),
      'psql',
      '-U',
      'gigi_prod',
      '-d',
      'gigi_prod',
      '-Atc',
      'select key from config order by key',
    );
    expect(keys.split('\n')).toEqual(
      expect.arrayContaining(['admin_user', 'gitea_token', 'gitea_url', 'webhook_secret']),
    );
    const logs = await containerLogs(warmContainer);
    expect(logs).toContain('handing off to supervisord');
    expect(logs).not.toContain('swarm-test-postgres-password');
  });
  it('the task killed mid-boot (`docker kill`): Swarm restarts it and it resumes from the checkpoint', async () => {
    const stack = new Stack('gigiswarmkill');
    // The temporary Gitea takes 20 s to answer: the boot is caught waiting for its API.
    stack.setFaults({ startupDelayMs: 20_000 });
    await stack.deploy();
    const first = await bootAtGitea(stack);
    stack.setFaults({});
    await docker('kill', first);
    const container = await healthyTask(stack);
    expect(container).not.toBe(first);
    // Swarm saw the kill as a failure (restart_policy on-failure) and started another task.
    expect((await stack.tasks()).find((t) => t.container === first)?.error).toBe('task: non-zero exit (137)');
    const logs = await containerLogs(container);
    expect(logs).toMatch(/resum/i);
    expect(logs).toContain('handing off to supervisord');
    const state = stack.giteaState();
    expect(state.users.map((u) => u.name).sort()).toEqual(['gigi', 'gigi-org', 'mauro']);
    expect(state.hooks).toHaveLength(1);
    await stack.remove();
  });

  it('`docker service update --force` on a warm box: the new task is healthy before the old one stops; no Gitea step runs', async () => {
    const old = warmContainer;
    const before = mutatingCalls(warm.giteaCalls());
    await docker('service', 'update', '--detach', '--force', warm.service);
    await updateReaches(warm, 'completed', 240_000);
    const fresh = await healthyTask(warm);
    expect(fresh).not.toBe(old);
    // start-first: Swarm stopped the old task only once the new one passed its health check,
    // and the old one stopped cleanly (SIGTERM, within stop_grace_period: not killed, 137).
    const end = await waitFor('the old task to stop', () => stopped(old), {
      timeout: 60_000,
      interval: 1_000,
    });
    expect(end.exitCode).toBe(0);
    expect(await firstHealthyAt(fresh)).toBeLessThanOrEqual(end.at);
    const logs = await containerLogs(fresh);
    expect(logs).toContain('already initialised');
    expect(logs).not.toMatch(GITEA_STEPS);
    expect(mutatingCalls(warm.giteaCalls())).toEqual(before);
    warmContainer = fresh;
  });

  it('`docker service update --force` during the first boot: one task initialises, the other waits on the lock and finds the work done', async () => {
    const stack = new Stack('gigiswarmupd');
    stack.setFaults({ startupDelayMs: 20_000 });
    await stack.deploy();
    const first = await bootAtGitea(stack);
    await docker('service', 'update', '--detach', '--force', stack.service);
    // The two tasks overlap: the new one starts while the first boot still holds the lock.
    const second = await waitFor(
      'the new task to wait on the boot lock',
      async () => {
        const task = (await stack.tasks()).find((t) => t.container && t.container !== first);
        return task &&
          (await containerLogs(task.container)).includes('another boot of this volume holds the lock')
          ? task.container
          : undefined;
      },
      { timeout: 120_000, interval: 1_000, diagnostics: () => stack.logs() },
    );
    expect((await docker('inspect', '-f', '{{.State.Running}}', first)).stdout.trim()).toBe('true');
    stack.setFaults({});
    await updateReaches(stack, 'completed', 300_000);
    expect(await healthyTask(stack)).toBe(second);
    // The old task finished its boot, then stopped within its grace period when Swarm asked.
    const end = await waitFor('the old task to stop', () => stopped(first), {
      timeout: 60_000,
      interval: 1_000,
    });
    expect(end.exitCode).toBe(0);
    const firstLogs = await containerLogs(first);
    expect(firstLogs).toContain('boot completed');
    expect(firstLogs).toContain('handing off to supervisord');
    const secondLogs = await containerLogs(second);
    expect(secondLogs).toContain('already initialised');
    expect(secondLogs).not.toMatch(GITEA_STEPS);
    // Exactly one initialisation, in Gitea's own state: each account, token, hook once.
    const state = stack.giteaState();
    expect(state.users.map((u) => `${u.name}:${u.type}`).sort()).toEqual([
      'gigi-org:organization',
      'gigi:individual',
      'mauro:individual',
    ]);
    expect(state.tokens.map((t) => t.name)).toEqual(['gigi-app']);
    expect(state.hooks).toHaveLength(1);
    const calls = stack.giteaCalls();
    expect(mutatingCalls(calls).filter((c) => c === 'api POST /api/v1/admin/users')).toHaveLength(1);
    // `gitea web` started three times: the first boot's temporary Gitea, then each task's
    // supervised one (the new task's only after the old one's boot was done).
    expect(calls.filter((c) => c === 'web')).toHaveLength(3);
    const { stdout: history } = await docker('exec', second, 'gigi-boot', 'inspect', '--history');
    // The one initialisation is the run on record; the waiting task's warm start records no run,
    // but its wait is shown on the run it waited for: its container's hostname, then warm start.
    const runs = history.split('\n').filter((l) => /^\d{4}-\d\d-\d\dT/.test(l));
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatch(/ completed /);
    const secondHost = (await docker('exec', second, 'hostname')).stdout.trim();
    expect(runs[0]).toContain(`waited: host ${secondHost} pid `);
    expect(runs[0]).toMatch(/, then warm start/);
    await stack.remove();
  });

  it('a failing update (a bad config: the boot exits 2) rolls back; `docker service ps` shows why', async () => {
    const serving = warmContainer;
    // Task 8's own ORG_NAME, which gigi-boot refuses (the user it creates is named gigi).
    await docker('service', 'update', '--detach', '--env-add', 'ORG_NAME=gigi', warm.service);
    await updateReaches(warm, 'rollback_completed', 240_000);
    const { stdout: ps } = await docker(
      'service',
      'ps',
      '--no-trunc',
      '--format',
      '{{.Error}}',
      warm.service,
    );
    expect(ps).toContain('task: non-zero exit (2)');
    expect(await warm.logs()).toContain('ORG_NAME: must differ from "gigi"');
    const { stdout: env } = await docker(
      'service',
      'inspect',
      '-f',
      '{{json .Spec.TaskTemplate.ContainerSpec.Env}}',
      warm.service,
    );
    expect(JSON.parse(env)).toContain('ORG_NAME=gigi-org');
    // The task that was serving before the update still is: start-first never stopped it.
    expect(await healthyTask(warm)).toBe(serving);
  });
});
