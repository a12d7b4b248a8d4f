// `node --import tsx test/bench/first-boot-only.ts`: only the first-boot figure of `npm run bench`
// (gigi-boot's first boot against the plain bootstrapper, interleaved), for working on the first
// boot without the minutes the other figures take. Same settings: BENCH_FIRST_BOOTS,
// BENCH_GITEA_DELAY_MS. Run it under the bench lock like the bench.
import { measureFirstBootPairs } from './first-boot.ts';
import { runPartialBench } from './partial-bench.ts';
import { ratio, summarise } from './stats.ts';

await runPartialBench(
  'first boot',
  async ({ settings, workspace, checkout, serverUrl, progress, commitNote }) => {
    const pairs = await measureFirstBootPairs(workspace, checkout.cli, serverUrl, settings, progress);
    const boot = summarise(pairs.map((p) => p.boot.wallMs));
    const plain = summarise(pairs.map((p) => p.plainWallMs));
    for (const [i, p] of pairs.entries())
      process.stdout.write(
        `run ${i + 1}: gigi-boot ${Math.round(p.boot.wallMs)} ms, plain ${Math.round(p.plainWallMs)} ms = ${ratio(p.boot.wallMs, p.plainWallMs).toFixed(2)}x; steps ${p.boot.steps.map((s) => `${s.step} ${s.durationMs}`).join(', ')}\n`,
      );
    process.stdout.write(
      `first boot (startupDelayMs ${settings.giteaDelayMs}, n ${boot.n}): median ${Math.round(boot.median)} ms / plain ${Math.round(plain.median)} ms = ${ratio(boot.median, plain.median).toFixed(2)}x (p95 ${ratio(boot.p95, plain.p95).toFixed(2)}x; ${commitNote})\n`,
    );
  },
);
