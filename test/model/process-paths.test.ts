// The generated path set (process-set.ts: a transition cover of the boot machine's graph, every
// mode, every step's success / transient fault with retry / permanent fault per Gitea mode, and
// a crash at every step) run against the real implementation: real Postgres, real `gigi-boot
// run` processes (inside a mount namespace without the Docker socket for Docker-absent paths,
// against the real engine for Docker-present ones), the Gitea simulator made to produce the
// path's faults, failpoints for the rest. What the processes covered is counted from their own
// journals, replayed through the machine; below 100% of states or transitions the suite fails.
//
// After each path: the exit code and status the path predicts, the journal's attempts per step
// as the path scripts them, no duplicate user, token name, org membership or webhook in Gitea,
// the config complete when the boot completes, no process left on the data dir, no secret in
// anything a process printed.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootMachine, isBootStep, type BootStep, type Modes, type StepOutput } from '../../machines/boot.ts';
import { REQUIRED_CONFIG_KEYS } from '../../src/boot/config-keys.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { cleanupContexts, makeContext, requireEngine } from '../docker/helpers.ts';
import { createGiteaUser, startSimulator, type RunningSimulator } from '../gitea-sim/harness.ts';
import { readCalls, type DbState } from '../gitea-sim/state-store.ts';
import { bootEnv, CLI, processesUsing, REPO_ROOT, type CliResult } from '../support/boot-process.ts';
import { testServerUrl } from '../support/env.ts';
import { Gate, gateRunStep } from '../support/http-gate.ts';
import { readConfigTable } from '../support/gitea-state.ts';
import { createTestDatabase, freePort } from '../support/postgres.ts';
import { MODEL_RETRY, type ModelEvent } from './boot-graph.ts';
import { coverageReport, formatCoverage } from './coverage.ts';
import { coverageOfEvents } from './event-coverage.ts';
import { describeModes, failpointsFor, planFaults, type FaultPlan } from './process-faults.ts';
import { generateProcessPaths, journalOf, type JournalAttempt, type ProcessPath } from './process-set.ts';
import { waitFor } from '../support/wait.ts';

const DOCKER_SOCKET = '/var/run/docker.sock';
const WEBHOOK = 'http://localhost:3000/webhook/gitea';
const EXTERNAL_ADMIN = 'ops-admin';

const set = await generateProcessPaths();
const seenStates = new Set<string>();
const seenTransitions = new Set<string>();
const crashedAndResumed = new Set<BootStep>();
let pathsRun = 0;

beforeAll(requireEngine);

afterAll(async () => {
  await cleanupContexts();
  const report = coverageReport(bootMachine, seenStates, seenTransitions, pathsRun);
  console.log(`process ${formatCoverage(report)}, all as gigi-boot processes`);
  const crashable = [...new Set(set.paths.flatMap((p) => p.crashes))];
  console.log(
    `process crash + resume: ${crashedAndResumed.size}/${crashable.length} steps (${set.paths.length} paths from ${set.candidates} realizable of ${set.generated} generated)`,
  );
  expect(report.states.missing, 'state nodes no process reached').toEqual([]);
  expect(report.transitions.missing, 'transitions no process took').toEqual([]);
  expect(pathsRun, 'every path of the set ran').toBe(set.paths.length);
  expect([...crashedAndResumed].sort(), 'steps crashed, then resumed to the end').toEqual(crashable.sort());
});

interface JournalRow {
  step: string;
  attempt: number;
  outcome: string;
  error: string | null;
  detail: { outcome?: string } | null;
}

async function query<T extends pg.QueryResultRow>(databaseUrl: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } catch (error) {
    if ((error as { code?: string }).code === '42P01') return []; // no tables yet: nothing journaled
    throw error;
  } finally {
    await client.end();
  }
}

const journal = (databaseUrl: string) =>
  query<JournalRow>(
    databaseUrl,
    'select step, attempt, outcome, error, detail from gigi_boot_journal order by id',
  );

/** Errors per step so far: the failpoint attempts already used. */
function failedSoFar(rows: readonly JournalRow[]): Partial<Record<BootStep, number>> {
  const out: Partial<Record<BootStep, number>> = {};
  for (const row of rows)
    if (row.outcome === 'error' && isBootStep(row.step)) out[row.step] = (out[row.step] ?? 0) + 1;
  return out;
}

/** `gigi-boot run --no-handoff`; Docker absent: in a mount namespace where the default socket is /dev/null. */
function runBoot(env: Record<string, string>, hideDockerSocket: boolean): Promise<CliResult> {
  const node = [process.execPath, CLI, 'run', '--no-handoff'];
  const hide = `mount --bind /dev/null ${DOCKER_SOCKET} && exec "$@"`;
  const unshare = ['--mount', '--propagation', 'private', '--', 'sh', '-c', hide, 'sh', ...node];
  const [file, args] =
    hideDockerSocket && existsSync(DOCKER_SOCKET) ? ['unshare', unshare] : [node[0]!, node.slice(1)];
  const child = spawn(file, args, { env, cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
}

async function expectNoOrphans(dir: string): Promise<void> {
  // The paths run concurrently: expect.poll needs a test's own expect, so wait, then assert.
  await waitFor(`no process left on ${dir}`, () => processesUsing(dir).length === 0, {
    timeout: 5_000,
  }).catch(() => undefined);
  expect(processesUsing(dir), `processes left on ${dir}`).toEqual([]);
}

/** The journal as machine events: what the processes' steps really did, in commit order. */
function eventsFromJournal(rows: readonly JournalRow[]): ModelEvent[] {
  const events: ModelEvent[] = [];
  const backoff = new Set<string>();
  rows.forEach((row, index) => {
    if (row.outcome === 'interrupted' || row.outcome === 'reset') return;
    if (backoff.delete(row.step)) events.push({ type: `xstate.done.actor.${row.step}.backoff` });
    if (row.outcome === 'error') {
      const retried = rows.slice(index + 1).some((r) => r.step === row.step);
      if (retried) backoff.add(row.step);
      events.push({
        type: `xstate.error.actor.${row.step}`,
        error: { transient: retried, message: row.error ?? '' },
      });
      return;
    }
    const outcome = row.detail?.outcome ?? '';
    events.push({
      type: `xstate.done.actor.${row.step}`,
      output:
        row.step === 'detectModes'
          ? { modes: parseModes(outcome), ...(/ scope:runner$/.test(outcome) ? { scope: 'runner' } : {}) }
          : { outcome },
    });
  });
  return events;
}

/** detectModes' journal outcome, e.g. "gitea:internal chrome:external docker:no". */
function parseModes(outcome: string): Modes {
  const m = /^gitea:(internal|external) chrome:(internal|external) docker:(yes|no)( scope:runner)?$/.exec(
    outcome,
  );
  if (!m)
    throw new Error(`detectModes journaled an outcome the test cannot read: ${JSON.stringify(outcome)}`);
  return { gitea: m[1] as Modes['gitea'], chrome: m[2] as Modes['chrome'], docker: m[3] === 'yes' };
}

/** Each step's attempts as the journal shows them (interrupted attempts are re-run, not counted). */
function journalAttempts(rows: readonly JournalRow[]): Partial<Record<string, JournalAttempt[]>> {
  const out: Partial<Record<string, JournalAttempt[]>> = {};
  rows.forEach((row, index) => {
    if (row.outcome === 'interrupted' || row.outcome === 'reset') return;
    const attempt: JournalAttempt =
      row.outcome !== 'error'
        ? 'ok'
        : rows.slice(index + 1).some((r) => r.step === row.step)
          ? 'retry'
          : 'final';
    (out[row.step] ??= []).push(attempt);
  });
  return out;
}

/** Start an external Gitea (the operator's) with an admin, and `gigi` unless the path says not. */
async function startExternalGitea(
  plan: FaultPlan,
): Promise<{ sim: RunningSimulator; adminPassword: string }> {
  const sim = await startSimulator({
    dir: mkdtempSync(join(tmpdir(), 'gigi-model-external-')),
    port: await freePort(),
    faults: plan.sim,
  });
  const create = (args: string[]) => createGiteaUser(sim.configPath, args);
  const adminPassword = await create(['--username', EXTERNAL_ADMIN, '--email', 'ops@example.com', '--admin']);
  // The operator's own `gigi`, or (the permanent createUsers fault) none, with its e-mail taken.
  if (plan.world.gigiEmailTaken) await create(['--username', 'someone', '--email', 'gigi@gigi.local']);
  else await create(['--username', 'gigi', '--email', 'gigi@example.com']);
  return { sim, adminPassword };
}

/** Duplicates the simulator's database holds: users/orgs, token names, memberships, webhooks. */
function duplicatesIn(db: DbState): string[] {
  const dup = (label: string, keys: string[]) =>
    keys.filter((k, i) => keys.indexOf(k) !== i).map((k) => `${label} ${k}`);
  return [
    ...dup(
      'user/org',
      db.users.map((u) => u.lowerName),
    ),
    ...dup(
      'token',
      db.tokens.map((t) => `${t.uid}/${t.name}`),
    ),
    ...dup(
      'team member',
      db.teamMembers.map((m) => `${m.teamId}/${m.uid}`),
    ),
    ...dup(
      'org member',
      db.orgMembers.map((m) => `${m.orgId}/${m.uid}`),
    ),
    ...dup(
      'webhook',
      db.hooks.map((h) => `${h.isSystemWebhook ? 'system' : 'default'} ${h.url}`),
    ),
  ];
}

function readSimDb(path: string | undefined): DbState | undefined {
  if (!path || !existsSync(path) || readFileSync(path, 'utf8').trim() === '') return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as DbState;
}

/** Internal Gitea: its database is where the boot's app.ini says. */
function internalSimDbPath(dataDir: string): string | undefined {
  const appIni = join(dataDir, 'gitea', 'custom', 'conf', 'app.ini');
  if (!existsSync(appIni) || !statSync(appIni).isFile()) return undefined; // none, or the planted directory
  const text = readFileSync(appIni, 'utf8');
  return /^PATH\s*=\s*(.+)$/m.exec(text.slice(text.indexOf('[database]')))?.[1]?.trim();
}

/** A path whose detectModes reports the runner-only scope (the plan found Gitea set up). */
function isRunnerOnly(path: ProcessPath): boolean {
  return path.events.some((e) => (e as { output?: StepOutput }).output?.scope === 'runner');
}

function name(path: ProcessPath, index: number): string {
  const crashes = path.crashes.length > 0 ? ` [crash+resume at ${path.crashes.join(', ')}]` : '';
  return `#${index} ${describeModes(path.modes)} ⇒ ${path.finalStatus}${crashes}: ${path.description}`;
}

describe.concurrent(
  `the process path set (${set.paths.length} generated paths, each as gigi-boot processes)`,
  () => {
    it.each(set.paths.map((path, index) => ({ path, name: name(path, index) })))(
      '$name',
      async ({ path }) => {
        const plan = planFaults(path);
        const databaseUrl = await createTestDatabase(testServerUrl(), 'procpath');
        const env = await bootEnv({
          databaseUrl,
          extra: { GIGI_BOOT_STEP_ATTEMPTS: String(MODEL_RETRY.maxAttempts) },
        });
        const dataDir = env.GIGI_DATA_DIR!;
        const secrets: string[] = [];
        if (path.modes.chrome === 'external') env.CHROME_CDP_URL = 'http://chrome.example:9222';
        delete env.GIGI_BOOT_DOCKER_SOCKET;
        delete env.GIGI_BOOT_DOCKER_SOCKET_WAIT;
        // A path whose build ends after the hand-off: the build waits on a gate (reached over
        // the host network) that opens once the journal shows handOff done.
        const gate = plan.heldBuild ? new Gate() : undefined;
        if (path.modes.docker) {
          const context = makeContext(gate ? [gateRunStep(await gate.listen())] : []);
          Object.assign(env, {
            GIGI_BOOT_DOCKER_SOCKET: DOCKER_SOCKET,
            GIGI_BOOT_RUNNER_CONTEXT: context.dir,
            GIGI_BOOT_RUNNER_IMAGE: context.image,
            ...(gate ? { GIGI_BOOT_RUNNER_NETWORK: 'host' } : {}),
          });
        }
        let external: { sim: RunningSimulator; adminPassword: string } | undefined;
        if (path.modes.gitea === 'external') {
          external = await startExternalGitea(plan);
          secrets.push(external.adminPassword);
          const password = plan.world.wrongAdminPassword
            ? 'not-the-admin-password-42'
            : external.adminPassword;
          secrets.push(password);
          Object.assign(env, {
            GITEA_URL: external.sim.url,
            ADMIN_USER: EXTERNAL_ADMIN,
            ADMIN_PASSWORD: password,
          });
          delete env.GITEA_HTTP_PORT;
        } else {
          const faultsDir = mkdtempSync(join(tmpdir(), 'gigi-model-faults-'));
          chmodSync(faultsDir, 0o777); // the simulator runs as gigi and keeps its `times` counters here
          env.GITEA_SIM_FAULTS = join(faultsDir, 'faults.json');
          writeFileSync(env.GITEA_SIM_FAULTS, JSON.stringify(plan.sim), { mode: 0o644 });
          if (plan.world.apiNeverReady) env.GIGI_BOOT_GITEA_READY_TIMEOUT = '1500ms';
        }

        let ended = false; // every process of the path has ended
        let released: Promise<void> | undefined;
        try {
          // A runner-only path starts from a box whose Gitea is set up and whose runner-worker
          // image failed to build: made by a first boot with the build failing on purpose.
          const runnerOnly = isRunnerOnly(path);
          let priorRows = 0;
          let priorCalls: string[] = [];
          const simDb = () => (external ? external.sim.statePath : internalSimDbPath(dataDir));
          if (runnerOnly) {
            env.GIGI_BOOT_RUNNER_RETRY = '0s';
            env.GIGI_BOOT_FAILPOINTS = 'buildRunnerWorker=permanent';
            const prior = await runBoot(env, !path.modes.docker);
            expect(prior.code, prior.stdout + prior.stderr).toBe(EXIT.ok);
            priorRows = (await journal(databaseUrl)).length;
            priorCalls = readCalls(simDb()!);
            expect(priorCalls.length, 'the first boot talked to Gitea').toBeGreaterThan(0);
          }
          const thisRun = async () => (await journal(databaseUrl)).slice(priorRows);

          // The held build is let go once this run's journal has handOff done (in whichever
          // process gets there: a crash at handOff kills the first before it journals it).
          const handedOff = async () =>
            (await thisRun()).some((r) => r.step === 'handOff' && r.outcome === 'ok');
          released =
            gate &&
            expect
              .poll(async () => ended || (await handedOff()), { timeout: 290_000, interval: 100 })
              .toBe(true)
              .then(async () => {
                expect(await handedOff(), 'handOff done before the held build is let go').toBe(true);
                gate.open(plan.heldBuild!.release);
              });

          // Run, and after each crash run again, until a process ends by itself.
          const results: CliResult[] = [];
          const pending = [...path.crashes];
          for (;;) {
            const failpoints = failpointsFor(path, plan, pending, failedSoFar(await thisRun()));
            if (failpoints) env.GIGI_BOOT_FAILPOINTS = failpoints;
            else delete env.GIGI_BOOT_FAILPOINTS;
            const result = await runBoot(env, !path.modes.docker);
            results.push(result);
            await expectNoOrphans(dataDir);
            if (result.signal !== 'SIGKILL') break;
            const crashed = /failpoint (\w+)=crash/.exec(result.stderr)?.[1] as BootStep | undefined;
            expect(
              crashed && pending.includes(crashed),
              `an armed crash killed the process: ${result.stderr}`,
            ).toBe(true);
            pending.splice(pending.indexOf(crashed!), 1);
            expect(results.length, 'more processes than crashes').toBeLessThanOrEqual(
              path.crashes.length + 1,
            );
          }
          ended = true;
          await released;
          if (gate) expect(gate.requests, 'the held build waited at its gate').toBeGreaterThan(0);
          const last = results.at(-1)!;
          const printed = results.map((r) => r.stdout + r.stderr).join('\n');
          expect(pending, `crashes that never happened:\n${printed.slice(-4000)}`).toEqual([]);
          expect(last.code, printed.slice(-3000)).toBe(path.finalStatus === 'failed' ? EXIT.failed : EXIT.ok);

          // The journal: one run, ending as predicted, each step's attempts as the path scripts them.
          const runs = await query<{ status: string; error: string | null }>(
            databaseUrl,
            'select status, error from gigi_boot_runs order by started_at',
          );
          expect(runs.map((r) => r.status)).toEqual(
            runnerOnly ? ['degraded', path.finalStatus] : [path.finalStatus],
          );
          // …and it ended because of the path's fault, made the way the plan says.
          if (plan.ending) expect(runs.at(-1)!.error).toMatch(plan.ending);
          else expect(runs.at(-1)!.error).toBeNull();
          const rows = await thisRun();
          // A runner-only restart neither starts a Gitea process nor sends Gitea a request.
          if (runnerOnly)
            expect(readCalls(simDb()!), 'Gitea calls of the runner-only run').toEqual(priorCalls);
          const expected = journalOf(path.attempts);
          const actual = journalAttempts(rows);
          if (path.finalStatus === 'failed') {
            // The failure cancels the runner-worker build wherever it was: not the path's to script.
            delete expected.buildRunnerWorker;
            delete actual.buildRunnerWorker;
          }
          expect(actual).toEqual(expected);
          for (const step of path.crashes)
            expect(
              rows.some((r) => r.step === step && r.outcome === 'interrupted'),
              `${step} journaled as interrupted`,
            ).toBe(true);

          // What the processes covered: their journal, replayed through the machine.
          const covered = await coverageOfEvents(eventsFromJournal(rows), MODEL_RETRY);
          expect(covered.output.status).toBe(path.finalStatus);
          expect(covered.afterEnd.map((e) => e.type).filter((t) => !t.includes('buildRunnerWorker'))).toEqual(
            [],
          );
          const detected = rows.find((r) => r.step === 'detectModes' && r.outcome === 'ok');
          if (detected) expect(parseModes(detected.detail?.outcome ?? '')).toEqual(path.modes);

          // Gitea: nothing twice; on a completed boot, everything once.
          const config = await readConfigTable(databaseUrl).catch((): Record<string, string> => ({}));
          const db = readSimDb(external ? external.sim.statePath : internalSimDbPath(dataDir));
          if (db) expect(duplicatesIn(db)).toEqual([]);
          if (path.finalStatus !== 'failed') {
            for (const key of REQUIRED_CONFIG_KEYS) expect(config[key], `config ${key}`).toMatch(/\S/);
            expect(db, 'the Gitea database').toBeDefined();
            const gigi = db!.users.find((u) => u.lowerName === 'gigi')!;
            expect(db!.tokens.filter((t) => t.uid === gigi.id).map((t) => t.name)).toEqual(['gigi-app']);
            expect(db!.tokens.find((t) => t.uid === gigi.id)!.tokenLastEight).toBe(
              config.gitea_token!.slice(-8),
            );
            const org = db!.users.find((u) => u.lowerName === 'gigi-org')!;
            const owners = db!.teams.find((t) => t.orgId === org.id && t.lowerName === 'owners')!;
            expect(db!.teamMembers).toContainEqual({ teamId: owners.id, uid: gigi.id });
            expect(db!.hooks.filter((h) => h.isSystemWebhook && h.url === WEBHOOK)).toHaveLength(1);
          }

          // No secret the boot made or was given in anything it printed.
          for (const [key, value] of Object.entries(config))
            if (/password|token|secret/.test(key) && value.length >= 8) secrets.push(value);
          for (const secret of secrets) expect(printed.includes(secret), 'a secret was printed').toBe(false);

          for (const s of covered.states) seenStates.add(s);
          for (const t of covered.transitions) seenTransitions.add(t);
          for (const step of path.crashes) crashedAndResumed.add(step);
          pathsRun++;
        } finally {
          ended = true; // a path that failed early: stop waiting for a hand-off that never comes
          released?.catch(() => undefined); // its error, if any, is the body's to report
          gate?.close();
          await external?.sim.stop();
        }
      },
      300_000,
    );
  },
);
