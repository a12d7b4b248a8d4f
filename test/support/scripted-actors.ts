// The one fake of the boot's actors: every step and the backoff timer become promise actors that
// answer as the test says. The machine tests answer at once (`answer`); the model replay leaves
// them in flight and settles each by hand with the event its generated path names.
import { fromPromise, type AnyActorLogic } from 'xstate';
import { BOOT_STEPS, type StepOutput } from '../../machines/boot.ts';
import type { ModelEvent, StepFault } from '../model/boot-graph.ts';

interface Pending {
  resolve: (output: StepOutput | undefined) => void;
  reject: (error: unknown) => void;
}

/**
 * What an actor started under `id` (a step, or `<step>.backoff`) answers with `input`: a promise
 * to settle it with, or undefined to leave it in flight for `settle()`.
 */
export type Answer = (id: string, input: unknown) => Promise<StepOutput | undefined> | undefined;

/** Promise actors the test settles, keyed by invoke id (a step, or `<step>.backoff`). */
export class ScriptedActors {
  readonly pending = new Map<string, Pending>();
  started: string[] = [];

  constructor(private readonly answer: Answer = () => undefined) {}

  /** A crash: nothing is in flight any more. */
  reset(): void {
    this.pending.clear();
    this.started = [];
  }

  /** Why: `bootMachine.provide({ actors })` takes these in place of every real actor. */
  logic(): Record<string, AnyActorLogic> {
    const scripted = fromPromise<StepOutput | undefined, unknown>(({ self, input }) => {
      this.started.push(self.id);
      return (
        this.answer(self.id, input) ??
        new Promise((resolve, reject) => this.pending.set(self.id, { resolve, reject }))
      );
    });
    return Object.fromEntries([...BOOT_STEPS.map((s) => [s, scripted]), ['sleepUntil', scripted]]);
  }

  /** Why: a generated path's done/error event, delivered the way the real actor would end. */
  settle(event: ModelEvent): void {
    const [kind, id] = event.type.startsWith('xstate.done.actor.')
      ? ['done', event.type.slice('xstate.done.actor.'.length)]
      : ['error', event.type.slice('xstate.error.actor.'.length)];
    const pending = this.pending.get(id);
    if (!pending)
      throw new Error(`actor "${id}" is not in flight; in flight: ${[...this.pending.keys()].join(', ')}`);
    this.pending.delete(id);
    if (kind === 'done') pending.resolve((event as { output?: StepOutput }).output);
    else {
      const fault = (event as { error: StepFault }).error;
      pending.reject(Object.assign(new Error(fault.message), { transient: fault.transient }));
    }
  }
}
