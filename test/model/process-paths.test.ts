// A representative subset of the generated paths, run against a real `gigi-boot run` process
// with real Postgres and the Gitea simulator made to produce each path's fault: for every step
// the simulator can fault, its transient-fault-then-success path and its permanent-fault path.
// After each: the status the path predicts, no duplicate in Gitea, config complete when the
// boot completes, nothing after the failed step, no secret in the output.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { bootMachine, type BootStep } from '../../machines/boot.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { REQUIRED_CONFIG_KEYS } from '../../src/boot/config-keys.ts';
import { readBootOutcome, DEFAULT_WEBHOOK } from '../e2e/verify.ts';
import { bootEnv, runCli } from '../support/boot-process.ts';
import { testServerUrl } from '../support/env.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { faultPaths, MODEL_MODES } from './boot-graph.ts';

/** The simulator fault that makes `step` fail once (transient) or for good (permanent). */
const FAULTS: Partial<Record<BootStep, (kind: 'transient' | 'permanent') => object>> = {
  createUsers: (kind) => ({
    cliFaults: [
      kind === 'transient'
        ? { command: 'admin user create', message: 'CreateUser: database is locked', times: 1 }
        : { command: 'admin user create', message: 'CreateUser: name is reserved [name: gigi]' },
    ],
  }),
  createTokens: (kind) => httpFault('POST', '/api/v1/users/gigi/tokens', kind),
  createOrg: (kind) => httpFault('POST', '/api/v1/orgs', kind),
  addOwner: (kind) => httpFault('PUT', '/api/v1/teams/*', kind),
  registerWebhook: (kind) => httpFault('POST', '/api/v1/admin/hooks', kind),
};

function httpFault(method: string, path: string, kind: 'transient' | 'permanent') {
  return {
    rules: [
      kind === 'transient'
        ? { method, path, action: 'status', status: 503, message: 'busy', times: 1 }
        : { method, path, action: 'status', status: 418, message: 'teapot' },
    ],
  };
}

// Internal Gitea, Docker off (the suites keep off the engine), Chrome external.
const modes = MODEL_MODES[1]!;
const paths = faultPaths(bootMachine, modes, Object.keys(FAULTS) as BootStep[]);

async function journal(databaseUrl: string) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ step: string; outcome: string }>(
      'select step, outcome from gigi_boot_journal order by id',
    );
    return rows;
  } finally {
    await client.end();
  }
}

describe.concurrent(`graph paths against a real gigi-boot process (${paths.length})`, () => {
  it.each(paths.map((p) => ({ ...p, name: `${p.step} ${p.kind} ⇒ ${p.finalStatus}: ${p.description}` })))(
    '$name',
    async ({ step, kind, finalStatus }) => {
      const faultsDir = mkdtempSync(join(tmpdir(), 'gigi-model-faults-'));
      chmodSync(faultsDir, 0o777); // the simulator runs as gigi and keeps `times` counters here
      const faultsFile = join(faultsDir, 'faults.json');
      writeFileSync(faultsFile, JSON.stringify(FAULTS[step]!(kind)), { mode: 0o644 });
      const databaseUrl = await createTestDatabase(testServerUrl(), 'modelproc');
      const env = await bootEnv({
        databaseUrl,
        extra: {
          GITEA_SIM_FAULTS: faultsFile,
          GIGI_BOOT_STEP_ATTEMPTS: '2',
          CHROME_CDP_URL: 'http://chrome.example:9222',
        },
      });
      const result = await runCli(['run', '--no-handoff'], env);
      const printed = result.stdout + result.stderr;
      const rows = await journal(databaseUrl);
      const ofStep = rows.filter((r) => r.step === step);

      if (finalStatus === 'failed') {
        expect(result.code, printed).toBe(EXIT.failed);
        expect(printed).toContain(`boot failed at ${step}`);
        expect(ofStep.map((r) => r.outcome)).toEqual(['error']); // permanent: no retry
        // Nothing ran after the failed step.
        const failedAt = rows.findIndex((r) => r.step === step && r.outcome === 'error');
        expect(rows.slice(failedAt + 1).filter((r) => r.step !== 'buildRunnerWorker')).toEqual([]);
      } else {
        expect(result.code, printed).toBe(EXIT.ok);
        expect(ofStep.map((r) => r.outcome)).toEqual(['error', 'ok']); // retried once, then done
        const outcome = await readBootOutcome(env, databaseUrl);
        for (const key of REQUIRED_CONFIG_KEYS) expect(outcome.config[key], key).toMatch(/\S/);
        // No duplicates: one of each user, token name, org membership and webhook.
        expect(Object.values(outcome.state.users)).toEqual([true, true]);
        expect(outcome.state.gigiTokenNames).toEqual([...new Set(outcome.state.gigiTokenNames)]);
        expect(outcome.state.org).toBe(true);
        expect(outcome.state.gigiInOwners).toBe(true);
        expect(outcome.state.hooks.filter((h) => h.url === DEFAULT_WEBHOOK)).toHaveLength(1);
        // No secret the boot made or was given appears in what it printed.
        for (const [key, value] of Object.entries(outcome.config))
          if (/password|token|secret/.test(key) && value.length >= 8)
            expect(printed, key).not.toContain(value);
      }
    },
    240_000,
  );
});
