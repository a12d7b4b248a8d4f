import { defineConfig } from 'vitest/config';
import { ContainerSuiteLast } from './test/support/sequencer.ts';

// Integration tests start real processes (Postgres, the Gitea simulator, gigi-boot itself),
// so they get generous timeouts. Files run one at a time on a 2-core machine (vitest's default
// is cores - 1 workers); inside a file, `describe.concurrent` suites run up to maxConcurrency.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    globalSetup: ['test/support/global-setup.ts'],
    reporters: ['default'],
    // The AIO container suite last: on a cold machine its images build in the background
    // (`.ci/run` starts test/support/aio-images.sh --background) while the other suites run.
    sequence: { sequencer: ContainerSuiteLast },
    // Process-heavy suites (real Postgres, Gitea, gigi-boot processes) on a 2-core machine:
    // a few at a time finish sooner than all at once.
    maxConcurrency: 3,
  },
});
