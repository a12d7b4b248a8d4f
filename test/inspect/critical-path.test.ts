// The critical path from journal timings alone (pure): the chain follows the machine's regions,
// so a step of the other region that happened to finish just before is not taken for a cause.
import { describe, expect, it } from 'vitest';
import { criticalPath } from '../../src/inspect/critical-path.ts';
import type { StepSummary } from '../../src/inspect/gather.ts';

const T0 = Date.parse('2026-12-07T10:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
function step(name: string, start: number, end: number, attempts = 1): StepSummary {
  return {
    step: name,
    attempts,
    firstStartedAt: at(start),
    lastFinishedAt: at(end),
    durationMs: end - start,
    outcome: 'ok',
    lastError: null,
  };
}

const top = [step('detectModes', 0, 100), step('prepareSecrets', 100, 200)];
const gitea = (end: number) => [
  step('writeAppIni', 200, 300),
  step('startGitea', 300, 1_000),
  step('awaitApi', 1_000, 2_000),
  step('createUsers', 2_000, 3_000),
  step('createTokens', 3_000, 3_500),
  step('createOrg', 3_500, 4_000),
  step('addOwner', 4_000, 4_200),
  step('registerWebhook', 4_200, 4_400),
  step('persistConfig', 4_400, 4_500),
  step('stopGitea', 4_500, end - 100),
  step('handOff', end - 100, end),
];

describe('criticalPath', () => {
  it('a build that outlasts the Gitea region: detectModes → prepareSecrets → buildRunnerWorker', () => {
    const steps = [...top, ...gitea(5_000), step('buildRunnerWorker', 200, 9_000)];
    expect(criticalPath(steps, at(0)).map((l) => l.step)).toEqual([
      'detectModes',
      'prepareSecrets',
      'buildRunnerWorker',
    ]);
  });

  it('a Gitea region that outlasts the build: the whole region, the build left out even when it ends in a gap', () => {
    // The build ends between stopGitea's finish and handOff's start: not handOff's cause.
    const steps = [...top, ...gitea(5_000), step('buildRunnerWorker', 200, 4_920)];
    steps.find((s) => s.step === 'handOff')!.firstStartedAt = at(4_950);
    const chain = criticalPath(steps, at(0));
    // Every step of the Gitea region, in order, after the two top-level steps.
    expect(chain.map((l) => l.step)).toEqual([...top, ...gitea(5_000)].map((s) => s.step));
    expect(chain.find((l) => l.step === 'awaitApi')).toMatchObject({ atMs: 1_000, spanMs: 1_000 });
  });

  it('no steps: an empty chain', () => {
    expect(criticalPath([], at(0))).toEqual([]);
  });
});
