// Everything the bench starts or creates — the throwaway Postgres cluster, volumes, temp
// dirs, Docker images — registered in one place so it is removed on every exit path, including Ctrl-C.
import { rmSync } from 'node:fs';
import { startTestCluster, type TestCluster, type TestClusterOptions } from '../support/postgres.ts';

export class Workspace {
  private readonly clusters: TestCluster[] = [];
  private readonly dirs = new Set<string>();
  private readonly cleanups: Array<{ what: string; run: () => Promise<void> }> = [];
  private closing: Promise<void> | undefined;
  /** Leave the tracked directories in place (BENCH_KEEP=1); the cluster is stopped regardless. */
  keepDirs = false;

  /** Why: a throwaway cluster (fsync off unless asked), stopped by close(). */
  async startCluster(options: TestClusterOptions = {}): Promise<string> {
    const cluster = await startTestCluster(options);
    this.clusters.push(cluster);
    return cluster.url;
  }

  /** Remove this directory when the bench ends. */
  track(dir: string | undefined): void {
    if (dir) this.dirs.add(dir);
  }

  /** Run this when the bench ends, before the cluster stops (e.g. remove the Docker images it built). */
  defer(what: string, run: () => Promise<void>): void {
    this.cleanups.push({ what, run });
  }

  /** Why: idempotent, safe to call from a signal handler and from `finally` alike. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const cleanup of this.cleanups.splice(0).reverse()) {
        try {
          await cleanup.run();
        } catch (error) {
          process.stderr.write(`[bench] could not ${cleanup.what}: ${String(error)}\n`);
        }
      }
      if (this.keepDirs) {
        if (this.dirs.size > 0) process.stderr.write(`[bench] kept ${[...this.dirs].join(' ')}\n`);
      } else {
        for (const dir of this.dirs) rmSync(dir, { recursive: true, force: true });
      }
      for (const cluster of this.clusters.splice(0)) await cluster.stop();
    })();
    return this.closing;
  }
}
