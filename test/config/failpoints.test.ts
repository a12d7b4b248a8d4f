// GIGI_BOOT_FAILPOINTS: parsed into per-step terms, applied attempt by attempt, and every
// malformed value rejected with the setting's name and the expected syntax.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { BOOT_STEPS, type BootStep, type StepInput } from '../../machines/boot.ts';
import { withFailpoints } from '../../src/boot/failpoints.ts';
import type { StepImplementations } from '../../src/boot/run-boot.ts';
import { failpointActionAt, parseFailpoints } from '../../src/config/failpoints.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { ConfigError, isBootError } from '../../src/errors.ts';
import type { Store } from '../../src/store/types.ts';

describe('GIGI_BOOT_FAILPOINTS', () => {
  it('parses steps, terms and counts', async () => {
    const { config, warnings } = await loadConfig({
      GIGI_BOOT_FAILPOINTS: 'persistConfig=transient*1,handOff=permanent,createOrg=off*2->crash*1',
    });
    expect(config.failpoints).toEqual({
      persistConfig: [{ action: 'transient', times: 1 }],
      handOff: [{ action: 'permanent', times: undefined }],
      createOrg: [
        { action: 'off', times: 2 },
        { action: 'crash', times: 1 },
      ],
    });
    expect(warnings).toContain(
      'GIGI_BOOT_FAILPOINTS is set: persistConfig, handOff, createOrg will fail or crash on purpose (tests and ops drills only; unset it in production)',
    );
  });

  it('is empty, and silent, when unset', async () => {
    const { config, warnings } = await loadConfig({});
    expect(config.failpoints).toEqual({});
    expect(warnings.join('\n')).not.toContain('FAILPOINTS');
  });

  it('applies the terms attempt by attempt, then runs the step normally', () => {
    const terms = parseFailpoints('createOrg=transient*2->crash*1');
    if (typeof terms === 'string') throw new Error(terms);
    const actions = [0, 1, 2, 3, 4].map((call) => failpointActionAt(terms.createOrg!, call));
    expect(actions).toEqual(['transient', 'transient', 'crash', 'off', 'off']);
    const forever = parseFailpoints('handOff=off*1->permanent');
    if (typeof forever === 'string') throw new Error(forever);
    expect([0, 1, 7].map((call) => failpointActionAt(forever.handOff!, call))).toEqual([
      'off',
      'permanent',
      'permanent',
    ]);
  });

  it.each([
    ['createOrgs=transient', '"createOrgs=transient" does not start with a boot step and "="'],
    ['createOrg', '"createOrg" does not start with a boot step and "="'],
    ['createOrg=explode', 'createOrg: unknown term "explode"'],
    ['createOrg=transient*0', 'createOrg: term "transient*0": N must be 1-1000'],
    ['createOrg=transient->crash', 'only the last term may omit *N'],
    ['createOrg=crash,createOrg=off', 'createOrg is armed twice'],
    ['createOrg=transient, handOff=crash', '" handOff=crash" does not start with a boot step'],
  ])('rejects %j, naming the setting and the syntax', async (value, problem) => {
    const error = await loadConfig({ GIGI_BOOT_FAILPOINTS: value }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues;
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(
      /^GIGI_BOOT_FAILPOINTS: expected STEP=TERM\[->TERM…\] entries separated by commas/,
    );
    expect(issues[0]).toContain('TERM one of off, transient, permanent, crash');
    expect(issues[0]).toContain(problem);
  });
});

describe('withFailpoints (the composition root wraps armed steps)', () => {
  const ok = (outcome: string) => () => Promise.resolve({ outcome });
  const steps = Object.fromEntries(
    BOOT_STEPS.map((s) => [s, ok(`${s} done`)]),
  ) as unknown as StepImplementations;
  const logger = pino({ level: 'silent' });
  const wrap = (value: string) => {
    const failpoints = parseFailpoints(value);
    if (typeof failpoints === 'string') throw new Error(failpoints);
    return withFailpoints(steps, { failpoints, dataDir: '/nonexistent', store: {} as Store, logger });
  };
  const input = (step: BootStep, gitea: 'internal' | 'external' = 'internal'): StepInput => ({
    step,
    attempt: 1,
    modes: { gitea, chrome: 'external', docker: false },
  });
  const signal = new AbortController().signal;

  it('raises the step’s own kind of error, transient as asked, then lets the step run', async () => {
    const wrapped = wrap(
      'createOrg=transient*1,persistConfig=permanent*1,buildRunnerWorker=off*1->transient',
    );
    const first = await wrapped.createOrg(input('createOrg'), signal).catch((e: unknown) => e);
    expect(isBootError(first)).toBe(true);
    expect(first).toMatchObject({ name: 'GiteaApiError', domain: 'gitea-api', transient: true, status: 503 });
    expect(await wrapped.createOrg(input('createOrg'), signal)).toEqual({ outcome: 'createOrg done' });

    const store = await wrapped.persistConfig(input('persistConfig'), signal).catch((e: unknown) => e);
    expect(store).toMatchObject({ name: 'StoreError', transient: false });
    expect((store as Error).message).toContain('failpoint persistConfig=permanent (GIGI_BOOT_FAILPOINTS)');

    expect(await wrapped.buildRunnerWorker(input('buildRunnerWorker'), signal)).toEqual({
      outcome: 'buildRunnerWorker done',
    });
    const docker = await wrapped
      .buildRunnerWorker(input('buildRunnerWorker'), signal)
      .catch((e: unknown) => e);
    expect(docker).toMatchObject({ name: 'DockerError', reason: 'build-failed', transient: true });
  });

  it('follows the mode where a step’s domain depends on it, and leaves unarmed steps alone', async () => {
    const wrapped = wrap('createUsers=permanent');
    await expect(wrapped.createUsers(input('createUsers'), signal)).rejects.toMatchObject({
      name: 'GiteaProcessError',
    });
    await expect(wrapped.createUsers(input('createUsers', 'external'), signal)).rejects.toMatchObject({
      name: 'GiteaApiError',
      status: 422,
    });
    expect(wrapped.handOff).toBe(steps.handOff);
  });
});
