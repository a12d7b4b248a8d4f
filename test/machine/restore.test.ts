// validateRestore(): a checkpoint is resumed only if today's machine can restore it with a
// child for every invoke of its active states — decided through XState's public API (the
// state nodes of the snapshot's value, and its children), not its private fields.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, waitFor, type AnyActorLogic } from 'xstate';
import {
  BOOT_STEPS,
  bootMachine,
  type BootStep,
  type StepInput,
  type StepOutput,
} from '../../machines/boot.ts';
import { validateRestore } from '../../src/boot/run-boot.ts';

const input = { retry: { maxAttempts: 3, baseDelayMs: 60_000, maxDelayMs: 60_000 } };
const options = { input, logger: pino({ level: 'silent' }) };

/** A JSON round trip of the snapshot of a boot held in `held` (its actor never settles). */
async function persistedAt(held: BootStep, fail?: BootStep): Promise<Record<string, unknown>> {
  const actors = Object.fromEntries(
    BOOT_STEPS.map((step) => [
      step,
      fromPromise<StepOutput, StepInput>(async () => {
        if (step === held) return new Promise<StepOutput>(() => undefined);
        if (step === fail) throw Object.assign(new Error('not yet'), { transient: true });
        return step === 'detectModes'
          ? { modes: { gitea: 'internal', chrome: 'internal', docker: false } }
          : { outcome: 'done' };
      }),
    ]),
  ) as Record<BootStep, AnyActorLogic>;
  const actor = createActor(bootMachine.provide({ actors }), { input }).start();
  await waitFor(actor, (s) => JSON.stringify(s.value).includes(fail ? 'backoff' : held), { timeout: 5_000 });
  const persisted = JSON.parse(JSON.stringify(actor.getPersistedSnapshot())) as Record<string, unknown>;
  actor.stop();
  return persisted;
}

describe('validateRestore', () => {
  it('accepts a snapshot taken while a step ran, and one in a step’s backoff', async () => {
    const running = await persistedAt('createUsers');
    expect(validateRestore(running, options)).toBe(running);
    const backoff = await persistedAt('awaitApi', 'startGitea');
    expect(JSON.stringify(backoff.value)).toContain('backoff');
    expect(validateRestore(backoff, options)).toBe(backoff);
  });

  it('refuses one whose running step has no child (a renamed or dropped actor)', async () => {
    const persisted = await persistedAt('createUsers');
    const children = { ...(persisted.children as Record<string, unknown>) };
    delete children.createUsers;
    expect(validateRestore({ ...persisted, children }, options)).toBeUndefined();
  });

  it('refuses one naming a state this machine does not have', async () => {
    const persisted = await persistedAt('createUsers');
    const value = JSON.parse(
      JSON.stringify(persisted.value).replace('createUsers', 'createUsersV0'),
    ) as unknown;
    expect(validateRestore({ ...persisted, value }, options)).toBeUndefined();
  });
});
