// Every child process gigi-boot runs is bounded: a `gitea admin user create` that hangs (the
// simulator's CLI made to block, as on a stuck lock) fails with an error naming the command and
// GIGI_BOOT_COMMAND_TIMEOUT, and leaves no process behind; the user is not half-created. The same
// for `getent` (a name service that does not answer).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBootError, type ConfigError, type GiteaProcessError } from '../../src/errors.ts';
import { createUserWithCli } from '../../src/gitea/cli.ts';
import { resolveRunAs } from '../../src/gitea/run-as.ts';
import { startTestGitea, type TestGitea } from './helpers.ts';

let gitea: TestGitea;

beforeAll(async () => {
  gitea = await startTestGitea();
});

afterAll(async () => {
  await gitea?.stop();
});

/** Live processes running `admin user create` against this test's app.ini. */
function cliProcesses(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
        return cmd.includes('create') && cmd.includes(gitea.configPath) && state !== 'Z';
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('a hanging Gitea CLI', () => {
  /** `admin user create` of the user "stuck", bounded by timeoutMs. */
  const createStuck = (timeoutMs: number) =>
    createUserWithCli({
      bin: gitea.bin,
      configPath: gitea.configPath,
      workDir: gitea.workDir,
      runAs: gitea.runAs,
      username: 'stuck',
      email: 'stuck@example.com',
      admin: false,
      timeoutMs,
    });

  it('fails with the command and GIGI_BOOT_COMMAND_TIMEOUT, and is stopped', async () => {
    gitea.setFaults({ cliFaults: [{ command: 'admin user create', message: '', hang: true }] });
    try {
      const error = await createStuck(1_500).then(
        () => undefined,
        (e: unknown) => e as GiteaProcessError,
      );
      expect(isBootError(error)).toBe(true);
      expect(error!.domain).toBe('gitea-process');
      expect(error!.transient).toBe(false);
      expect(error!.message).toBe(
        '"gitea admin user create --username stuck" did not finish within 1500 ms (GIGI_BOOT_COMMAND_TIMEOUT) and was stopped',
      );
      expect(error!.hint).toMatch(/GIGI_BOOT_COMMAND_TIMEOUT/);
      expect(cliProcesses()).toEqual([]);
    } finally {
      gitea.setFaults({});
    }
    // Nothing was created: the next try (no fault) creates the user.
    const again = await createStuck(60_000);
    expect(again.created).toBe(true);
  });
});

describe('a hanging getent', () => {
  it('fails naming the command, the setting that bounds it and GIGI_BOOT_GITEA_USER; it is stopped', async () => {
    const fixtures = join(import.meta.dirname, 'fixtures', 'hanging-getent');
    const path = process.env.PATH;
    process.env.PATH = `${fixtures}:${path ?? ''}`;
    try {
      const error = await resolveRunAs('gigi', undefined, 500).then(
        () => undefined,
        (e: unknown) => e as ConfigError,
      );
      expect(isBootError(error)).toBe(true);
      expect(error!.issues).toEqual([
        'GIGI_BOOT_GITEA_USER: "getent passwd gigi" did not answer within 500 ms (GIGI_BOOT_COMMAND_TIMEOUT)',
      ]);
    } finally {
      process.env.PATH = path;
    }
    const stuck = readdirSync('/proc').filter((pid) => {
      try {
        const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
        return args.join(' ') === 'sleep 4711';
      } catch {
        return false;
      }
    });
    expect(stuck).toEqual([]);
  });
});
