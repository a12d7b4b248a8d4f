// The machine's decisions alone, with scripted actors: which step follows which, retries on
// transient faults, failure on permanent ones, and that a persisted snapshot restores.
import { describe, expect, it } from 'vitest';
import { createActor, toPromise, waitFor } from 'xstate';
import {
  BOOT_STEPS,
  bootMachine,
  isReadyToHandOff,
  type BootOutput,
  type BootStep,
  type Modes,
  type StepInput,
  type StepOutput,
} from '../../machines/boot.ts';
import { ScriptedActors } from '../support/scripted-actors.ts';

const retry = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 };

function transient(message: string) {
  return Object.assign(new Error(message), { transient: true });
}

/** The machine with every actor answering at once: a step as `behaviour` says (else success), a backoff at once. */
function scripted(
  modes: Modes,
  behaviour: Partial<Record<BootStep, (input: StepInput) => Promise<StepOutput>>> = {},
  calls: BootStep[] = [],
) {
  const actors = new ScriptedActors((id, input) => {
    if (id.endsWith('.backoff')) return Promise.resolve(undefined);
    const step = id as BootStep;
    calls.push(step);
    const custom = behaviour[step];
    if (custom) return custom(input as StepInput);
    return Promise.resolve(step === 'detectModes' ? { modes } : { outcome: 'created' });
  });
  return bootMachine.provide({ actors: actors.logic() });
}

const internal: Modes = { gitea: 'internal', chrome: 'internal', docker: false };
const external: Modes = { gitea: 'external', chrome: 'external', docker: false };

async function runToEnd(machine: ReturnType<typeof scripted>) {
  const actor = createActor(machine, { input: { retry } });
  actor.start();
  const output = (await toPromise(actor)) as BootOutput;
  return { output, snapshot: actor.getSnapshot() };
}

describe('boot machine', () => {
  it('runs every internal-Gitea step in order and completes', async () => {
    const calls: BootStep[] = [];
    const { output } = await runToEnd(scripted(internal, {}, calls));
    expect(output.status).toBe('completed');
    // The runner build runs beside the Gitea steps; everything else keeps its order.
    expect(calls.filter((s) => s !== 'buildRunnerWorker')).toEqual(
      BOOT_STEPS.filter((s) => s !== 'checkExternalGitea' && s !== 'buildRunnerWorker'),
    );
    expect(calls).toContain('buildRunnerWorker');
  });

  it('hands off (Gitea region ready, temporary Gitea stopped) while the runner-worker build still runs', async () => {
    let releaseBuild!: () => void;
    const build = new Promise<void>((r) => (releaseBuild = r));
    const calls: BootStep[] = [];
    const actor = createActor(
      scripted(
        { ...internal, docker: true },
        { buildRunnerWorker: () => build.then(() => ({ outcome: 'built' })) },
        calls,
      ),
      { input: { retry } },
    );
    actor.start();
    await waitFor(actor, (s) => isReadyToHandOff(s.value));
    // The build is still running; the Gitea region (stop and hand-off included) is done.
    expect(actor.getSnapshot().value).toEqual({
      provision: { gitea: 'ready', runner: { buildRunnerWorker: 'run' } },
    });
    expect(calls.slice(-2)).toEqual(['stopGitea', 'handOff']);
    expect(actor.getSnapshot().status).toBe('active');
    releaseBuild();
    const output = (await toPromise(actor)) as BootOutput;
    expect(output.status).toBe('completed');
    expect(calls.at(-1)).toBe('handOff');
  });

  it("a runner-only run (detectModes' scope) goes from detectModes to the hand-off and the build: no Gitea step", async () => {
    const calls: BootStep[] = [];
    const machine = scripted(
      { ...internal, docker: true },
      {
        detectModes: () => Promise.resolve({ modes: { ...internal, docker: true }, scope: 'runner' }),
      },
      calls,
    );
    const { output } = await runToEnd(machine);
    expect(output.status).toBe('completed');
    expect([...calls].sort()).toEqual(['buildRunnerWorker', 'detectModes', 'handOff']);
  });

  it('a failing runner-worker build degrades the boot instead of failing it', async () => {
    const { output } = await runToEnd(
      scripted(
        { ...internal, docker: true },
        {
          buildRunnerWorker: () =>
            Promise.reject(
              Object.assign(new Error('permission denied on /var/run/docker.sock'), {
                hint: 'add the socket group',
              }),
            ),
        },
      ),
    );
    expect(output.status).toBe('degraded');
    expect(output.degraded).toEqual([
      'buildRunnerWorker: permission denied on /var/run/docker.sock (add the socket group)',
    ]);
  });

  it('skips the internal Gitea states when GITEA_URL points to an external one', async () => {
    const calls: BootStep[] = [];
    const { output } = await runToEnd(scripted(external, {}, calls));
    expect(output.status).toBe('completed');
    expect(calls).not.toContain('writeAppIni');
    expect(calls).not.toContain('startGitea');
    expect(calls).not.toContain('stopGitea');
    expect(calls).toContain('checkExternalGitea');
  });

  it('retries a transient fault with backoff, then succeeds', async () => {
    let n = 0;
    const { output, snapshot } = await runToEnd(
      scripted(internal, {
        createOrg: () =>
          ++n < 3 ? Promise.reject(transient('Gitea answered 500')) : Promise.resolve({ outcome: 'created' }),
      }),
    );
    expect(output.status).toBe('completed');
    expect(snapshot.context.attempts.createOrg).toBe(3);
  });

  it('fails after the last attempt of a transient fault, naming the step', async () => {
    const { output } = await runToEnd(
      scripted(internal, { awaitApi: () => Promise.reject(transient('connection refused')) }),
    );
    expect(output.status).toBe('failed');
    expect(output.failure).toMatchObject({ step: 'awaitApi', message: 'connection refused' });
  });

  it('does not retry a permanent fault', async () => {
    let n = 0;
    const { output, snapshot } = await runToEnd(
      scripted(internal, {
        createUsers: () => {
          n++;
          return Promise.reject(
            Object.assign(new Error('name is reserved'), { hint: 'pick another ADMIN_USER' }),
          );
        },
      }),
    );
    expect(n).toBe(1);
    expect(output.failure).toEqual({
      step: 'createUsers',
      message: 'name is reserved',
      hint: 'pick another ADMIN_USER',
      domain: null,
    });
    expect(snapshot.value).toBe('failed');
  });

  it('completes as degraded when a non-fatal step reports it', async () => {
    const { output } = await runToEnd(
      scripted(internal, {
        buildRunnerWorker: () => Promise.resolve({ outcome: 'failed', degraded: 'docker daemon down' }),
      }),
    );
    expect(output).toMatchObject({ status: 'degraded', degraded: ['docker daemon down'] });
  });

  it('restores a persisted snapshot and re-runs the step that was in flight', async () => {
    const calls: BootStep[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = createActor(
      scripted(internal, { createOrg: () => gate.then(() => ({ outcome: 'created' })) }, calls),
      { input: { retry } },
    );
    first.start();
    await expect
      .poll(() => first.getSnapshot().value)
      .toMatchObject({ provision: { gitea: { createOrg: 'run' } } });
    const persisted = JSON.parse(JSON.stringify(first.getPersistedSnapshot()));
    first.stop();
    release();

    const resumedCalls: BootStep[] = [];
    const second = createActor(scripted(internal, {}, resumedCalls), {
      snapshot: persisted,
      input: { retry },
    });
    second.start();
    const output = (await toPromise(second)) as BootOutput;
    expect(output.status).toBe('completed');
    expect(resumedCalls[0]).toBe('createOrg');
    expect(resumedCalls).not.toContain('createUsers');
  });
});
