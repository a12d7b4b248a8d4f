// The coverage check itself: it must see a state or transition no path reached, and the path
// generator must refuse an event it cannot script, so a change to the machine cannot slip by.
import { describe, expect, it } from 'vitest';
import { createMachine } from 'xstate';
import { BOOT_STEPS, bootMachine } from '../../machines/boot.ts';
import { generateModelPaths } from './boot-graph.ts';
import { allStateNodeIds, allTransitionKeys, coverageReport, formatCoverage } from './coverage.ts';

describe('model coverage', () => {
  it('counts every state node and every transition, invoke and parallel onDone included', () => {
    const states = allStateNodeIds(bootMachine);
    expect(states).toContain('boot.provision.runner.buildRunnerWorker.backoff');
    expect(states).not.toContain('boot');
    const transitions = allTransitionKeys(bootMachine);
    expect(transitions).toContain('boot.provision --xstate.done.state.boot.provision#0');
    expect(transitions).toContain('boot.provision.gitea.createOrg.run --xstate.error.actor.createOrg#1');
    expect(transitions).toContain(
      'boot.provision.runner.buildRunnerWorker.backoff --xstate.done.actor.buildRunnerWorker.backoff#0',
    );
    expect(new Set(transitions).size).toBe(transitions.length);
  });

  it('counts `always` transitions and reports what nothing reached', () => {
    const machine = createMachine({
      id: 'm',
      initial: 'a',
      states: {
        a: { always: [{ guard: () => false, target: 'b' }, { target: 'c' }] },
        b: {},
        c: { on: { GO: 'b' } },
      },
    });
    expect(allTransitionKeys(machine)).toEqual(['m.a --always#0', 'm.a --always#1', 'm.c --GO#0']);
    const report = coverageReport(machine, new Set(['m.a', 'm.c']), new Set(['m.a --always#1']), 1);
    expect(report.states.missing).toEqual(['m.b']);
    expect(report.transitions.missing).toEqual(['m.a --always#0', 'm.c --GO#0']);
    expect(formatCoverage(report)).toBe(
      'model coverage: states 2/3 (66.6%), transitions 1/3 (33.3%), paths 1',
    );
  });

  it('refuses to generate paths for an event it has no payload for', () => {
    const machine = createMachine({ id: 'boot', initial: 'a', states: { a: { on: { REBOOT: 'a' } } } });
    expect(() => generateModelPaths(machine)).toThrow(/cannot script event "REBOOT"/);
  });

  it('gives every step its success, a transient and a permanent fault', () => {
    const paths = generateModelPaths(bootMachine);
    const types = new Set(paths.flatMap((p) => p.steps.map((s) => JSON.stringify(s.event))));
    expect([...types].filter((t) => t.includes('"transient":true')).length).toBe(BOOT_STEPS.length);
    expect([...types].filter((t) => t.includes('"transient":false')).length).toBe(BOOT_STEPS.length);
    expect([...types].filter((t) => t.includes('"modes"')).length).toBe(6);
  });
});
