// `node --import tsx test/bench/warm-only.ts`: only the warm-start and checkpoint figures of
// `npm run bench` (warm `gigi-boot run --no-handoff` on Postgres against `node -e 0`, and the
// checkpoint write p95 with fsync off and on), for working on them without the minutes the
// other figures take. Same settings: BENCH_ITERATIONS, BENCH_CHECKPOINTS, BENCH_SNAPSHOT_BYTES.
// Run it under the bench lock like the bench.
import { createTestDatabase } from '../support/postgres.ts';
import { measureCheckpoints, readCheckpointSample } from './checkpoint-latency.ts';
import { runPartialBench } from './partial-bench.ts';
import { ratio, summarise, type Summary } from './stats.ts';
import { initialiseVolume, measureWarmBoots } from './warm-boot.ts';

const ms = (value: number) => `${value.toFixed(value < 10 ? 2 : 1)} ms`;
const line = (name: string, s: Summary) =>
  `${name}: median ${ms(s.median)}, p95 ${ms(s.p95)} (n ${s.n}, min ${ms(s.min)}, max ${ms(s.max)})`;

await runPartialBench('warm', async ({ settings, workspace, checkout, serverUrl, progress, commitNote }) => {
  const volume = await initialiseVolume(
    workspace,
    checkout.cli,
    'warm boot (Postgres)',
    await createTestDatabase(serverUrl, 'bench_warm'),
  );
  progress(`timing ${settings.warmIterations} warm boots on Postgres`);
  const warm = await measureWarmBoots(volume, settings.warmIterations);
  const boot = summarise(warm.bootMs);
  const node = summarise(warm.baselineMs);
  process.stdout.write(
    `${line('warm boot (Postgres)', boot)}\n${line('node -e 0', node)}\n` +
      `warm / node -e 0: median ${ratio(boot.median, node.median).toFixed(2)}x, p95 ${ratio(boot.p95, node.p95).toFixed(2)}x (${commitNote})\n`,
  );
  const sample = await readCheckpointSample(
    volume.env.DATABASE_URL!,
    volume.env.GIGI_DATA_DIR!,
    settings.snapshotBytes,
  );
  for (const fsync of [false, true]) {
    progress(`timing ${settings.checkpoints} checkpoint writes, fsync ${fsync ? 'on' : 'off'}`);
    const url = fsync ? await workspace.startCluster({ fsync: true, maxConnections: 100 }) : serverUrl;
    const samples = await measureCheckpoints(
      await createTestDatabase(url, 'bench_checkpoint'),
      sample,
      settings.checkpoints,
    );
    process.stdout.write(
      `${line(`checkpoint write, fsync ${fsync ? 'on ' : 'off'} (${sample.writtenSnapshotBytes} B snapshot + 1 journal row)`, summarise(samples.checkpointMs))}; SELECT 1 median ${ms(summarise(samples.selectMs).median)}\n`,
    );
  }
});
