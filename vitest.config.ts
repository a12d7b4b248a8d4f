import { defineConfig } from 'vitest/config';

// Integration tests start real processes (Postgres, the Gitea simulator, gigi-boot itself),
// so they get generous timeouts; files run in parallel on the machine's two cores.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The AIO container proof builds images (debootstrap, apt) for ~13 minutes on a cold machine:
    // it is its own job, `npm run test:aio`, to keep `npm test` well inside CI's 30 minutes.
    exclude: [
      '**/node_modules/**',
      ...(process.env.GIGI_TEST_AIO === '1' ? [] : ['test/aio/container.test.ts']),
    ],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    globalSetup: ['test/support/global-setup.ts'],
    reporters: ['default'],
    // Process-heavy suites (real Postgres, Gitea, gigi-boot processes) on a 2-core machine:
    // a few at a time finish sooner than all at once.
    maxConcurrency: 3,
  },
});
