// The temporary Gitea as a whole boot sees it, with real processes: a port someone else holds
// fails the boot at once naming the holder and sends that process nothing (no credential ever
// leaves for a Gitea gigi-boot did not start); a Gitea that dies at start has the end of its log
// printed by the boot and shown by `inspect`.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startSimulator } from '../gitea-sim/harness.ts';
import { bootEnv, processesUsing, runCli } from '../support/boot-process.ts';
import { testServerUrl } from '../support/env.ts';
import { createTestDatabase } from '../support/postgres.ts';

const DIES_AT_START = join(import.meta.dirname, 'fixtures', 'gitea-dies-at-start.sh');

describe('the temporary Gitea of a boot', () => {
  it('another Gitea on GITEA_HTTP_PORT: the boot fails at startGitea naming it, and creates nothing there', async () => {
    const env = await bootEnv({ databaseUrl: await createTestDatabase(testServerUrl(), 'clash') });
    const port = Number(env.GITEA_HTTP_PORT);
    const stranger = await startSimulator({ dir: join(env.GIGI_DATA_DIR!, '..', `stranger-${port}`), port });
    onTestFinished(async () => {
      await stranger.stop();
    });
    const result = await runCli(['run', '--no-handoff'], env);
    expect(result.code, result.stdout + result.stderr).toBe(1);
    const output = result.stdout + result.stderr;
    expect(output).toContain(`Gitea's HTTP port 127.0.0.1:${port} is already taken`);
    expect(output).toContain(`pid ${stranger.pid}`);
    expect(output).toContain(stranger.configPath);
    expect(output).toContain('GITEA_HTTP_PORT');
    // The stranger is untouched: still running, no account, token, org or hook made on it.
    expect(stranger.child.exitCode).toBeNull();
    const state = stranger.readState();
    expect([state.users, state.tokens, state.hooks]).toEqual([[], [], []]);
    expect(processesUsing(env.GIGI_DATA_DIR!)).toEqual([]);
  });

  it('whatever holds the port gets no request at all, so no credential', async () => {
    const env = await bootEnv({ databaseUrl: await createTestDatabase(testServerUrl(), 'squat') });
    const port = Number(env.GITEA_HTTP_PORT);
    // Answers like a Gitea would, and writes down every request it gets.
    const seen: IncomingHttpHeaders[] = [];
    const squatter = createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ version: '1.24.7' }));
    });
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => squatter.close(() => resolve())));
    const result = await runCli(['run', '--no-handoff'], env);
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.stdout + result.stderr).toContain(`pid ${process.pid}`);
    expect(seen).toEqual([]);
  });

  it("a Gitea that dies at start: the boot prints its log's last lines and inspect shows them", async () => {
    const databaseUrl = await createTestDatabase(testServerUrl(), 'dies');
    const env = await bootEnv({ databaseUrl, extra: { GITEA_BIN: DIES_AT_START } });
    const result = await runCli(['run', '--no-handoff'], env);
    expect(result.code, result.stdout + result.stderr).toBe(1);
    const fatal = 'ORM engine initialization failed: disk I/O error (fixture)';
    expect(result.stdout + result.stderr).toContain(fatal);
    expect(result.stdout + result.stderr).not.toContain('Read the log above');

    const inspect = await runCli(['inspect'], env);
    expect(inspect.code).toBe(1);
    expect(inspect.stdout).toMatch(
      /Last error: startGitea: the temporary Gitea \(pid \d+\) exited \(exit code 1\)/,
    );
    expect(inspect.stdout).toContain('Output tail:');
    expect(inspect.stdout).toContain(
      `  2026/12/07 19:00:00 routers/common/db.go:30:InitDBEngine() [F] ${fatal}`,
    );
    const json = JSON.parse((await runCli(['inspect', '--json'], env)).stdout) as {
      journal: { step: string; outcome: string; detail: { outputTail?: string[] } | null }[];
    };
    const row = json.journal.findLast((r) => r.step === 'startGitea' && r.outcome === 'error');
    expect(row?.detail?.outputTail?.at(-1)).toContain(fatal);
  });
});
