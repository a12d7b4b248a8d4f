// The process path set and its fault plans, without running anything: the set is a deterministic
// cover of the machine, crashes every step once, and each fault is armed where the plan says —
// failpoints re-armed from what the journal shows was already used.
import { describe, expect, it } from 'vitest';
import { BOOT_STEPS, bootMachine, type Modes } from '../../machines/boot.ts';
import { allStateNodeIds, allTransitionKeys } from './coverage.ts';
import { buildEndsAfterHandOff, failpointsFor, planFaults } from './process-faults.ts';
import { generateProcessPaths, isRealizable, journalOf, type ProcessPath } from './process-set.ts';

const INTERNAL: Modes = { gitea: 'internal', chrome: 'external', docker: false };
const EXTERNAL: Modes = { gitea: 'external', chrome: 'internal', docker: false };

function path(modes: Modes, attempts: ProcessPath['attempts'], crashes: ProcessPath['crashes'] = []) {
  return { modes, attempts, crashes, events: [], description: 'a test path' } as unknown as ProcessPath;
}

const DOCKER: Modes = { gitea: 'internal', chrome: 'external', docker: true };
const done = (step: string) => ({ type: `xstate.done.actor.${step}` }) as ProcessPath['events'][number];
const error = (step: string) =>
  ({
    type: `xstate.error.actor.${step}`,
    error: { transient: false, message: '' },
  }) as ProcessPath['events'][number];

describe('the process path set', () => {
  it('covers every state node and transition, crashes every step once, and is the same every time', async () => {
    const first = await generateProcessPaths();
    const again = await generateProcessPaths();
    expect(again.paths.map((p) => p.graphIndex)).toEqual(first.paths.map((p) => p.graphIndex));
    const states = new Set(first.paths.flatMap((p) => [...p.states]));
    const transitions = new Set(first.paths.flatMap((p) => [...p.transitions]));
    expect(allStateNodeIds(bootMachine).filter((s) => !states.has(s))).toEqual([]);
    expect(allTransitionKeys(bootMachine).filter((t) => !transitions.has(t))).toEqual([]);
    expect(first.paths.flatMap((p) => p.crashes).sort()).toEqual([...BOOT_STEPS].sort());
    for (const p of first.paths) expect(isRealizable(p.attempts, p.finalStatus)).toBe(true);
    // The Gitea region \`ready\` beside a running build: a path with the build ending after handOff.
    expect(first.paths.some((p) => p.states.has('boot.provision.gitea.ready'))).toBe(true);
    expect(first.paths.some((p) => buildEndsAfterHandOff(p))).toBe(true);
    expect(new Set(first.paths.map((p) => JSON.stringify(p.modes))).size).toBe(4);
  });

  it('keeps only paths a real box can follow', () => {
    expect(isRealizable({ createOrg: ['transient', 'ok'], persistConfig: ['permanent'] }, 'failed')).toBe(
      true,
    );
    expect(isRealizable({ createOrg: ['permanent'], handOff: ['permanent'] }, 'failed')).toBe(false);
    expect(isRealizable({ buildRunnerWorker: ['transient', 'ok'], createOrg: ['permanent'] }, 'failed')).toBe(
      false,
    );
    expect(isRealizable({ buildRunnerWorker: ['transient', 'transient'] }, 'degraded')).toBe(true);
  });

  it('reads what the journal must show from the attempts', () => {
    expect(journalOf({ createOrg: ['transient', 'ok'], addOwner: ['transient', 'transient'] })).toEqual({
      createOrg: ['retry', 'ok'],
      addOwner: ['retry', 'final'],
    });
  });
});

describe('fault plans', () => {
  it('internal Gitea: simulator rules and CLI faults for the Gitea side, failpoints for the rest', () => {
    const p = path(INTERNAL, {
      createUsers: ['transient', 'ok'],
      createOrg: ['transient', 'permanent'],
      persistConfig: ['transient', 'ok'],
    });
    const plan = planFaults(p);
    expect(plan.sim.cliFaults).toEqual([
      {
        id: 'createUsers-0',
        command: 'admin user create',
        message: 'CreateUser: database is locked',
        times: 1,
      },
    ]);
    expect(plan.sim.rules).toEqual([
      expect.objectContaining({ method: 'POST', path: '/api/v1/orgs', status: 503, times: 1 }),
      expect.objectContaining({ method: 'POST', path: '/api/v1/orgs', status: 422 }),
    ]);
    expect(plan.sim.rules![1]).not.toHaveProperty('times');
    expect(plan.failpointAttempts).toEqual({ persistConfig: [true, false] });
    expect(
      'createOrg: POST http://127.0.0.1:1/api/v1/orgs answered 422: createOrg: invalid request (model test fault)',
    ).toMatch(plan.ending!);
  });

  it('writeAppIni fails by its failpoint: an app.ini it cannot write is a configuration error before the boot', () => {
    const plan = planFaults(path(INTERNAL, { writeAppIni: ['permanent'] }));
    expect(plan.failpointAttempts).toEqual({ writeAppIni: [true] });
    expect('writeAppIni: failpoint writeAppIni=permanent (GIGI_BOOT_FAILPOINTS)').toMatch(plan.ending!);
  });

  it('awaitApi gives up for real: a listening Gitea whose API answers 503 past the ready deadline', () => {
    const plan = planFaults(path(INTERNAL, { awaitApi: ['transient', 'permanent'] }));
    expect(plan.world.apiNeverReady).toBe(true);
    expect(plan.sim.rules).toEqual([
      expect.objectContaining({ method: 'GET', path: '/api/v1/version', status: 503 }),
    ]);
    expect(plan.sim.rules![0]).not.toHaveProperty('times');
    expect(plan.failpointAttempts).toEqual({ awaitApi: [true, false] });
  });

  it("external Gitea: a wrong admin password; gigi's e-mail taken, so it cannot be created", () => {
    const plan = planFaults(path(EXTERNAL, { checkExternalGitea: ['transient', 'permanent'] }));
    expect(plan.world).toEqual({
      apiNeverReady: false,
      wrongAdminPassword: true,
      gigiEmailTaken: false,
    });
    expect(plan.sim.rules).toEqual([
      expect.objectContaining({ path: '/api/v1/user', status: 503, times: 1 }),
    ]);
    const createUsers = planFaults(path(EXTERNAL, { createUsers: ['permanent'] }));
    expect(createUsers.world.gigiEmailTaken).toBe(true);
    expect(
      'createUsers: POST http://127.0.0.1:1/api/v1/admin/users answered 422: e-mail already in use [email: gigi@gigi.local]',
    ).toMatch(createUsers.ending!);
  });

  it('a build that ends after the hand-off is held at a gate and made to end by it, not by a failpoint', () => {
    const failing = {
      ...path(DOCKER, { handOff: ['ok'], buildRunnerWorker: ['transient', 'permanent'] }),
      events: [done('handOff'), error('buildRunnerWorker'), error('buildRunnerWorker')],
    };
    expect(buildEndsAfterHandOff(failing)).toBe(true);
    const plan = planFaults(failing);
    expect(plan.heldBuild).toEqual({ release: 500 });
    expect(plan.failpointAttempts).toEqual({ buildRunnerWorker: [true, false] });
    expect('buildRunnerWorker: Building gigi/runner:ctx-1 from /ctx failed: exit code 1').toMatch(
      plan.ending!,
    );

    const building = { ...failing, attempts: { handOff: ['ok'], buildRunnerWorker: ['ok'] } };
    building.events = [done('handOff'), done('buildRunnerWorker')];
    expect(planFaults(building as ProcessPath).heldBuild).toEqual({ release: 200 });
    // Built before the hand-off: not held, the engine's speed is no problem there.
    building.events = [done('buildRunnerWorker'), done('handOff')];
    expect(planFaults(building as ProcessPath).heldBuild).toBeUndefined();
    // Docker absent: the step is skipped at once, so no process can end it after the hand-off.
    expect(() => planFaults({ ...failing, modes: { ...DOCKER, docker: false } })).toThrow(/Docker absent/);
  });

  it('arms failpoints and crashes for the next process from the errors the journal already shows', () => {
    const p = path(
      INTERNAL,
      {
        createOrg: ['transient', 'ok'],
        persistConfig: ['transient', 'ok'],
        handOff: ['transient', 'permanent'],
      },
      ['createOrg', 'persistConfig'],
    );
    const plan = planFaults(p);
    expect(failpointsFor(p, plan, p.crashes, {})).toBe(
      'persistConfig=transient*1->crash*1,handOff=transient*1->permanent*1,createOrg=off*1->crash*1',
    );
    // createOrg crashed after its simulator fault; persistConfig's failpoint fault is used up.
    expect(failpointsFor(p, plan, ['persistConfig'], { createOrg: 1, persistConfig: 1 })).toBe(
      'persistConfig=crash*1,handOff=transient*1->permanent*1',
    );
    expect(failpointsFor(p, plan, [], { createOrg: 1, persistConfig: 1, handOff: 1 })).toBe(
      'handOff=permanent*1',
    );
  });
});
