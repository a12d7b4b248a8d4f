// How a real process is made to follow a path's attempts. Gitea-side faults come from the Gitea
// simulator (GITEA_SIM_FAULTS: its HTTP rules and CLI faults, a Gitea still migrating past the
// ready deadline) or from the external Gitea's real state (a wrong admin password, a `gigi`
// account the operator never created); every other fault, and every crash, from the product's
// own failpoints (GIGI_BOOT_FAILPOINTS), re-armed before each process from what the journal
// shows was already used.
import type { BootStep, Modes } from '../../machines/boot.ts';
import type { CliFault, FaultRule, FaultsConfig } from '../gitea-sim/faults.ts';
import type { Attempt, ProcessPath } from './process-set.ts';

/**
 * How each step's faulted attempts are made, one entry per step (a new step must say, the
 * compiler asks): `sim` — the simulator answers the API call the step makes once per attempt;
 * `byMode` — createUsers: that call on an external Gitea (GET /users/gigi), a CLI fault of
 * `gitea admin user create` on the internal one; `failpoint` — GIGI_BOOT_FAILPOINTS, with a
 * permanent fault from the world where REAL_PERMANENT has one (and a held build's last attempt
 * the real build).
 */
type FaultSource = { sim: { method: string; path: string } } | 'byMode' | 'failpoint';

export const FAULT_SOURCE: Record<BootStep, FaultSource> = {
  detectModes: 'failpoint',
  prepareSecrets: 'failpoint',
  writeAppIni: 'failpoint',
  startGitea: 'failpoint',
  awaitApi: 'failpoint',
  checkExternalGitea: { sim: { method: 'GET', path: '/api/v1/user' } },
  createUsers: 'byMode',
  createTokens: { sim: { method: 'POST', path: '/api/v1/users/gigi/tokens' } },
  createOrg: { sim: { method: 'POST', path: '/api/v1/orgs' } },
  addOwner: { sim: { method: 'PUT', path: '/api/v1/teams/*' } },
  registerWebhook: { sim: { method: 'POST', path: '/api/v1/admin/hooks' } },
  persistConfig: 'failpoint',
  buildRunnerWorker: 'failpoint',
  stopGitea: 'failpoint',
  handOff: 'failpoint',
};

/** The API call a step makes once per attempt, where the simulator answers it with the fault. */
function simulatorCall(step: BootStep, modes: Modes): { method: string; path: string } | undefined {
  const source = FAULT_SOURCE[step];
  if (typeof source === 'object') return source.sim;
  if (source === 'byMode' && modes.gitea === 'external') return { method: 'GET', path: '/api/v1/users/gigi' };
  return undefined;
}

/**
 * Permanent faults the world produces for steps without a simulator call to fault. writeAppIni
 * has none left: everything that once failed it for real (app.ini a directory, not writable) is
 * now a configuration error found before the boot starts (exit 2, no run), so its permanent
 * fault comes from its failpoint like the other file steps'.
 */
const REAL_PERMANENT: Partial<Record<BootStep, { fault: 'apiNeverReady'; ending: RegExp }>> = {
  awaitApi: {
    fault: 'apiNeverReady',
    ending: /^awaitApi: .*did not answer GET \/api\/v1\/version within 1500 ms/,
  },
};

/** Real faults other than a simulator rule, for a step's final, permanent attempt. */
export interface WorldFaults {
  /**
   * Internal Gitea: listening, but GET /api/v1/version answers 503 past the ready deadline (a
   * Gitea still migrating), so awaitApi gives up. Not a Gitea slow to open its port: startGitea
   * waits for the port itself, so that would fail startGitea instead.
   */
  apiNeverReady: boolean;
  /** External Gitea: ADMIN_PASSWORD is not the admin's (checkExternalGitea: 401). */
  wrongAdminPassword: boolean;
  /**
   * External Gitea: no `gigi` account, and another account already uses gigi's e-mail, so
   * creating it is refused (createUsers: POST /admin/users answers 422).
   */
  gigiEmailTaken: boolean;
}

export interface FaultPlan {
  sim: FaultsConfig;
  world: WorldFaults;
  /** Per step, per attempt: true where a failpoint (not the world) makes that attempt fail. */
  failpointAttempts: Partial<Record<BootStep, boolean[]>>;
  /** What the run's error must say when a step gives up: the fault that made it, not another. */
  ending: RegExp | undefined;
  /**
   * Set when the path has the runner-worker build end after the hand-off (the Gitea region
   * `ready` while the runner region still builds): the test holds the build's last attempt, a
   * real build, at a gate until the journal shows handOff done, then answers with `release`
   * (200: built; 500: its RUN step fails, so the build does, for real).
   */
  heldBuild: { release: 200 | 500 } | undefined;
}

const BUILD_ENDS = ['xstate.done.actor.buildRunnerWorker', 'xstate.error.actor.buildRunnerWorker'];

/**
 * Does the path's planned event order have the runner-worker build end after handOff is done?
 * Left to the engine, a small build would usually win that race; only a held build follows the path.
 */
export function buildEndsAfterHandOff(path: Pick<ProcessPath, 'events'>): boolean {
  const types: string[] = path.events.map((e) => e.type);
  const handOff = types.indexOf('xstate.done.actor.handOff');
  const buildEnd = Math.max(...BUILD_ENDS.map((t) => types.lastIndexOf(t)));
  return handOff >= 0 && buildEnd > handOff;
}

function runs(list: readonly Attempt[]): Array<{ kind: Attempt; times: number }> {
  const out: Array<{ kind: Attempt; times: number }> = [];
  for (const kind of list) {
    const last = out.at(-1);
    if (last?.kind === kind) last.times++;
    else out.push({ kind, times: 1 });
  }
  return out;
}

/** Which mechanism fails each faulted attempt of the path, in its mode. */
export function planFaults(path: ProcessPath): FaultPlan {
  const { modes } = path;
  const rules: FaultRule[] = [];
  const cliFaults: CliFault[] = [];
  const world: WorldFaults = {
    apiNeverReady: false,
    wrongAdminPassword: false,
    gigiEmailTaken: false,
  };
  const failpointAttempts: Partial<Record<BootStep, boolean[]>> = {};
  let ending: RegExp | undefined;
  const buildAttempts = path.attempts.buildRunnerWorker ?? [];
  let heldBuild: FaultPlan['heldBuild'];
  if (buildEndsAfterHandOff(path)) {
    // Docker absent, the step is done at once ("skipped"): nothing to hold, no process can follow.
    if (!modes.docker)
      throw new Error(
        `${path.description}: the runner-worker build ends after the hand-off with Docker absent, which no process can do`,
      );
    heldBuild = { release: buildAttempts.at(-1) === 'ok' ? 200 : 500 };
  }

  for (const [step, list] of Object.entries(path.attempts) as Array<[BootStep, Attempt[]]>) {
    const faults = list.filter((a) => a !== 'ok');
    if (faults.length === 0) continue;
    const api = simulatorCall(step, modes);
    if (api) {
      for (const [i, run] of runs(faults).entries()) {
        const id = `${step}-${i}`;
        if (run.kind === 'transient')
          rules.push({
            id,
            ...api,
            action: 'status',
            status: 503,
            message: 'Service Unavailable',
            times: run.times,
          });
        // A permanent fault ends the path: it answers from here on.
        else if (step === 'checkExternalGitea') world.wrongAdminPassword = true;
        else if (step === 'createUsers') world.gigiEmailTaken = true;
        else
          rules.push({
            id,
            ...api,
            action: 'status',
            status: 422,
            message: `${step}: invalid request (model test fault)`,
          });
      }
      const last = list.at(-1);
      if (last === 'transient') ending = new RegExp(`^${step}: .*answered 503: Service Unavailable`);
      else if (last === 'permanent')
        ending =
          step === 'checkExternalGitea'
            ? /^checkExternalGitea: .*answered 401/
            : step === 'createUsers'
              ? /^createUsers: POST \S+\/admin\/users answered 422: e-mail already in use \[email: gigi@gigi\.local\]/
              : new RegExp(`^${step}: .*answered 422: ${step}: invalid request \\(model test fault\\)`);
      continue;
    }
    if (step === 'createUsers') {
      // Internal Gitea: the admin is made by `gitea admin user create` (gigi by the admin API).
      for (const [i, run] of runs(faults).entries())
        cliFaults.push({
          id: `${step}-${i}`,
          command: 'admin user create',
          message:
            run.kind === 'transient'
              ? 'CreateUser: database is locked'
              : 'CreateUser: name is reserved [name: gigi]',
          ...(run.kind === 'transient' ? { times: run.times } : {}),
        });
      const last = list.at(-1);
      if (last === 'transient') ending = /^createUsers: .*the sqlite database was locked/;
      else if (last === 'permanent') ending = /^createUsers: .*name is reserved \[name: gigi\]/;
      continue;
    }
    // Where a step's permanent fault is reachable for real, the world makes it; transient faults
    // of these steps (none reachable: waitForApi absorbs them, a file error is not retried) and
    // every other step's come from failpoints.
    // A held build's last attempt is the real build, failed (if it fails) by the gate's 500.
    if (step === 'buildRunnerWorker' && heldBuild) {
      failpointAttempts[step] = list.map((a, i) => a !== 'ok' && i < list.length - 1);
      if (list.at(-1) !== 'ok') ending = /^buildRunnerWorker: Building \S+ from \S+ failed: /;
      continue;
    }
    const real = list.at(-1) === 'permanent' ? REAL_PERMANENT[step] : undefined;
    if (real) {
      world[real.fault] = true;
      ending = real.ending;
    }
    failpointAttempts[step] = list.map((a, i) => a !== 'ok' && !(real && i === list.length - 1));
    const last = list.at(-1);
    if (!real && last !== 'ok')
      ending = new RegExp(`^${step}: failpoint ${step}=${last} \\(GIGI_BOOT_FAILPOINTS\\)`);
  }
  return {
    sim: {
      rules: world.apiNeverReady
        ? [
            ...rules,
            {
              id: 'awaitApi-never-ready',
              method: 'GET',
              path: '/api/v1/version',
              action: 'status',
              status: 503,
              message: 'Service Unavailable (migrating)',
            },
          ]
        : rules,
      cliFaults,
    },
    world,
    failpointAttempts,
    ending,
    heldBuild,
  };
}

/**
 * GIGI_BOOT_FAILPOINTS for the next process: each step's attempts from the first one the journal
 * has not seen fail (`failedSoFar`), and a crash on the successful last attempt of each step
 * whose crash has not happened yet.
 */
export function failpointsFor(
  path: ProcessPath,
  plan: FaultPlan,
  pendingCrashes: readonly BootStep[],
  failedSoFar: Partial<Record<BootStep, number>>,
): string {
  const entries: string[] = [];
  const steps = new Set([...(Object.keys(plan.failpointAttempts) as BootStep[]), ...pendingCrashes]);
  for (const step of steps) {
    const list = path.attempts[step] ?? [];
    const actions: string[] = list.map((attempt, i) => {
      if (plan.failpointAttempts[step]?.[i]) return attempt;
      if (attempt === 'ok' && i === list.length - 1 && pendingCrashes.includes(step)) return 'crash';
      return 'off';
    });
    const remaining = actions.slice(failedSoFar[step] ?? 0);
    while (remaining.at(-1) === 'off') remaining.pop();
    if (remaining.length === 0) continue;
    const terms = runs(remaining as Attempt[]).map((r) => `${r.kind}*${r.times}`);
    entries.push(`${step}=${terms.join('->')}`);
  }
  return entries.join(',');
}

/** The env a mode needs beyond the suite's defaults (Docker is set up by the caller). */
export function describeModes(modes: Modes): string {
  return `gitea ${modes.gitea}, chrome ${modes.chrome}, docker ${modes.docker ? 'present' : 'absent'}`;
}
