// The operator's tools through the real CLI (real Postgres, real boots of the Gitea simulator):
// read-only commands on a missing and an empty data dir create nothing; `reset --reason` kept
// in the journal and shown by `inspect --history`; a boot held in a retry (a transient fault
// from GIGI_BOOT_FAILPOINTS, a long back-off): its live retry state in `inspect`, `--json` and
// `--follow`, and `--follow --timeout` ending with its own exit code; the critical path of a
// boot whose Gitea region outlasts the (absent) image build ends with the hand-off.
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS } from '../../src/boot/config-keys.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { bootEnv, runCli, startCli } from '../support/boot-process.ts';
import { testServerUrl } from '../support/env.ts';
import { createTestDatabase, queryRows } from '../support/postgres.ts';
import { documentedFields, listTree } from '../support/listings.ts';

async function publicTables(databaseUrl: string): Promise<string[]> {
  const rows = await queryRows<{ t: string }>(
    databaseUrl,
    "select tablename as t from pg_tables where schemaname = 'public' order by 1",
  );
  return rows.map((r) => r.t);
}

async function configValue(databaseUrl: string, key: string): Promise<string> {
  const rows = await queryRows<{ value: string }>(databaseUrl, 'select value from config where key = $1', [
    key,
  ]);
  return rows[0]!.value;
}

const READ_ONLY_COMMANDS = [
  ['inspect'],
  ['inspect', '--json'],
  ['inspect', '--blame'],
  ['inspect', '--critical-path'],
  ['inspect', '--history'],
  ['inspect', '--history', '--json'],
  ['visualize'],
];

describe('read-only commands create nothing', { timeout: 120_000 }, () => {
  for (const store of ['pglite', 'postgres'] as const) {
    it(`a missing GIGI_DATA_DIR (${store}): said so, exit 5 (inspect) / the machine drawn (visualize), the tree unchanged`, async () => {
      const databaseUrl = store === 'postgres' ? await createTestDatabase(testServerUrl(), 'ro') : undefined;
      const env = await bootEnv({ databaseUrl });
      const parent = env.GIGI_DATA_DIR!;
      env.GIGI_DATA_DIR = join(parent, 'mistyped');
      const before = listTree(parent);
      for (const args of READ_ONLY_COMMANDS) {
        const result = await runCli(args, env);
        expect(result.stderr, args.join(' ')).toContain(`GIGI_DATA_DIR ${env.GIGI_DATA_DIR} does not exist`);
        if (args[0] === 'visualize') {
          expect(result.code, result.stderr).toBe(EXIT.ok);
          expect(result.stdout).toContain('no boot recorded');
          expect(result.stdout).toContain('<svg');
        } else {
          expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(EXIT.noBoot);
        }
      }
      const out = join(mkdtempSync(join(tmpdir(), 'gigi-viz-out-')), 'machine.html');
      expect((await runCli(['visualize', '--out', out], env)).code).toBe(EXIT.ok);
      expect(readFileSync(out, 'utf8')).toContain('id="timeline-empty"');
      expect(existsSync(env.GIGI_DATA_DIR)).toBe(false);
      expect(listTree(parent)).toEqual(before);
      if (databaseUrl) {
        // --follow waits for a first boot, bounded, saying the directory is not there.
        const follow = await runCli(['inspect', '--follow', '--timeout', '1s'], env);
        expect(follow.code, follow.stderr).toBe(EXIT.followTimeout);
        expect(follow.stderr).toContain(`GIGI_DATA_DIR ${env.GIGI_DATA_DIR} does not exist (yet)`);
        expect(existsSync(env.GIGI_DATA_DIR)).toBe(false);
        expect(listTree(parent)).toEqual(before);
        expect(await publicTables(databaseUrl)).toEqual([]);
      }
    });

    it(`an empty data dir (${store}): never booted, nothing created in it or in the database`, async () => {
      const databaseUrl = store === 'postgres' ? await createTestDatabase(testServerUrl(), 'ro') : undefined;
      const env = await bootEnv({ databaseUrl });
      mkdirSync(join(env.GIGI_DATA_DIR!, 'unrelated'));
      const before = listTree(env.GIGI_DATA_DIR!);
      for (const args of READ_ONLY_COMMANDS) {
        const result = await runCli(args, env);
        expect(result.stderr, args.join(' ')).not.toContain('does not exist');
        expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(
          args[0] === 'visualize' ? EXIT.ok : EXIT.noBoot,
        );
        if (args[0] === 'visualize') expect(result.stdout).toContain('no boot recorded');
      }
      const json = JSON.parse((await runCli(['inspect', '--json'], env)).stdout) as {
        run: unknown;
        criticalPath: unknown[];
        retrying: unknown[];
      };
      expect(json).toMatchObject({ run: null, criticalPath: [], retrying: [] });
      expect(listTree(env.GIGI_DATA_DIR!)).toEqual(before);
      if (databaseUrl) expect(await publicTables(databaseUrl)).toEqual([]);
    });
  }
});

interface Report {
  exitCode: number;
  run: { status: string; resetFrom: { from: string; reason: string | null } | null } | null;
  journal: Array<{ step: string; outcome: string; detail: Record<string, unknown> | null }>;
  criticalPath: Array<{ step: string; spanMs: number; atMs: number }>;
  retrying: Array<Record<string, unknown>>;
}

describe('a completed boot', { timeout: 180_000 }, () => {
  it('reset --reason: kept in the journal and the run, shown by inspect and --history; a bad reason is exit 2 and records nothing', async () => {
    const env = await bootEnv({ databaseUrl: await createTestDatabase(testServerUrl(), 'reason') });
    expect((await runCli(['run', '--no-handoff'], env)).code).toBe(EXIT.ok);

    // The Gitea region outlasts the build (no Docker: the build ends at once): the chain ends
    // with the hand-off, and the build is not on it.
    const done = JSON.parse((await runCli(['inspect', '--json'], env)).stdout) as Report;
    const chain = done.criticalPath.map((l) => l.step);
    expect(chain.at(-1)).toBe('handOff');
    expect(chain.slice(0, 2)).toEqual(['detectModes', 'prepareSecrets']);
    expect(chain).not.toContain('buildRunnerWorker');
    const blame = await runCli(['inspect', '--critical-path'], env);
    expect(blame.stdout).toContain('Critical path (the chain of steps that set the wall time):');
    expect(blame.stdout).toMatch(/└─handOff @/);

    const bad = await runCli(['reset', '--from', 'createOrg', '--reason', 'two\nlines'], env);
    expect(bad.code).toBe(EXIT.config);
    expect(bad.stderr).toContain('--reason TEXT: expected one line of text');
    expect((await runCli(['reset', '--from', 'createOrg', '--reason', '  '], env)).code).toBe(EXIT.config);
    const unchanged = JSON.parse((await runCli(['inspect', '--json'], env)).stdout) as Report;
    expect(unchanged.run!.resetFrom).toBeNull();

    const reason = 'org deleted by hand (ticket 42)';
    const reset = await runCli(['reset', '--from', 'createOrg', '--reason', reason], env);
    expect(reset.code, reset.stderr).toBe(EXIT.ok);
    const pending = JSON.parse((await runCli(['inspect', '--json'], env)).stdout) as Report;
    expect(pending.run!.resetFrom).toMatchObject({ from: 'createOrg', reason });
    expect(pending.journal.find((r) => r.outcome === 'reset')!.detail).toMatchObject({ reason });
    expect((await runCli(['inspect'], env)).stdout).toContain(`(reason: ${reason})`);

    expect((await runCli(['run', '--no-handoff'], env)).code).toBe(EXIT.ok);
    const history = await runCli(['inspect', '--history'], env);
    expect(history.stdout).toContain(`reset --from createOrg`);
    expect(history.stdout).toContain(`(reason: ${reason})`);
    const historyJson = JSON.parse((await runCli(['inspect', '--history', '--json'], env)).stdout) as {
      runs: Array<{ resetFrom: { reason: string | null } | null }>;
    };
    expect(historyJson.runs[1]!.resetFrom!.reason).toBe(reason);

    // A stored secret pasted into the reason is scrubbed before it is kept anywhere.
    const token = await configValue(env.DATABASE_URL!, CONFIG_KEYS.giteaToken);
    expect(token.length).toBeGreaterThan(10);
    expect((await runCli(['reset', '--from', 'createOrg', '--reason', `rotated ${token}`], env)).code).toBe(
      EXIT.ok,
    );
    const scrubbed = await runCli(['inspect', '--history', '--json'], env);
    expect(scrubbed.stdout).toContain('rotated [redacted]');
    expect(scrubbed.stdout).not.toContain(token);
    const reveal = await runCli(['inspect', '--json', '--reveal'], env);
    expect(reveal.stdout).toContain(token); // in the config table, as --reveal shows it
    const journal = (JSON.parse(reveal.stdout) as Report).journal.filter((r) => r.outcome === 'reset');
    expect(JSON.stringify(journal)).not.toContain(token);
  });
});

describe('a boot held in a retry', { timeout: 180_000 }, () => {
  it('inspect, --json and --follow show the step, its attempt, last error and next attempt; --follow --timeout exits 6', async () => {
    const env = await bootEnv({
      databaseUrl: await createTestDatabase(testServerUrl(), 'retry'),
      extra: {
        // createOrg fails transiently every time; the back-off after the first failure is an hour.
        GIGI_BOOT_FAILPOINTS: 'createOrg=transient',
        GIGI_BOOT_STEP_ATTEMPTS: '5',
        GIGI_BOOT_RETRY_BASE_DELAY: '1h',
        GIGI_BOOT_RETRY_MAX_DELAY: '1h',
      },
    });
    const boot = startCli(['run', '--no-handoff'], env);
    try {
      const inspectJson = async () => JSON.parse((await runCli(['inspect', '--json'], env)).stdout) as Report;
      await expect
        .poll(async () => (await inspectJson()).retrying.length, { timeout: 120_000, interval: 250 })
        .toBe(1);
      const report = await inspectJson();
      expect(report.exitCode).toBe(EXIT.inProgress);
      const retry = report.retrying[0]!;
      expect(retry).toMatchObject({ step: 'createOrg', phase: 'waiting', attempt: 1, maxAttempts: 5 });
      expect(retry.lastError).toContain('failpoint createOrg=transient');
      expect(Date.parse(retry.nextAttemptAt as string)).toBeGreaterThan(Date.now() + 30 * 60_000);
      expect(
        Object.keys(retry)
          .map((k) => `retrying[].${k}`)
          .sort(),
      ).toEqual(documentedFields('inspect-retrying-json').filter((f) => f !== 'retrying[]'));

      const text = await runCli(['inspect'], env);
      expect(text.code).toBe(EXIT.inProgress);
      expect(text.stdout).toMatch(
        /Retrying: createOrg: attempt 1 of 5 failed; attempt 2 due \d{4}-.*Z — last error: .*failpoint createOrg=transient/,
      );

      const followed = await runCli(['inspect', '--follow', '--timeout', '2s', '--json'], env);
      expect(followed.code, followed.stderr).toBe(EXIT.followTimeout);
      const events = followed.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { event: string; retrying?: Array<{ step: string }> });
      expect(events.find((e) => e.event === 'retry')!.retrying![0]!.step).toBe('createOrg');
      expect(events.at(-1)!.event).toBe('timeout');

      const followedText = await runCli(['inspect', '--follow', '--timeout', '1s'], env);
      expect(followedText.code).toBe(EXIT.followTimeout);
      expect(followedText.stdout).toContain('Retrying: createOrg');
      expect(followedText.stdout).toContain('--timeout 1.0 s reached; the boot is still running');

      const bad = await runCli(['inspect', '--follow', '--timeout', 'soon'], env);
      expect(bad.code).toBe(EXIT.config);
      expect(bad.stderr).toContain('--timeout soon: expected a duration');
      expect((await runCli(['inspect', '--timeout', '1s'], env)).code).toBe(EXIT.config);
    } finally {
      boot.child.kill('SIGTERM');
      await boot.done;
    }
  });
});
