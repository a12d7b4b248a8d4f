// The step order and the outcomes in machines/README.md and docs/architecture.md are generated
// (src/docs/steps-reference.ts): this keeps the checked-in lists current, and the outcome list
// (src/docs/step-outcomes.ts) true to the code — at compile time against the action types of
// what the steps return, at run time against the `step.done` lines of real boots.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { BOOT_STEPS, type BootStep } from '../../machines/boot.ts';
import type { RunnerImageResult } from '../../src/docker/runner-image.ts';
import type { AccountAction } from '../../src/gitea/accounts.ts';
import type { EnsureAppIniResult } from '../../src/gitea/app-ini.ts';
import type { ensureOrg, ensureOwner, ensureSystemWebhook, recreateToken } from '../../src/gitea/ensure.ts';
import type { StopAction } from '../../src/gitea/proc.ts';
import { readBlock } from '../../src/docs/blocks.ts';
import { OUTCOME_WORDS, STEP_OUTCOMES, outcomePattern } from '../../src/docs/step-outcomes.ts';
import { SCENARIOS, renderStepReference, stepOrder } from '../../src/docs/steps-reference.ts';
import { createGiteaUser, startSimulator } from '../gitea-sim/harness.ts';
import { REPO_ROOT, bootEnv, externalGiteaEnv, runCli } from '../support/boot-process.ts';
import { testServerUrl } from '../support/env.ts';
import { createTestDatabase, freePort } from '../support/postgres.ts';

type Word<K extends keyof typeof OUTCOME_WORDS> = (typeof OUTCOME_WORDS)[K][number];
type ActionOf<F extends (...args: never[]) => unknown> =
  Awaited<ReturnType<F>> extends { action: infer A } ? A : never;

/** The `step.done` log lines of a run: each step's outcome as the code reported it. */
function reportedOutcomes(stdout: string): { step: BootStep; outcome: string }[] {
  return stdout
    .split('\n')
    .filter((line) => line.includes('"event":"step.done"'))
    .map((line) => JSON.parse(line) as { step: BootStep; outcome: string });
}

function expectDocumented(reported: { step: BootStep; outcome: string }[]): void {
  for (const { step, outcome } of reported) {
    const forms = STEP_OUTCOMES[step];
    expect(
      forms.some((form) => outcomePattern(form).test(outcome)),
      `${step} reported "${outcome}", which src/docs/step-outcomes.ts does not list (${forms.join(', ')})`,
    ).toBe(true);
  }
}

describe('step order and outcomes in the docs', () => {
  it.each(['docs/architecture.md', 'machines/README.md'])(
    '%s holds exactly the generated list (regenerate: npx tsx src/docs/regenerate.ts)',
    (path) => {
      expect(readBlock(readFileSync(join(REPO_ROOT, path), 'utf8'), 'steps')).toBe(renderStepReference());
    },
  );

  it('reads the order from the machine: the runner-worker build runs beside the Gitea steps, not after persistConfig', () => {
    const [internal] = SCENARIOS;
    const order = stepOrder(internal!.guards);
    const parallel = order.find((item) => 'regions' in item);
    expect(parallel).toEqual({
      parallel: 'provision',
      regions: [
        {
          name: 'gitea',
          steps: [
            'writeAppIni',
            'startGitea',
            'awaitApi',
            'createUsers',
            'createTokens',
            'createOrg',
            'addOwner',
            'registerWebhook',
            'persistConfig',
            'stopGitea',
            'handOff',
          ],
        },
        { name: 'runner', steps: ['buildRunnerWorker'] },
      ],
    });
    const seen = new Set(
      SCENARIOS.flatMap((s) =>
        stepOrder(s.guards).flatMap((item) =>
          'step' in item ? [item.step] : item.regions.flatMap((r) => r.steps),
        ),
      ),
    );
    expect([...seen].sort()).toEqual([...BOOT_STEPS].sort());
  });

  it('lists the words the step functions are typed to return (tsc checks these)', () => {
    expectTypeOf<EnsureAppIniResult['action']>().toEqualTypeOf<Word<'appIni'>>();
    expectTypeOf<AccountAction>().toEqualTypeOf<Word<'account'>>();
    // createTokens keeps a stored token that still works: 'existed', else what recreateToken did.
    expectTypeOf<ActionOf<typeof recreateToken> | 'existed'>().toEqualTypeOf<Word<'token'>>();
    expectTypeOf<ActionOf<typeof ensureOrg>>().toEqualTypeOf<Word<'org'>>();
    expectTypeOf<ActionOf<typeof ensureOwner>>().toEqualTypeOf<Word<'owner'>>();
    expectTypeOf<ActionOf<typeof ensureSystemWebhook>>().toEqualTypeOf<Word<'webhook'>>();
    // buildRunnerWorker is skipped without Docker, else reports what ensureRunnerImage did.
    expectTypeOf<RunnerImageResult['action'] | 'skipped'>().toEqualTypeOf<Word<'runner'>>();
    expectTypeOf<StopAction>().toEqualTypeOf<Word<'stop'>>();
    expect(Object.keys(STEP_OUTCOMES).sort()).toEqual([...BOOT_STEPS].sort());
  });

  it('matches what real boots report: internal first boot, a replay after reset, an external Gitea', async () => {
    const reported: { step: BootStep; outcome: string }[] = [];

    const internalDb = await createTestDatabase(testServerUrl(), 'docsteps');
    const env = await bootEnv({ databaseUrl: internalDb, extra: { TELEGRAM_TOKEN: 'tg-1:docs' } });
    const first = await runCli(['run', '--no-handoff'], env);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    reported.push(...reportedOutcomes(first.stdout));
    const reset = await runCli(['reset', '--from', 'detectModes'], env);
    expect(reset.code, reset.stdout + reset.stderr).toBe(0);
    const replay = await runCli(['run', '--no-handoff'], env);
    expect(replay.code, replay.stdout + replay.stderr).toBe(0);
    const replayed = reportedOutcomes(replay.stdout);
    expect(replayed.find((r) => r.step === 'createOrg')?.outcome).toBe('existed');
    reported.push(...replayed);

    const gitea = await startSimulator({
      dir: mkdtempSync(join(tmpdir(), 'gigi-docs-external-')),
      port: await freePort(),
    });
    try {
      const adminPassword = await createGiteaUser(gitea.configPath, [
        '--username',
        'ops-admin',
        '--email',
        'ops@example.com',
        '--admin',
      ]);
      const external = await externalGiteaEnv({
        databaseUrl: await createTestDatabase(testServerUrl(), 'docsext'),
        giteaUrl: gitea.url,
        adminPassword,
        extra: { CHROME_CDP_URL: 'http://chrome:9222' },
      });
      const result = await runCli(['run', '--no-handoff'], external);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      reported.push(...reportedOutcomes(result.stdout));
    } finally {
      await gitea.stop();
    }

    expect([...new Set(reported.map((r) => r.step))].sort()).toEqual([...BOOT_STEPS].sort());
    expectDocumented(reported);
  });
});
