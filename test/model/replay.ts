// Strategy B of ../shared/notes/xstate-v5.md §3.5: replay a generated path against the real
// machine with scripted step actors, crashing and restoring before every step — the persisted
// snapshot goes through JSON and a real checkpoint row in Postgres (saveCheckpoint, then
// latestRun) before a new actor is built from it.
import { createActor, type AnyMachineSnapshot, type Snapshot } from 'xstate';
import { bootMachine, type BootOutput, type BootStep, type RetryPolicy } from '../../machines/boot.ts';
import type { Store } from '../../src/store/types.ts';
import { ScriptedActors } from '../support/scripted-actors.ts';
import type { ModelPath } from './boot-graph.ts';
import { transitionCollector } from './coverage.ts';

/** What a replay saw, for the invariants and the coverage count. */
export interface ReplayResult {
  /** Value after each step, aligned with path.steps. */
  values: unknown[];
  final: AnyMachineSnapshot;
  output: BootOutput;
  /** Highest attempt count of any step in any snapshot. */
  maxAttempts: number;
  /** Actors started once the boot had reached `failed` or `done` (must be none). */
  startedAfterEnd: string[];
  /** Restores whose started actors differed from the restored snapshot's children. */
  badRestores: string[];
  stateNodes: Set<string>;
  transitions: Set<string>;
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface ReplayContext {
  store: Store;
  retry: RetryPolicy;
  volumeId: string;
}

/** Replay `path`, crashing and restoring through the store before each step. */
export async function replayPath(
  path: ModelPath,
  { store, retry, volumeId }: ReplayContext,
): Promise<ReplayResult> {
  const input = { retry };
  const run = await store.startRun({
    volumeId,
    machineId: bootMachine.id,
    machineVersion: bootMachine.version ?? '0',
    fingerprint: 'model-based-test',
  });
  const stateNodes = new Set<string>();
  const { transitions, inspect } = transitionCollector();
  const result: Omit<ReplayResult, 'final' | 'output'> = {
    values: [],
    maxAttempts: 0,
    startedAfterEnd: [],
    badRestores: [],
    stateNodes,
    transitions,
  };
  const observe = (snapshot: AnyMachineSnapshot) => {
    for (const node of snapshot._nodes) if (node.id !== bootMachine.id) stateNodes.add(node.id);
    const attempts = (snapshot.context as { attempts: Partial<Record<BootStep, number>> }).attempts;
    result.maxAttempts = Math.max(result.maxAttempts, 0, ...Object.values(attempts).map((n) => n ?? 0));
  };

  const scripted = new ScriptedActors();
  const machine = bootMachine.provide({ actors: scripted.logic() });
  let actor = createActor(machine, { input, inspect });
  actor.start();
  await tick();
  observe(actor.getSnapshot());
  result.values.push(actor.getSnapshot().value);
  let ended = false;

  const crashAndRestore = async () => {
    const persisted = JSON.parse(JSON.stringify(actor.getPersistedSnapshot())) as unknown;
    const value = actor.getSnapshot().value;
    await store.saveCheckpoint({
      runId: run.runId,
      status: 'running',
      stateValue: value,
      snapshot: persisted,
      journal: [],
    });
    actor.stop();
    const latest = await store.latestRun(volumeId);
    if (!latest || latest.runId !== run.runId)
      throw new Error(`latestRun(${volumeId}) did not return the run just saved`);
    scripted.reset();
    actor = createActor(machine, {
      snapshot: latest.snapshot as Snapshot<unknown>,
      input,
      inspect,
    });
    actor.start();
    await tick();
    // A restore re-runs exactly the steps (and backoff timers) that were in flight.
    const children = Object.keys(actor.getSnapshot().children).sort();
    const started = [...scripted.started].sort();
    if (JSON.stringify(children) !== JSON.stringify(started))
      result.badRestores.push(
        `at ${JSON.stringify(value)}: children ${children.join(',')} but started ${started.join(',')}`,
      );
    if (ended) result.startedAfterEnd.push(...scripted.started);
  };

  for (const step of path.steps.slice(1)) {
    await crashAndRestore();
    scripted.settle(step.event);
    await tick();
    const snapshot = actor.getSnapshot();
    observe(snapshot);
    result.values.push(snapshot.value);
    if (snapshot.status === 'done') ended = true;
  }
  // One more crash after the end: resuming a finished boot must start nothing.
  await crashAndRestore();
  const final = actor.getSnapshot();
  actor.stop();
  return { ...result, final, output: final.output as BootOutput };
}
