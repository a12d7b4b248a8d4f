// `gigi-boot check` through the real CLI: it accepts what `gigi-boot run` accepts and refuses
// what run refuses, with the same issue lines (the same loader and the same preflight, by
// construction), over a shared corpus of environments (test/support/config-corpus.ts); it
// writes nothing (no data dir, no database table) and prints the effective configuration with
// secrets redacted.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { bootEnv, runCli } from '../support/boot-process.ts';
import { CONFIG_CORPUS, corpusScratchDir } from '../support/config-corpus.ts';
import { testServerUrl } from '../support/env.ts';
import { createTestDatabase, queryRows } from '../support/postgres.ts';
import { listTree } from '../support/listings.ts';

async function tableCount(databaseUrl: string): Promise<number> {
  const rows = await queryRows<{ n: string }>(
    databaseUrl,
    "select count(*)::text as n from pg_tables where schemaname = 'public'",
  );
  return Number(rows[0]!.n);
}

const issueLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('  - '));

describe.concurrent('check and run agree on every environment of the corpus', { timeout: 240_000 }, () => {
  for (const testCase of CONFIG_CORPUS) {
    it(`${testCase.rejects.length === 0 ? 'accepted' : 'refused'}: ${testCase.name}`, async () => {
      const scratch = corpusScratchDir();
      const databaseUrl = await createTestDatabase(testServerUrl(), 'check');
      const env = await bootEnv({ databaseUrl, extra: testCase.env(scratch) });
      if (!('GIGI_DATA_DIR' in testCase.env(scratch))) env.GIGI_DATA_DIR = join(env.GIGI_DATA_DIR!, 'volume');
      const before = listTree(env.GIGI_DATA_DIR!);

      const check = await runCli(['check'], env);
      // check writes nothing, whatever it finds.
      expect(listTree(env.GIGI_DATA_DIR!)).toEqual(before);
      expect(await tableCount(databaseUrl)).toBe(0);

      const run = await runCli(['run', '--no-handoff'], env);
      if (testCase.rejects.length === 0) {
        expect(check.code, check.stderr).toBe(EXIT.ok);
        expect(check.stdout).toContain('Effective configuration (secrets redacted)');
        expect(check.stdout).not.toContain('telegram-from-the-file-123');
        expect(run.code, run.stderr).toBe(EXIT.ok);
      } else {
        expect(check.code, check.stderr).toBe(EXIT.config);
        expect(run.code, run.stderr).toBe(EXIT.config);
        const lines = issueLines(check.stderr);
        for (const setting of testCase.rejects)
          expect(
            lines.some((l) => l.startsWith(`  - ${setting}`)),
            check.stderr,
          ).toBe(true);
        // The same problems, word for word.
        expect(lines).toEqual(issueLines(run.stderr));
      }
    });
  }
});

describe('check output', () => {
  it('--json: the effective configuration with every secret redacted (DATABASE_URL password, *_FILE, GITEA__ secret)', async () => {
    const databaseUrl = await createTestDatabase(testServerUrl(), 'check');
    const env = await bootEnv({
      databaseUrl,
      extra: {
        CLAUDE_TOKEN: 'claude-token-value-789',
        GITEA__mailer__PASSWD: 'mailer-password-value-321',
      },
    });
    const password = decodeURIComponent(new URL(databaseUrl).password);
    const result = await runCli(['check', '--json'], env);
    expect(result.code, result.stderr).toBe(EXIT.ok);
    const out = JSON.parse(result.stdout) as {
      ok: boolean;
      config: { claudeToken: string; giteaIni: Array<{ variable: string; value: string }>; dataDir: string };
    };
    expect(out.ok).toBe(true);
    expect(out.config.claudeToken).toBe('[redacted]');
    expect(out.config.giteaIni.find((s) => s.variable === 'GITEA__mailer__PASSWD')?.value).toBe('[redacted]');
    expect(out.config.dataDir).toBe(env.GIGI_DATA_DIR);
    for (const secret of [
      'claude-token-value-789',
      'mailer-password-value-321',
      ...(password ? [password] : []),
    ])
      expect(result.stdout + result.stderr).not.toContain(secret);
  });
});
