// Every place a boot step must appear, checked for every step of the machine, so that adding one
// (CONTRIBUTING.md, "Adding a step") fails here, by name, until it is in all of them. The
// compiler already asks for the step-module table row (src/boot/steps/index.ts) and the fault
// source in test/model/process-faults.ts; this test adds what it cannot see: the module's file
// name, the simulator routes its faults use, and the docs' list of steps.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BOOT_STEPS, type BootStep, type StepInput } from '../../machines/boot.ts';
import { STEP_MODULES } from '../../src/boot/steps/index.ts';
import { defineStep, processFault } from '../../src/boot/steps/step.ts';
import { ConfigError, isBootError, type GiteaApiError } from '../../src/errors.ts';
import { matchRoute } from '../gitea-sim/router.ts';
import { FAULT_SOURCE } from '../model/process-faults.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const kebab = (step: string) => step.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const input = (step: BootStep, gitea: 'internal' | 'external'): StepInput => ({
  step,
  attempt: 1,
  modes: { gitea, chrome: 'internal', docker: true },
});
/** A simulator route for a path below /api/v1 with its parameters (`{id}`) filled in. */
const simulated = (method: string, path: string) => matchRoute(method, path.replace(/\{[^}]+\}/g, '1')).kind;

describe.each(BOOT_STEPS.map((step) => ({ step })))('boot step $step', ({ step }) => {
  it(`has its module, src/boot/steps/${kebab(step)}.ts, exporting it by its name`, async () => {
    const module = (await import(`../../src/boot/steps/${kebab(step)}.ts`)) as Record<string, unknown>;
    expect(module[step]).toBe(STEP_MODULES[step]);
  });

  it('fails in a domain of its own, on a route the Gitea simulator serves when it is an API call', () => {
    for (const gitea of ['internal', 'external'] as const) {
      const fault = STEP_MODULES[step].fault('fault', { transient: true }, input(step, gitea));
      expect(isBootError(fault)).toBe(true);
      expect(fault.domain).not.toMatch(/^(config|internal)$/);
      expect(fault.transient).toBe(true);
      if (fault.domain !== 'gitea-api') continue;
      const { method, path } = fault as GiteaApiError;
      expect(simulated(method, path), `${method} ${path}`).toBe('found');
    }
  });

  it('has a fault source in test/model/process-faults.ts; a simulator one faults the call the step makes', () => {
    const source = FAULT_SOURCE[step];
    if (typeof source !== 'object') return expect(['byMode', 'failpoint']).toContain(source);
    const own = STEP_MODULES[step].fault('fault', {}, input(step, 'external')) as GiteaApiError;
    expect(own.domain).toBe('gitea-api');
    // A rule's path ending in * matches by prefix (test/gitea-sim/faults.ts).
    const { method, path } = source.sim;
    const call = `${own.method} /api/v1${own.path}`;
    if (path.endsWith('*')) expect(call.startsWith(`${method} ${path.slice(0, -1)}`), call).toBe(true);
    else expect(call).toBe(`${method} ${path}`);
  });

  it('is in the states list of machines/README.md', () => {
    expect(readFileSync(join(ROOT, 'machines', 'README.md'), 'utf8')).toContain(`\`${step}\``);
  });
});

describe('a step’s errors are its domain’s', () => {
  it('a ConfigError met mid-boot (same check as at load time) is raised as the step’s fault, same words', async () => {
    const step = defineStep<null>({
      fault: processFault,
      create: () => () =>
        Promise.reject(
          new ConfigError(['GIGI_BOOT_GITEA_USER: OS user "gitea" does not exist'], {
            hint: 'create the user',
          }),
        ),
    });
    const error = await step
      .create(null)(input('writeAppIni', 'internal'), new AbortController().signal)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'GiteaProcessError',
      domain: 'gitea-process',
      message: 'GIGI_BOOT_GITEA_USER: OS user "gitea" does not exist',
      hint: 'create the user',
      transient: false,
    });
    expect((error as Error).cause).toBeInstanceOf(ConfigError);
  });

  it('passes every other error through untouched', async () => {
    const original = new Error('boom');
    const step = defineStep<null>({ fault: processFault, create: () => () => Promise.reject(original) });
    await expect(
      step.create(null)(input('writeAppIni', 'internal'), new AbortController().signal),
    ).rejects.toBe(original);
  });
});
