// Model-based tests: every edge of the boot machine's graph (every state × every event it
// handles: each step's success, transient fault with retry, permanent fault, each mode) as a
// path from the machine itself, replayed against the real machine with a crash and a restore
// through real Postgres before every step. Prints the coverage line; fails below 100%.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootMachine } from '../../machines/boot.ts';
import { openStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/types.ts';
import { testServerUrl } from '../support/env.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { generateModelPaths, MODEL_RETRY, predictStatus } from './boot-graph.ts';
import { coverageReport, formatCoverage } from './coverage.ts';
import { replayPath } from './replay.ts';

const paths = generateModelPaths(bootMachine);
const seenStates = new Set<string>();
const seenTransitions = new Set<string>();
let pathsRun = 0;
let store: Store;

beforeAll(async () => {
  store = await openStore({
    databaseUrl: await createTestDatabase(testServerUrl(), 'model'),
    dataDir: '/nonexistent',
  });
  await store.migrate();
}, 60_000);

afterAll(async () => {
  await store?.close();
  const report = coverageReport(bootMachine, seenStates, seenTransitions, pathsRun);
  console.log(formatCoverage(report));
  // A state or transition no path reached (say, one added without a path) fails the suite.
  expect(report.states.missing, 'state nodes no path reached').toEqual([]);
  expect(report.transitions.missing, 'transitions no path took').toEqual([]);
  expect(pathsRun, 'every generated path ran').toBe(paths.length);
});

describe.concurrent(`boot machine graph: ${paths.length} paths, crash + restore before every step`, () => {
  it.each(paths.map((path, index) => ({ path, index, name: `#${index} ${path.description}` })))(
    '$name',
    async ({ path, index }) => {
      const events = path.steps.map((s) => s.event);
      const result = await replayPath(path, {
        store,
        retry: MODEL_RETRY,
        volumeId: `model-${index}-${Date.now()}`,
      });

      // Each step lands where the graph says, after a crash and restore.
      expect(result.values).toEqual(path.steps.map((s) => s.value));
      expect(result.badRestores).toEqual([]);
      // Invariants.
      expect(result.final.status).toBe('done');
      expect(result.output.status).toBe(path.finalStatus);
      expect(result.output.status).toBe(predictStatus(events, MODEL_RETRY));
      expect(result.startedAfterEnd, 'steps started after the boot ended').toEqual([]);
      for (const reason of result.output.degraded) expect(reason).toMatch(/^buildRunnerWorker: /);
      if (result.output.status === 'failed')
        expect(result.output.failure?.step).not.toBe('buildRunnerWorker');
      expect(result.maxAttempts).toBeLessThanOrEqual(MODEL_RETRY.maxAttempts);

      for (const s of result.stateNodes) seenStates.add(s);
      for (const t of result.transitions) seenTransitions.add(t);
      pathsRun++;
    },
    60_000,
  );
});
