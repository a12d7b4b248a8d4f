// Postgres starting beside the container: the boot waits for it (GIGI_BOOT_DATABASE_TIMEOUT)
// instead of failing on the first refused connection.
import { createServer, connect, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { bootEnv, runCli } from '../support/boot-process.ts';
import { testServerUrl } from '../support/env.ts';
import { createTestDatabase, freePort } from '../support/postgres.ts';

/** A TCP relay to the real test server that starts listening only after `delayMs`. */
function lateRelay(port: number, target: URL, delayMs: number): Promise<Server> {
  const server = createServer((socket) => {
    const upstream = connect(Number(target.port), target.hostname);
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  return new Promise((resolve) =>
    setTimeout(() => server.listen(port, '127.0.0.1', () => resolve(server)), delayMs),
  );
}

describe('a database that comes up after the container', () => {
  it('waits for it, then boots', async () => {
    const real = new URL(await createTestDatabase(testServerUrl(), 'late'));
    const port = await freePort();
    const late = new URL(real);
    late.port = String(port);
    const env = await bootEnv({ databaseUrl: late.toString(), extra: { GIGI_BOOT_DATABASE_TIMEOUT: '30s' } });
    const relay = lateRelay(port, real, 2_000);
    try {
      const result = await runCli(['run', '--no-handoff'], env);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toMatch(/"event":"store.wait"/);
      expect(result.stdout).toMatch(/"event":"boot.completed"/);
    } finally {
      (await relay).close();
    }
  }, 120_000);
});
