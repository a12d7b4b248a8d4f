// Test files in vitest's usual order (unknown first, then slowest first), except the AIO
// container, workflow, swarm and upgrade suites, which go last: on a fresh CI machine they wait for the images
// that `.ci/run` started building in the background, and the other suites run meanwhile.
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const LAST = /\/test\/aio\/(container|workflow|swarm|upgrade)\.test\.ts$/;

export class ContainerSuiteLast extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    return [...sorted.filter((f) => !LAST.test(f.moduleId)), ...sorted.filter((f) => LAST.test(f.moduleId))];
  }
}
