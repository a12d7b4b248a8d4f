// supervisord.conf is derived from the configuration, never kept as state: a warm start (the
// boot machine does not run) renders it again, so a file deleted or edited on the volume — or
// written by an older image — neither breaks the start nor survives it.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootEnv, runCli } from '../support/boot-process.ts';
import { parseIni } from '../support/aio-ini.ts';
import { testServerUrl } from '../support/env.ts';
import { createTestDatabase } from '../support/postgres.ts';

let env: Record<string, string>;
let conf: string;
let firstRender: string;

async function warmStart(): Promise<string> {
  const result = await runCli(['run', '--no-handoff'], env);
  expect(result.code, result.stdout + result.stderr).toBe(0);
  expect(result.stdout).toContain('already initialised');
  return result.stdout;
}

beforeAll(async () => {
  env = await bootEnv({ databaseUrl: await createTestDatabase(testServerUrl(), 'warm') });
  conf = join(env.GIGI_DATA_DIR!, 'gigi-boot', 'supervisord.conf');
  const first = await runCli(['run', '--no-handoff'], env);
  expect(first.code, first.stdout + first.stderr).toBe(0);
  firstRender = readFileSync(conf, 'utf8');
}, 180_000);

afterAll(() => rmSync(env.GIGI_DATA_DIR!, { recursive: true, force: true }));

describe('a warm start renders supervisord.conf again', () => {
  it('the first boot rendered the AIO programs', () => {
    const programs = Object.keys(parseIni(firstRender)).filter((s) => s.startsWith('program:'));
    expect(programs).toEqual(expect.arrayContaining(['program:gigi', 'program:gitea', 'program:chromium']));
  });

  it('a deleted file is rendered again, the same as the first boot wrote it', async () => {
    rmSync(conf);
    const logs = await warmStart();
    expect(logs).toContain(`rendered ${conf} from the current configuration`);
    expect(readFileSync(conf, 'utf8')).toBe(firstRender);
  });

  it('an edited file does not persist: the next start replaces it', async () => {
    writeFileSync(
      conf,
      firstRender.replace(/^command=.*chromium.*$/m, 'command=/bin/false') +
        '\n[program:stale]\ncommand=/bin/sleep infinity\n',
    );
    await warmStart();
    const text = readFileSync(conf, 'utf8');
    expect(text).toBe(firstRender);
    expect(text).not.toContain('[program:stale]');
  });

  it('a stale FATAL record of the previous run is forgotten', async () => {
    const fatal = join(env.GIGI_DATA_DIR!, 'gigi-boot', 'fatal-programs');
    writeFileSync(fatal, 'chromium\n');
    await warmStart();
    expect(() => readFileSync(fatal)).toThrow(/ENOENT/);
  });
});
