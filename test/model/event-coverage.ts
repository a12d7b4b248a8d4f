// What a sequence of step events makes the real (pure) boot machine do: the state nodes it
// enters, the transitions it takes, how it ends. Used twice: to plan the process path set
// (what each generated path would cover) and to count what a real `gigi-boot run` process
// covered, from the events its journal recorded.
import { createActor, type AnyMachineSnapshot } from 'xstate';
import { bootMachine, type BootOutput, type RetryPolicy } from '../../machines/boot.ts';
import type { ModelEvent } from './boot-graph.ts';
import { transitionCollector } from './coverage.ts';
import { ScriptedActors } from '../support/scripted-actors.ts';

export interface EventCoverage {
  states: Set<string>;
  transitions: Set<string>;
  output: BootOutput;
  /** Events that arrived after the machine had ended (an attempt it had already abandoned). */
  afterEnd: ModelEvent[];
}

/** Let the scripted actors' promises settle and the machine take the events (microtasks only). */
async function tick(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** Drive the machine with these events (xstate.init excluded); throws on an event it cannot take. */
export async function coverageOfEvents(
  events: readonly ModelEvent[],
  retry: RetryPolicy,
): Promise<EventCoverage> {
  const states = new Set<string>();
  const { transitions, inspect } = transitionCollector();
  const observe = (snapshot: AnyMachineSnapshot) => {
    for (const node of snapshot._nodes) if (node.id !== bootMachine.id) states.add(node.id);
  };
  const scripted = new ScriptedActors();
  const actor = createActor(bootMachine.provide({ actors: scripted.logic() }), { input: { retry }, inspect });
  actor.start();
  await tick();
  observe(actor.getSnapshot());
  const afterEnd: ModelEvent[] = [];
  for (const event of events) {
    if (event.type === 'xstate.init') continue;
    if (actor.getSnapshot().status === 'done') {
      afterEnd.push(event);
      continue;
    }
    scripted.settle(event);
    await tick();
    observe(actor.getSnapshot());
  }
  const final = actor.getSnapshot();
  actor.stop();
  if (final.status !== 'done')
    throw new Error(`the events leave the machine unfinished at ${JSON.stringify(final.value)}`);
  return { states, transitions, output: final.output as BootOutput, afterEnd };
}
